title="slipway: drift in $SLIPWAY_ENV"
code=$(cat "drift/$SLIPWAY_ENV.code")
api="${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY"
github() {
  curl --silent --show-error --fail-with-body --max-time 30 \
    -H "Authorization: Bearer $GH_TOKEN" -H "Accept: application/vnd.github+json" \
    -H "X-GitHub-Api-Version: 2022-11-28" "$@"
}
# The open issue with this title, if any (pull requests are issues to this endpoint: left out).
number=""
page=1
while :; do
  batch=$(github "$api/issues?state=open&per_page=100&page=$page")
  number=$(jq -r --arg title "$title" '[.[] | select(.pull_request == null and .title == $title) | .number][0] // empty' <<< "$batch")
  if [ -n "$number" ] || [ "$(jq length <<< "$batch")" -lt 100 ]; then
    break
  fi
  page=$((page + 1))
done
if [ "$code" = 2 ]; then
  {
    echo "The scheduled drift check found stacks of \`$SLIPWAY_ENV\` that differ from what the ledger says was applied:"
    echo
    cat "drift/$SLIPWAY_ENV.md"
    echo
    echo "Put back what runs there with \`slipway deploy --env $SLIPWAY_ENV --revert-drift\`, or make the change in"
    echo "the definitions and deploy it. This issue is updated by every check, and closed when the drift is gone."
  } > "drift/$SLIPWAY_ENV.issue.md"
  if [ -n "$number" ]; then
    jq -n --rawfile body "drift/$SLIPWAY_ENV.issue.md" '{body: $body}' |
      github -X PATCH "$api/issues/$number" --data @- > /dev/null
    echo "updated issue #$number: $title"
  else
    number=$(jq -n --arg title "$title" --rawfile body "drift/$SLIPWAY_ENV.issue.md" '{title: $title, body: $body}' |
      github -X POST "$api/issues" --data @- | jq -r .number)
    echo "opened issue #$number: $title"
  fi
elif [ "$code" = 0 ] && [ -n "$number" ]; then
  jq -n --arg env "$SLIPWAY_ENV" '{body: "No drift any more: every stack of `\($env)` holds what the ledger says was applied."}' |
    github -X POST "$api/issues/$number/comments" --data @- > /dev/null
  github -X PATCH "$api/issues/$number" --data '{"state": "closed", "state_reason": "completed"}' > /dev/null
  echo "closed issue #$number: no drift in $SLIPWAY_ENV any more"
fi

if [ -z "$PR_NUMBER" ]; then
  PR_NUMBER=$(gh api "repos/$GITHUB_REPOSITORY/pulls?head=${GITHUB_REPOSITORY%%/*}:$BRANCH&state=open" --jq '.[0].number // empty')
  if [ -z "$PR_NUMBER" ]; then
    echo "no open pull request from $BRANCH: nothing to comment on"
    exit 0
  fi
fi
run="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
body=$(mktemp)
{
  echo "<!-- slipway-demo -->"
  if [ "$DOWN_RESULT" = "success" ]; then
    echo "### Feature demo: down"
    echo
    echo "The pull request was closed, so its demo was brought down ([run]($run))."
  elif [ "$UP_RESULT" = "success" ]; then
    echo "### Feature demo \`$(jq -r '.name' <<< "$DEMO")\` is up"
    echo
    echo "| what | where |"
    echo "|---|---|"
    jq -r '.urls | to_entries[] | "| \(.key) | <\(.value)> |"' <<< "$DEMO"
    echo
    echo "Release \`$(jq -r '.release' <<< "$DEMO")\`, until $(jq -r '.expires' <<< "$DEMO") (each push renews it; [run]($run))."
  else
    echo "### Feature demo: did not come up"
    echo
    echo "Up: $UP_RESULT, down: $DOWN_RESULT; see [the run]($run)."
  fi
} > "$body"
existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --paginate \
  --jq '.[] | select(.body | startswith("<!-- slipway-demo -->")) | .id' | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" > /dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$body" > /dev/null
fi

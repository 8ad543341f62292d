title="slipway: drift in $SLIPWAY_ENV"
code=$(cat "drift/$SLIPWAY_ENV.code")
number=$(gh issue list --state open --limit 500 --json number,title |
  jq -r --arg title "$title" '[.[] | select(.title == $title) | .number][0] // empty')
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
    gh issue edit "$number" --body-file "drift/$SLIPWAY_ENV.issue.md"
  else
    gh issue create --title "$title" --body-file "drift/$SLIPWAY_ENV.issue.md"
  fi
elif [ "$code" = 0 ] && [ -n "$number" ]; then
  gh issue close "$number" --comment "No drift any more: every stack of \`$SLIPWAY_ENV\` holds what the ledger says was applied."
fi

body=$(mktemp)
{
  echo "<!-- slipway-diff -->"
  echo "## slipway: what this pull request changes in the deployed environments"
  for env in $SLIPWAY_ENVS; do
    key=$(echo "$env" | tr 'a-z-' 'A-Z_')
    result_var="DIFF_${key}_RESULT"; changes_var="DIFF_${key}_CHANGES"; markdown_var="DIFF_${key}_MARKDOWN"
    echo
    if [ "${!result_var}" != "success" ]; then
      echo "### $env: the diff failed (${!result_var}); see the run"
    elif [ "${!changes_var}" = "true" ]; then
      echo "### $env: changes"
      echo
      printf '%s\n' "${!markdown_var}"
    else
      echo "### $env: no changes"
    fi
  done
} > "$body"
existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --paginate \
  --jq '.[] | select(.body | startswith("<!-- slipway-diff -->")) | .id' | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" > /dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$body" > /dev/null
fi

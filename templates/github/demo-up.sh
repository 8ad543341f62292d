"$SLIPWAY" demo up --branch "$BRANCH" --commit "$COMMIT" --format json > demo.json
cat demo.json
delimiter="slipway-$(openssl rand -hex 16)"
{
  echo "demo<<$delimiter"
  cat demo.json
  echo "$delimiter"
  echo "url=$(jq -r '.urls | to_entries | map(.value) | first // empty' demo.json)"
} >> "$GITHUB_OUTPUT"

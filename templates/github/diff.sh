set +e
"$SLIPWAY" diff --against deployed --env "$SLIPWAY_ENV" --format markdown --exit-code > diff.md
status=$?
set -e
case "$status" in
  0) echo "changes=false" >> "$GITHUB_OUTPUT" ;;
  2) echo "changes=true" >> "$GITHUB_OUTPUT" ;;
  *) cat diff.md; echo "::error::slipway diff failed (exit $status)"; exit 1 ;;
esac
cat diff.md
delimiter="slipway-$(openssl rand -hex 16)"
{
  echo "markdown<<$delimiter"
  head -c "$DIFF_LIMIT" diff.md
  echo
  if [ "$(wc -c < diff.md)" -gt "$DIFF_LIMIT" ]; then printf '\n\n(cut short: the whole diff is in the job log)\n'; fi
  echo "$delimiter"
} >> "$GITHUB_OUTPUT"

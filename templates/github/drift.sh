status=0
for file in out/.github/workflows/*.yml; do
  committed="$GITHUB_WORKSPACE/.github/workflows/$(basename "$file")"
  if ! cmp -s "$file" "$committed"; then
    echo "::error file=.github/workflows/$(basename "$file")::.github/workflows/$(basename "$file") differs from what the definitions synthesize; copy $file there"
    status=1
  fi
done
exit "$status"

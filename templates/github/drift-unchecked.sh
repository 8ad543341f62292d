status=0
for file in drift/*.code; do
  code=$(cat "$file")
  if [ "$code" != 0 ] && [ "$code" != 2 ]; then
    echo "::error::the drift of $(basename "$file" .code) could not be checked (exit $code)"
    status=1
  fi
done
exit "$status"

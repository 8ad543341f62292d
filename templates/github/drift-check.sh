mkdir -p drift
code=0
"$SLIPWAY" status --env "$SLIPWAY_ENV" --exit-code --format markdown > "drift/$SLIPWAY_ENV.md" || code=$?
echo "$code" > "drift/$SLIPWAY_ENV.code"
cat "drift/$SLIPWAY_ENV.md"
case "$code" in
  0) echo "no drift in $SLIPWAY_ENV" ;;
  2) echo "::warning::stacks of $SLIPWAY_ENV drifted from what the ledger says was applied" ;;
  *) echo "::error::the drift of $SLIPWAY_ENV could not be checked (slipway status exited $code)" ;;
esac

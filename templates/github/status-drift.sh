mkdir -p drift
"$SLIPWAY" status --env "$SLIPWAY_ENV" --format json > "drift/$SLIPWAY_ENV.json"
cat "drift/$SLIPWAY_ENV.json"

"$SLIPWAY" deploy --env "$SLIPWAY_ENV" --release "$RELEASE" --yes --progress events

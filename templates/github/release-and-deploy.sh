"$SLIPWAY" release create --id "$GITHUB_SHA" --commit "$GITHUB_SHA" --ref "$GITHUB_REF"
"$SLIPWAY" deploy --env "$SLIPWAY_ENV" --release "$GITHUB_SHA" --yes --progress events

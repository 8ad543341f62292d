set -- --env "$SLIPWAY_ENV" --reason "$REASON" --yes --progress events
if [ -n "$TO" ]; then set -- "$@" --to "$TO"; fi
"$SLIPWAY" rollback "$@"

"$SLIPWAY" promote --release "$RELEASE" --to "$SLIPWAY_ENV" --from "$FROM" --approvals github --yes

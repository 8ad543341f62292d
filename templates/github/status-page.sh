if [ -d drift ]; then
  "$SLIPWAY" status --format html --out site --drift-from drift
else
  "$SLIPWAY" status --format html --out site --no-drift
fi

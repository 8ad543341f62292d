if [ -z "$SLIPWAY_STORE" ]; then
  echo "::error::set the repository variable SLIPWAY_STORE to the store every runner shares (s3://bucket/prefix)"
  exit 1
fi

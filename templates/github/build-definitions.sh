cargo build --release --locked --bin "$SLIPWAY_DEFINITIONS"

# Built only when the cache did not have this version; cargo installs into ~/.cargo/bin, which is on the
# runner's PATH wherever cargo is.
if [ ! -x "$HOME/.cargo/bin/slipway" ]; then
  # The words of INSTALL are cargo's arguments, split on purpose.
  # shellcheck disable=SC2086
  cargo install --locked $INSTALL
fi
slipway --version

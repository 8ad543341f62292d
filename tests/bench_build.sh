#!/usr/bin/env bash
# The build-time figures of docs/performance.md, with public tools only.
#
#   bash tests/bench_build.sh fresh          clone this repository's HEAD into a temporary directory with a fresh
#                                            target inside it and time the README's command, `cargo run -p webapp
#                                            -- synth`, until it prints
#   bash tests/bench_build.sh init           `slipway init` a new project (slipway by --path) into a temporary
#                                            directory and time its first `cargo run -- synth` with a fresh target:
#                                            the dependencies are in cargo's download cache, nothing is built
#   bash tests/bench_build.sh edit [RUNS]    in such a project (built once), change one line of a definition RUNS
#                                            times (default 7), timing `cargo run -- synth` after each change,
#                                            and its CPU time (user + system), which a busy machine disturbs less
#   bash tests/bench_build.sh job [cold|warm] run a synthesized deploy job's steps here, up to its first AWS call:
#                                            find the engine the definitions pin, install it (cold: an empty cargo
#                                            home, as a runner whose cache does not hold the version; warm: the
#                                            engine is there, as the cache restores it), build the definitions
#                                            (cold: fresh target; warm: the cached build, the definitions edited;
#                                            SLIPWAY_BENCH_ENGINE=target/release/slipway stands in for the
#                                            restored engine instead of installing it first, untimed)
#
# Each line says the load average, since the machine is shared: quote medians, and the load.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
load() { cut -d' ' -f1-3 /proc/loadavg; }
seconds() { python3 -c 'import sys, time; print(f"{time.monotonic() - float(sys.argv[1]):.2f}")' "$1"; }
now() { python3 -c 'import time; print(time.monotonic())'; }
engine() { cargo build --quiet --locked --bin slipway && echo "$root/target/debug/slipway"; }

# A project made by `slipway init` in "$1" (the files only).
new_project() {
  "$(engine)" init "$1" --path "$root" --repository acme/bench --no-synth > /dev/null
}

case "${1:-}" in
  fresh)
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    git clone --quiet "$root" "$dir/slipway"
    cd "$dir/slipway"
    export CARGO_TARGET_DIR="$dir/slipway/target"
    echo "fresh clone at $(git rev-parse --short HEAD): cargo run -p webapp -- synth (load $(load))"
    start=$(now)
    cargo run --quiet -p webapp -- synth
    echo "first synth output after $(seconds "$start") s (load $(load))"
    ;;
  init)
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    new_project "$dir/bench"
    cd "$dir/bench"
    export CARGO_TARGET_DIR="$dir/bench/target"
    cargo fetch --quiet
    echo "a project made by slipway init: cargo run -- synth, fresh target (load $(load))"
    start=$(now)
    /usr/bin/time -f '%U %S' -o "$dir/cpu" cargo run --quiet -- synth
    echo "first synth output after $(seconds "$start") s, $(awk '{printf "%.1f", $1 + $2}' "$dir/cpu") s of CPU (load $(load))"
    ;;
  edit)
    runs=${2:-7}
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    new_project "$dir/bench"
    cd "$dir/bench"
    file=src/environments.rs
    cargo run --quiet -- synth > /dev/null
    times=() cpus=()
    for _ in $(seq 1 "$runs"); do
      if grep -q '.deploys_from(\["main"\])' "$file"; then sed -i 's/.deploys_from(\["main"\])/.deploys_from(["main", "hotfix\/*"])/' "$file"
      else sed -i 's/.deploys_from(\["main", "hotfix\/\*"\])/.deploys_from(["main"])/' "$file"; fi
      start=$(now)
      /usr/bin/time -f '%U %S' -o "$dir/cpu" cargo run --quiet -- synth > /dev/null
      t=$(seconds "$start")
      cpu=$(awk '{printf "%.2f", $1 + $2}' "$dir/cpu")
      times+=("$t")
      cpus+=("$cpu")
      echo "edit to synth output: $t s, $cpu s of CPU (load $(load))"
    done
    median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    echo "median $(printf '%s\n' "${times[@]}" | median) s, $(printf '%s\n' "${cpus[@]}" | median) s of CPU, of $runs runs"
    ;;
  job)
    mode=${2:-warm}
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    new_project "$dir/bench"
    cd "$dir/bench"
    cargo generate-lockfile --quiet
    export GITHUB_OUTPUT="$dir/output" CARGO_TARGET_DIR="$dir/bench/target" SLIPWAY_DEFINITIONS=bench
    # A runner's home whose cargo holds no slipway: its registry is this machine's download cache (so the
    # figure is the build, not the download), its rustup this machine's.
    real_cargo=${CARGO_HOME:-$HOME/.cargo}
    export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
    export HOME="$dir/home" CARGO_HOME="$dir/home/.cargo"
    mkdir -p "$CARGO_HOME/bin"
    ln -s "$real_cargo/registry" "$CARGO_HOME/registry"
    export PATH="$CARGO_HOME/bin:$PATH"
    script() { sed -n '1,$p' "$root/templates/github/$1"; }
    if [ "$mode" = warm ]; then
      # What the caches restore: the engine of this version, and the definitions' build of the last run.
      bash -c "$(script engine-version.sh)"
      if [ -n "${SLIPWAY_BENCH_ENGINE:-}" ]; then
        # An engine of these very sources built already (`cargo build --release --bin slipway`), restored as
        # the cache would: saves the untimed install.
        cp "$SLIPWAY_BENCH_ENGINE" "$CARGO_HOME/bin/slipway"
      else
        INSTALL=$(sed -n 's/^install=//p' "$GITHUB_OUTPUT") bash -c "$(script install-engine.sh)" > /dev/null
      fi
      bash -c "$(script build-definitions.sh)"
      sed -i 's/.deploys_from(\["main"\])/.deploys_from(["main", "hotfix\/*"])/' src/environments.rs
      : > "$GITHUB_OUTPUT"
    fi
    echo "deploy job, $mode: from checkout to the first AWS call (load $(load))"
    start=$(now)
    bash -c "$(script engine-version.sh)"
    INSTALL=$(sed -n 's/^install=//p' "$GITHUB_OUTPUT") bash -c "$(script install-engine.sh)"
    bash -c "$(script build-definitions.sh)"
    echo "ready to deploy after $(seconds "$start") s (load $(load))"
    ;;
  *)
    sed -n '2,19p' "$0"
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The two build-time figures of docs/performance.md, with public tools only.
#
#   bash tests/bench_build.sh fresh [CARGO ARGS]   clone this repository's HEAD into a temporary directory with a
#                                                  fresh target inside it and time `cargo run -- synth` (or
#                                                  `cargo run CARGO ARGS -- synth`, e.g. --release) until it prints
#   bash tests/bench_build.sh edit [RUNS]           change one line of environments/prod.rs (the production wait,
#                                                  30 <-> 31 minutes) RUNS times (default 7), timing
#                                                  `cargo run -- synth` after each change; puts the line back
#
# Each line says the load average, since the machine is shared: quote medians, and the load.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
load() { cut -d' ' -f1-3 /proc/loadavg; }
seconds() { python3 -c 'import sys, time; print(f"{time.monotonic() - float(sys.argv[1]):.2f}")' "$1"; }
now() { python3 -c 'import time; print(time.monotonic())'; }

case "${1:-}" in
  fresh)
    shift
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    git clone --quiet "$root" "$dir/slipway"
    cd "$dir/slipway"
    export CARGO_TARGET_DIR="$dir/slipway/target"
    echo "fresh clone at $(git rev-parse --short HEAD): cargo run $* -- synth (load $(load))"
    start=$(now)
    cargo run --quiet "$@" -- synth
    echo "first synth output after $(seconds "$start") s (load $(load))"
    ;;
  edit)
    runs=${2:-7}
    file=environments/prod.rs
    grep -q 'wait_minutes(30)' "$file" || { echo "$file has no wait_minutes(30) to change" >&2; exit 1; }
    out=$(mktemp -d)
    trap 'sed -i "s/wait_minutes(31)/wait_minutes(30)/" "$file"; rm -rf "$out"' EXIT
    cargo run --quiet -- synth --out "$out/out" > /dev/null
    times=()
    for _ in $(seq 1 "$runs"); do
      if grep -q 'wait_minutes(30)' "$file"; then sed -i 's/wait_minutes(30)/wait_minutes(31)/' "$file"
      else sed -i 's/wait_minutes(31)/wait_minutes(30)/' "$file"; fi
      start=$(now)
      cargo run --quiet -- synth --out "$out/out" > /dev/null
      t=$(seconds "$start")
      times+=("$t")
      echo "edit to synth output: $t s (load $(load))"
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median " a[int((NR+1)/2)] " s of " NR " runs"}'
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Whole-process timings of the release binary on this repository's definitions: the median of many runs,
# in a scratch directory. Usage: bash tests/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
runs=${1:-30}
bin="$PWD/target/release/slipway"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time
binary, runs = sys.argv[1], int(sys.argv[2])
for args in (["synth"], ["check"], ["envs"]):
    subprocess.run([binary, *args], check=True, capture_output=True)  # warm the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([binary, *args], check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    print(f"slipway {' '.join(args):6} median {statistics.median(times):6.1f} ms  "
          f"(min {min(times):.1f}, max {max(times):.1f}, {runs} runs)")
PY

#!/usr/bin/env bash
# The performance table of the README, measured on the binary: prints one Markdown row per
# figure, with the command that gave it. Wall time and peak memory come from /usr/bin/time -v.
#
#   benches/run.sh                      # target/release/shortfall (built first), all rows
#   benches/run.sh path/to/shortfall    # another binary, e.g. a build of an older commit
#   REPS=5 QUICK=1 benches/run.sh       # medians of 5; QUICK skips the 1,000,000-path rows
#
# Medians of REPS runs (default 3); the 1,000,000-path run is done once (it is the slow one).
# On a shared machine, compare two binaries in one sitting rather than across days.
set -euo pipefail
# A binary given is resolved where the script was called from, before it moves to the repo.
bin=""
if [ $# -ge 1 ]; then bin="$(realpath "$1")"; fi
cd "$(dirname "$0")/.."

if [ -z "$bin" ]; then
  cargo build --release -q
  bin="$PWD/target/release/shortfall"
fi
reps="${REPS:-3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# run ARGS... : prints "wall_seconds peak_kb" of one run of the binary.
run() {
  /usr/bin/time -v "$bin" "$@" >/dev/null 2>"$out/time" || { cat "$out/time" >&2; exit 1; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
    /Maximum resident set size/ { kb = $2 }
    END { printf "%.2f %d\n", s, kb }' "$out/time"
}

# median ARGS... : median wall seconds (and the peak memory of the median run) over REPS runs.
median() {
  for _ in $(seq "$reps"); do run "$@"; done | sort -n | awk '{ w[NR] = $1; m[NR] = $2 }
    END { i = int((NR + 1) / 2); printf "%s %d\n", w[i], m[i] }'
}

mb() { awk -v kb="$1" 'BEGIN { printf "%.0f MB", kb / 1024 }'; }

echo "binary: $bin ($("$bin" --version 2>/dev/null || echo unknown)); $(nproc) cores; medians of $reps"
echo
echo "| what | command | result |"
echo "| --- | --- | --- |"

read -r w1 _ < <(median run -q --paths 200000 --threads 1 --no-charts --out "$out/t1")
read -r w2 _ < <(median run -q --paths 200000 --threads 2 --no-charts --out "$out/t2")
echo "| 1 vs 2 threads, 200,000 paths | \`shortfall run -q --paths 200000 --no-charts --threads 1\` vs \`--threads 2\` | ${w1} s vs ${w2} s: $(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.2f", a / b }')× |"

read -r w m < <(median run -q --paths 100000 --no-charts --out "$out/e5")
echo "| 100,000 paths | \`shortfall run -q --paths 100000 --no-charts\` | ${w} s, $(mb "$m") peak |"

if [ -z "${QUICK:-}" ]; then
  read -r w m < <(run run -q --paths 1000000 --no-charts --out "$out/e6")
  echo "| 1,000,000 paths | \`shortfall run -q --paths 1000000 --no-charts\` | ${w} s, $(mb "$m") peak |"
fi

read -r w _ < <(median sweep --cap 0.5:1:0.05 --paths 20480 -q --out "$out/sweep")
echo "| cap sweep, 11 points × 20,480 paths | \`shortfall sweep --cap 0.5:1:0.05 --paths 20480 -q\` | ${w} s |"

read -r w _ < <(median sensitivity -q --out "$out/sens")
echo "| sensitivity, defaults | \`shortfall sensitivity -q\` | ${w} s |"

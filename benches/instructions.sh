#!/usr/bin/env bash
# Instructions a path costs, counted by valgrind (callgrind): a measure that does not move with
# the load of a shared machine, for kernel changes too small for wall time to show (a few per
# cent). Counts the instructions of `shortfall run` on one thread at two path counts and prints
# their difference per path, so what a run does once (loading the scenario, writing the
# outputs) drops out. It counts instructions, not time: a change that saves instructions but
# misses the cache more can still be slower, so a large change is still timed (benches/run.sh).
#
#   benches/instructions.sh                        # target/release/shortfall (built first)
#   benches/instructions.sh OLD_BINARY NEW_BINARY  # both, and the ratio new / old
#   SCENARIO=scenarios/eu-cap-65.ron benches/instructions.sh OLD NEW  # another scenario
#                                                  # (path from the repository's root)
#   FEW=1000 MANY=3000 benches/instructions.sh OLD NEW  # the two path counts (2000, 6000)
#
# Needs valgrind (Debian: apt-get install valgrind). About a minute and a half a binary.
set -euo pipefail

if ! command -v valgrind >/dev/null 2>&1; then
  echo "benches/instructions.sh needs valgrind (Debian: apt-get install valgrind)" >&2
  exit 2
fi
# Binaries given are resolved where the script was called from, before it moves to the repo.
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
cd "$(dirname "$0")/.."
if [ ${#bins[@]} -eq 0 ]; then
  cargo build --release -q
  bins=("$PWD/target/release/shortfall")
fi
few="${FEW:-2000}"
many="${MANY:-6000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# count BINARY PATHS: instructions of one `run` of PATHS paths on one thread, with `run`'s
# default seed (two counts of a binary agree to about 0.01%: the allocator's work varies a little).
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$1" run ${SCENARIO:+"$SCENARIO"} -q --no-charts \
    --threads 1 --paths "$2" --out "$out/run" --replace 2>"$out/log" >/dev/null ||
    { cat "$out/log" >&2; exit 1; }
  local n
  n=$(awk '/Collected :/ { print $NF }' "$out/log")
  [ -n "$n" ] || { cat "$out/log" >&2; echo "no instruction count in valgrind's output" >&2; exit 1; }
  echo "$n"
}

echo "| binary | instructions a path (\`run${SCENARIO:+ $SCENARIO} --threads 1\`, $many − $few paths) |"
echo "| --- | --- |"
per_path=()
for b in "${bins[@]}"; do
  a=$(count "$b" "$few")
  z=$(count "$b" "$many")
  p=$(awk -v a="$a" -v z="$z" -v n=$((many - few)) 'BEGIN { printf "%.0f", (z - a) / n }')
  per_path+=("$p")
  echo "| $b | $p |"
done
if [ ${#per_path[@]} -eq 2 ]; then
  awk -v a="${per_path[0]}" -v b="${per_path[1]}" \
    'BEGIN { printf "\nsecond / first: %.4f (%+.2f%%)\n", b / a, (b / a - 1) * 100 }'
fi

#!/usr/bin/env bash
# Behaviour-preservation check for refactors: runs every subcommand with a reference binary and a
# candidate binary on the same small inputs and compares everything they print and write, byte for
# byte, after blanking the only fields that legitimately differ between two runs (wall-clock
# time, start timestamp and the output folder's own path in manifest.json / report.html).
#
#   scripts/same-outputs.sh REF_BIN CAND_BIN          e.g. a build of the previous commit vs target/release/shortfall
#   scripts/same-outputs.sh --rev REV                 builds REV in a temporary worktree as the reference
#
# Exit 0 when every output is identical, 1 with the differing files listed otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--rev" ]; then
  rev="$2"
  wt="$(mktemp -d)/ref"
  git worktree add --detach -q "$wt" "$rev"
  trap 'git worktree remove --force "$wt"' EXIT
  (cd "$wt" && CARGO_TARGET_DIR="$PWD/../target-ref" cargo build --release -q)
  ref="$wt/../target-ref/release/shortfall"
  cargo build --release -q
  cand="$PWD/target/release/shortfall"
else
  ref="$(realpath "$1")"
  cand="$(realpath "$2")"
fi

work="$(mktemp -d)"
good=tests/scenarios/good
small="$(ls $good/*.ron | head -1)"

# One case a line: a name, then the arguments. `OUT` is replaced by the case's output folder.
cases=(
  "help --help"
  "help-run run --help"
  "help-sweep sweep --help"
  "help-compare compare --help"
  "check check"
  "check-json check --json"
  "check-cap check --cap 0.5"
  "check-small check $small"
  "check-bad check tests/scenarios/bad/$(ls tests/scenarios/bad | head -1)"
  "run run --paths 3000 -q --threads 2 --out OUT"
  "run-1thread run --paths 3000 -q --threads 1 --no-charts --out OUT"
  "run-policy run scenarios/eu-cap-65.ron --paths 2000 -q --out OUT"
  "run-floor run scenarios/ndpr-price-floor.ron --paths 2000 -q --no-charts --out OUT"
  "replay run --replay-path 17"
  "run-small run $small --paths 2000 -q --out OUT"
  "sweep sweep --cap 0.6:0.8:0.1 --paths 2048 -q --out OUT"
  "sweep-cap-goal sweep --cap 0.5:1:0.05 --goal P95<=0.28 --paths 2048 -q --out OUT"
  "sweep-set-cap sweep --set blocs.EU.stockpiles.gallium.initial_months=0,3 --set supplier_cap.level=0.6:0.8:0.1 --paths 2048 -q --out OUT"
  "sweep-goal sweep --set blocs.EU.stockpiles.gallium.initial_months=0:6:1 --goal P95<=0.2 --material gallium --paths 2048 -q --out OUT"
  "stress-cap stress-cap --paths 2048 -q --out OUT"
  "compare compare builtin:eu-2030 scenarios/us-stockpile-vault.ron --paths 2048 -q --out OUT"
  "sensitivity sensitivity --paths 16384 --top 2 -q --out OUT"
  "sensitivity-material sensitivity --material graphite --metric P95 --paths 16384 --top 2 -q --out OUT"
  "sensitivity-bloc sensitivity --bloc China --metric mean --paths 16384 --top 1 -q --out OUT"
  "bad-flag run --paths -3"
)

run_case() { # bin, folder
  local bin="$1" dir="$2" name args
  mkdir -p "$dir"
  for c in "${cases[@]}"; do
    name="${c%% *}"; args="${c#* }"
    args="${args//OUT/$dir/$name-out}"
    # shellcheck disable=SC2086
    set +e; "$bin" $args >"$dir/$name.stdout" 2>"$dir/$name.stderr"; echo $? >"$dir/$name.code"; set -e
    [ -d "$dir/$name-out" ] && cp -r "$dir/$name-out" "$dir/$name-files" && rm -rf "$dir/$name-out"
    if [ "$name" = run ]; then # plot redraws from the saved run
      set +e; "$bin" plot "$dir/$name-files" >"$dir/plot.stdout" 2>"$dir/plot.stderr"; echo $? >"$dir/plot.code"; set -e
    fi
  done
  # Blank what differs between any two runs: timings, timestamps, the folder's own path.
  find "$dir" -type f \( -name '*.json' -o -name '*.html' -o -name '*.stdout' -o -name '*.stderr' -o -name '*.csv' \) -print0 |
    xargs -0 sed -i -E -e 's/"elapsed_seconds": [0-9.e+-]+/"elapsed_seconds": 0/' \
      -e 's/"started_at": "[^"]*"/"started_at": ""/' -e "s#$dir#DIR#g" -e "s#$(dirname "$bin")#BIN#g" \
      -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z( · [0-9.]+ ?s)?/TIME/g' \
      -e 's/in [0-9.]+ ?(s|ms)\b/in T/g' -e 's/, [0-9.]+ s\.$/, T./'
}

# Both binaries are called `shortfall` (clap prints argv[0] in usage lines), each in its own folder.
mkdir -p "$work/bin-ref" "$work/bin-cand"
cp "$ref" "$work/bin-ref/shortfall"
cp "$cand" "$work/bin-cand/shortfall"
run_case "$work/bin-ref/shortfall" "$work/ref"
run_case "$work/bin-cand/shortfall" "$work/cand"
if diff -r "$work/ref" "$work/cand" >"$work/diff.txt"; then
  echo "same outputs: $(find "$work/ref" -type f | wc -l) files from ${#cases[@]} commands"
  rm -rf "$work"
else
  echo "outputs differ (kept in $work):"
  grep -E '^(diff|Only|Binary)' "$work/diff.txt" | head -40
  exit 1
fi

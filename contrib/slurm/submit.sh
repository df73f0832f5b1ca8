#!/usr/bin/env bash
# Submit a shortfall run (or sweep, or sensitivity analysis) to Slurm as a job array of shards
# and a dependent merge job.
#
#   contrib/slurm/submit.sh --paths 100000000 --shards 200 --out results/eu-2030-1e8 \
#       [--scenario my.ron] [--partition compute] [--cpus 4] [--seed 20260101] [--bin PATH]
#       [--time 02:00:00] [--wait] [--command run|sweep|sensitivity] [-- ARGS...]
#
# --command sweep|sensitivity shards an experiment (variants x sections; --paths is then per
# variant and optional); ARGS after `--` go to the command, e.g. `-- --cap 0.5:1:0.05`.
# The shard files and the jobs' logs go to OUT.work/ (kept: they are the run's raw state);
# the merged result goes to OUT, byte-identical (summary.json; sweep.csv; sensitivity.json) to
# one machine's with the same paths and seed. Prints the two job ids ("ARRAY MERGE"); with
# --wait, returns when the merge job has ended, with its exit status. See docs/scale-out.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
paths="" shards="" out="" scenario="builtin:eu-2030" partition="" cpus=1 seed=20260101
bin=$(command -v shortfall || true) time_limit="" wait="" command=run extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --paths) paths=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --partition) partition=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --time) time_limit=$2; shift 2 ;;
    --wait) wait=1; shift ;;
    --command) command=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "submit.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$command" in run|sweep|sensitivity) ;; *)
  echo "submit.sh: --command must be run, sweep or sensitivity" >&2; exit 2 ;;
esac
if { [ "$command" = run ] && [ -z "$paths" ]; } || [ -z "$shards" ] || [ -z "$out" ]; then
  echo "submit.sh: --shards, --out (and --paths for a run) are required (try --help)" >&2; exit 2
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "submit.sh: no shortfall executable (put it on PATH or give --bin)" >&2; exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# A scenario file is passed as an absolute path: tasks may start in another folder.
case "$scenario" in builtin:*) ;; *) scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario") ;; esac
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
work="$out.work"
mkdir -p "$work/shards" "$work/logs"
# The command's own arguments, one a line (they may hold commas, which --export cannot carry).
: > "$work/args"
[ ${#extra[@]} -eq 0 ] || printf '%s\n' "${extra[@]}" > "$work/args"
common=(--parsable --chdir "$work" --export "ALL,SHORTFALL=$bin,COMMAND=$command,SCENARIO=$scenario,PATHS=$paths,SHARDS=$shards,SEED=$seed,WORK=$work,OUT=$out")
[ -n "$partition" ] && common+=(--partition "$partition")
[ -n "$time_limit" ] && common+=(--time "$time_limit")
array=$(sbatch "${common[@]}" --array "0-$((shards - 1))" --cpus-per-task "$cpus" \
  --output "$work/logs/shard-%a.out" "$here/shard.sbatch")
array=${array%%;*}
merge=$(sbatch "${common[@]}" --dependency "afterok:$array" --kill-on-invalid-dep=yes \
  --output "$work/logs/merge.out" "$here/merge.sbatch")
merge=${merge%%;*}
echo "$array $merge"
if [ -n "$wait" ]; then
  while squeue -h -j "$array,$merge" 2>/dev/null | grep -q .; do sleep 1; done
  state=$(scontrol show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  echo "merge job $merge: ${state:-unknown}" >&2
  [ "$state" = COMPLETED ]
fi

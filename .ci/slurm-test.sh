#!/usr/bin/env bash
# The scale-out test that runs the real thing: a single-node Slurm cluster on this machine
# (munged, slurmctld, slurmd from Debian's slurm-wlm and munge, with a generated slurm.conf),
# the job array of contrib/slurm/submit.sh (4 shards of eu-2030) and its dependent merge job,
# then `cmp` of the merged summary.json against one `shortfall run` of the same paths and seed;
# then a small sweep the same way (3 shards across its 2 points), `cmp` of sweep.csv.
# It installs the packages when missing (root and apt-get needed; otherwise it skips, saying
# so) and stops the daemons it started, by their pids, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
paths=${SLURM_TEST_PATHS:-20000}
shards=${SLURM_TEST_SHARDS:-4}

skip() { echo "slurm test SKIPPED: $*"; exit 0; }
need_install=""
for tool in sbatch slurmctld slurmd munged; do
  command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null 2>&1 || need_install=1
done
if [ -n "$need_install" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    skip "slurm-wlm and munge are not installed and cannot be (needs root and apt-get)"
  fi
  echo "installing slurm-wlm and munge (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null \
    || skip "apt-get could not install slurm-wlm and munge"
fi
[ "$(id -u)" = 0 ] || skip "starting slurmd needs root"
export PATH=$PATH:/usr/sbin

bin=$root/target/release/shortfall
[ -x "$bin" ] || cargo build --release --locked
tmp=$(mktemp -d /tmp/shortfall-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" != 0 ]; then
    for log in "$tmp"/*.log "$tmp"/run.work/logs/* "$tmp"/sweep.work/logs/*; do
      [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; }
    done
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT INT TERM

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool"
chmod 755 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
munged -F --force --key-file "$tmp/munge/munge.key" --socket "$socket" \
  --pid-file "$tmp/munge/munged.pid" --log-file "$tmp/munged.log" \
  --seed-file "$tmp/munge/munged.seed" >"$tmp/munged.out" 2>&1 &
pids+=($!)

export SLURM_CONF=$tmp/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=shortfallci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURM_TEST_PORT:-6917}
SlurmdPort=$(( ${SLURM_TEST_PORT:-6917} + 1 ))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "munged did not start"; exit 1; }
slurmctld -D -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 60); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || { echo "the node is not idle after 60 s (sinfo: ${state:-no answer})"; exit 1; }
echo "single-node cluster up: $host, $cpus CPUs, ${mem_mb} MB; sinfo: $state"

start=$(date +%s%N)
ids=$(contrib/slurm/submit.sh --bin "$bin" --paths "$paths" --shards "$shards" \
  --out "$tmp/run" --partition ci --cpus 1 --wait)
slurm_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "array and merge jobs: $ids"

start=$(date +%s%N)
"$bin" run --paths "$paths" --quiet --no-charts --out "$tmp/one" >/dev/null
one_ms=$(( ($(date +%s%N) - start) / 1000000 ))

cmp "$tmp/run/summary.json" "$tmp/one/summary.json"
for f in summary.csv timeseries.csv check.json; do cmp "$tmp/run/$f" "$tmp/one/$f"; done
echo "slurm test PASSED: $shards shards of $paths eu-2030 paths through Slurm in $slurm_ms ms" \
  "(submit to merged); one machine ($cpus threads) in $one_ms ms; cmp summary.json: identical"

# An experiment through the same scripts: 2 points x 8 sections of a small scenario, 3 shards.
small=tests/scenarios/good/tension-triggers.ron
grid=disruptions.china-gallium-ban.annual_probability=0.1,0.3
start=$(date +%s%N)
contrib/slurm/submit.sh --bin "$bin" --command sweep --scenario "$small" --paths 2048 --shards 3 \
  --out "$tmp/sweep" --partition ci --cpus 1 --wait -- --set "$grid" >/dev/null
sweep_ms=$(( ($(date +%s%N) - start) / 1000000 ))
"$bin" sweep "$root/$small" --set "$grid" --paths 2048 --quiet --no-charts --out "$tmp/sweep-one" >/dev/null
cmp "$tmp/sweep/sweep.csv" "$tmp/sweep-one/sweep.csv"
echo "slurm sweep test PASSED: 3 shards of a 2-point sweep through Slurm in $sweep_ms ms; cmp sweep.csv: identical"

#!/usr/bin/env bash
# Runs a command against a private one-node Slurm cluster on this machine:
# Debian's munged, slurmctld and slurmd, started in the foreground of a
# temporary folder with their own slurm.conf on loopback (127.0.0.1, free
# ports), and stopped when the command ends. The command sees SLURM_CONF, so
# sbatch, squeue, scancel and sacct-less status queries reach this cluster
# only. Exit status: the command's; 77 (ctest's skip code) when the Slurm
# or munge programs are missing or the cluster does not come up.
#   tests/slurm/with_slurm.sh COMMAND [ARGS...]
set -uo pipefail

for prog in munged slurmctld slurmd sbatch sinfo; do
  if ! command -v "$prog" >/dev/null 2>&1; then
    echo "with_slurm: $prog not found (apt-get install slurmctld slurmd slurm-client munge)" >&2
    exit 77
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/bcbench-slurm.XXXXXX")
host=$(hostname -s)
# Two ports in 20000..59999 that nothing listens on.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while :; do
  ctld_port=$((20000 + RANDOM % 40000)); slurmd_port=$((ctld_port + 1))
  port_free "$ctld_port" && port_free "$slurmd_port" && break
done
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
chmod 755 "$dir/munge"  # munged wants its socket folder searchable

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  rm -rf "$dir"
}
trap cleanup EXIT

head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
# --force: the daemons of this private cluster run as the invoking user (root in CI).
munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
  --pid-file="$dir/munge/pid" --log-file="$dir/munge/log" --seed-file="$dir/munge/seed" \
  >"$dir/munge/out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$dir/munge/socket" ] && break; sleep 0.1; done

user=$(id -un)
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat >"$dir/slurm.conf" <<CONF
ClusterName=bcbench
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket
CredType=cred/munge
SlurmUser=$user
SlurmdUser=$user
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$dir/log/slurmd.out" 2>&1 &
pids+=($!)

# Up when the node is idle (slurmd registered with slurmctld).
up=0
for _ in $(seq 150); do
  if sinfo -h -N -o '%t' 2>/dev/null | grep -q '^idle'; then up=1; break; fi
  sleep 0.2
done
if [ "$up" != 1 ]; then
  echo "with_slurm: the one-node cluster did not come up in 30 s; logs:" >&2
  tail -n 20 "$dir"/log/* "$dir/munge/log" >&2 2>/dev/null
  exit 77
fi

export BCBENCH_SLURM_LOGS="$dir/log"
"$@"

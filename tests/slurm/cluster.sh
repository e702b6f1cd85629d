#!/usr/bin/env bash
# A real single-node Slurm cluster in one folder, for the Slurm executor's tests and for trying the executor by hand.
#   tests/slurm/cluster.sh start DIR   writes DIR/slurm.conf and a munge key, starts munged, slurmctld and slurmd,
#                                      waits until the node is idle, and prints the SLURM_CONF to export
#   tests/slurm/cluster.sh stop DIR    stops all three
# Needs root and Debian 12's slurm-wlm and munge (tests/prerequisites.sh installs them). Nothing outside DIR is
# touched: the daemons use their own ports, sockets, spool and state folders, so a host's own Slurm is unaffected.
set -euo pipefail

command=${1:?usage: cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: cluster.sh start|stop DIR}")

stop() {
  for daemon in slurmd slurmctld munged; do
    [ -f "$dir/$daemon.pid" ] && kill "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
  done
  for daemon in slurmd slurmctld munged; do
    for _ in $(seq 50); do
      [ -f "$dir/$daemon.pid" ] && kill -0 "$(cat "$dir/$daemon.pid")" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$dir/$daemon.pid"
  done
}

# A port nothing answers on (bash alone: a fresh Debian has no python3).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

start() {
  [ "$(id -u)" = 0 ] || { echo "cluster.sh: slurmd must run as root" >&2; exit 1; }
  mkdir -p "$dir"/{state,spool,munge}
  chmod 700 "$dir" "$dir/munge"
  local node cpus memory
  node=$(hostname -s)
  cpus=$(nproc)
  memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  [ -f "$dir/munge.key" ] || { head -c 1024 /dev/urandom > "$dir/munge.key"; chmod 400 "$dir/munge.key"; }
  cat > "$dir/slurm.conf" <<CONF
ClusterName=weblab-test
SlurmctldHost=$node
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
MpiDefault=none
ReturnToService=2
MinJobAge=3600
SlurmdTimeout=30
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=lab Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  munged --key-file="$dir/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" --force
  slurmctld -f "$SLURM_CONF" -i
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 120); do
    state=$(sinfo -h -n "$node" -o %t 2>/dev/null || true)
    if [ "$state" = idle ]; then echo "SLURM_CONF=$SLURM_CONF"; return 0; fi
    sleep 0.5
  done
  echo "cluster.sh: the node did not become idle (state: ${state:-none}); see $dir/*.log" >&2
  stop
  exit 1
}

case $command in
  start) start ;;
  stop) stop ;;
  *) echo "usage: cluster.sh start|stop DIR" >&2; exit 2 ;;
esac

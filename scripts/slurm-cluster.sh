#!/usr/bin/env bash
# A real Slurm cluster on loopback, for the Slurm launcher's tests and for trying it:
# munged, slurmctld and two slurmd (node1 at 127.0.0.1, node2 at 127.0.0.4 with a fake GPU as
# a `gpu` GRES), all from Debian's packages, configured in a state directory of their own.
# A third node, node3 at 127.0.0.5, alone in partition `private` (never the default), stands for
# a node without the shared file system: its slurmd runs in a mount namespace of its own where
# the tests' engine home ($ISOLATED_TEST_HOME, or .build/isolated-test-home) is an empty tmpfs.
#   scripts/slurm-cluster.sh start [DIR]   # installs the packages when missing; prints SLURM_CONF=…
#   scripts/slurm-cluster.sh stop [DIR]
# DIR defaults to .build/slurm. Needs root (slurmd manages cgroups and runs jobs as their user).
set -euo pipefail
cd "$(dirname "$0")/.."
command="${1:-start}"
state="$(realpath -m "${2:-.build/slurm}")"
conf="$state/slurm.conf"
host="$(hostname -s)"

# The nodes first, then the controller, munge last: slurmctld shutting down still talks to
# munged, and without it does not exit. Each gets 10 s after SIGTERM, then SIGKILL.
stop() {
    for pidfile in "$state"/slurmd-*.pid "$state"/slurmctld.pid "$state"/munged.pid; do
        [ -e "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
        fi
        rm -f "$pidfile"
    done
}

if [ "$command" = stop ]; then
    stop
    exit 0
fi
[ "$command" = start ] || { echo "usage: $0 start|stop [DIR]" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v srun >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

stop
mkdir -p "$state"/{munge,ctld,node1,node2,node3,log}
private_home="$(realpath -m "${ISOLATED_TEST_HOME:-.build/isolated-test-home}")"
mkdir -p "$private_home"
chmod 700 "$state/munge"
# munge: a key and a socket of this cluster's own, so the system's munged (if any) is left alone.
[ -s "$state/munge/munge.key" ] || dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$state/munge/munge.key"
munged --force --key-file="$state/munge/munge.key" --socket="$state/munge/socket" \
    --pid-file="$state/munged.pid" --log-file="$state/log/munged.log" --seed-file="$state/munge/seed"

# The fake GPU: a character device node a GRES can name (slurmd marks a node whose GRES file is
# missing INVAL). It is /dev/null's device, so opening it is harmless.
[ -e "$state/fake-gpu0" ] || mknod "$state/fake-gpu0" c 1 3

cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
cat > "$conf" <<CONF
ClusterName=isolated
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$state/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/%n
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd-%n.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd-%n.log
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=node1 NodeHostname=$host NodeAddr=127.0.0.1 Port=16818 CPUs=$cpus RealMemory=$memory State=UNKNOWN
NodeName=node2 NodeHostname=$host NodeAddr=127.0.0.4 Port=16819 CPUs=$cpus RealMemory=$memory Gres=gpu:1 Feature=gpu State=UNKNOWN
NodeName=node3 NodeHostname=$host NodeAddr=127.0.0.5 Port=16820 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=node1,node2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
PartitionName=private Nodes=node3 MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
cat > "$state/gres.conf" <<CONF
NodeName=node2 Name=gpu File=$state/fake-gpu0
CONF
cat > "$state/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainDevices=no
CONF

export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -f "$conf" -N node1
slurmd -f "$conf" -N node2
unshare --mount --propagation private sh -c 'mount -t tmpfs isolated-private-home "$1" && exec slurmd -f "$2" -N node3' sh "$private_home" "$conf"
for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qv -E 'unk|down|inval|drain'; then
        idle=$(sinfo -h -N -o '%N %T' | grep -c -E 'idle|mix|alloc' || true)
        [ "$idle" -ge 3 ] && break
    fi
    sleep 0.5
done
sinfo -N -o '%N %T %G %f' >&2
echo "SLURM_CONF=$conf"

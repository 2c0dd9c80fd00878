#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the sweep tests and for trying `ns3ts sweep
# --executor slurm` without a real cluster.
#
#   scripts/slurm-local.sh start    configure (munge key, slurm.conf) and start munged, slurmctld,
#                                   slurmd; wait until the node is idle. Idempotent.
#   scripts/slurm-local.sh stop     stop the daemons this script started (and only those).
#   scripts/slurm-local.sh status   print the daemons' state and `sinfo`.
#
# The partition lets jobs that ask for it (sbatch --oversubscribe) share cores, up to 8 per core:
# the cluster tests run more simulators than this machine has cores.
#
# Runs as root. Needs the Debian/Ubuntu packages `slurm-wlm` and `munge` (slurmctld, slurmd,
# slurm-client). Works on a fresh machine where those were just installed: it creates the munge
# key if it is missing, the runtime and state directories, and a slurm.conf for this host.
# Environment: SLURM_LOCAL_WAIT (seconds to wait for the node, default 60),
# SLURM_LOCAL_PARTITION (default partition name, default "debug").
set -euo pipefail

readonly SLURM_CONF=/etc/slurm/slurm.conf
readonly MUNGE_KEY=/etc/munge/munge.key
readonly MUNGE_RUN=/run/munge
readonly OWN_DIR=/run/ns3ts-slurm          # pid files of the daemons this script started
readonly LOG_DIR=/var/log/slurm
readonly CTLD_STATE=/var/spool/slurmctld
readonly SLURMD_SPOOL=/var/spool/slurmd
readonly CTLD_PID=/run/slurmctld.pid
readonly SLURMD_PID=/run/slurmd.pid
readonly MUNGED_PID=$MUNGE_RUN/munged.pid
readonly MARKER='# Written by ns3ts scripts/slurm-local.sh'
readonly WAIT_SECONDS=${SLURM_LOCAL_WAIT:-60}
readonly PARTITION=${SLURM_LOCAL_PARTITION:-debug}

log() { printf 'slurm-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it writes /etc/slurm and starts system daemons)"
}

need_commands() {
  local missing=()
  for c in munged munge unmunge slurmctld slurmd sinfo scontrol; do
    command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: install them with 'apt-get install slurm-wlm munge'"
}

# A pid from a pid file, if that process is alive and is the named program.
live_pid() {
  local file=$1 name=$2 pid
  [ -r "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  grep -q "$name" "/proc/$pid/comm" 2>/dev/null || grep -qa "$name" "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# Records that this script started a daemon, so that `stop` ends it and nothing else.
remember() {
  local name=$1 pidfile=$2 pid
  mkdir -p "$OWN_DIR"
  for _ in $(seq 1 50); do
    if pid=$(live_pid "$pidfile" "$name"); then
      printf '%s\n' "$pid" >"$OWN_DIR/$name.pid"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

setup_munge() {
  if [ ! -s "$MUNGE_KEY" ]; then
    log "creating the munge key $MUNGE_KEY"
    mkdir -p "$(dirname "$MUNGE_KEY")"
    if [ -x /usr/sbin/mungekey ]; then
      /usr/sbin/mungekey --create --keyfile="$MUNGE_KEY" --force
    else
      dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none
    fi
  fi
  chown munge:munge /etc/munge "$MUNGE_KEY"
  chmod 0700 /etc/munge
  chmod 0400 "$MUNGE_KEY"
  mkdir -p "$MUNGE_RUN" /var/lib/munge /var/log/munge
  chown munge:munge "$MUNGE_RUN" /var/lib/munge /var/log/munge
  chmod 0755 "$MUNGE_RUN"
  chmod 0700 /var/log/munge
  chmod 0711 /var/lib/munge
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged is running"
    return 0
  fi
  log "starting munged"
  rm -f "$MUNGED_PID"
  if command -v runuser >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGED_PID"
  else
    su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=$MUNGED_PID"
  fi
  remember munged "$MUNGED_PID" || true
  for _ in $(seq 1 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  print_logs
  die "munged does not answer (munge -n | unmunge fails)"
}

write_conf() {
  local host node_line cpus memory
  host=$(hostname -s)
  # slurmd -C reports this machine's CPUs, sockets, cores, threads and memory in slurm.conf form.
  node_line=$(slurmd -C 2>/dev/null | head -1)
  if ! printf '%s' "$node_line" | grep -q '^NodeName='; then
    cpus=$(nproc)
    memory=$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)
    node_line="NodeName=$host CPUs=$cpus RealMemory=$memory"
  fi
  # Address by IP so that the cluster works even where the host name does not resolve.
  node_line="$(printf '%s' "$node_line" | sed -E "s/^NodeName=[^ ]+/NodeName=$host NodeAddr=127.0.0.1/") State=UNKNOWN"

  local conf
  conf=$(cat <<EOF
$MARKER for host $host: a one-node cluster on localhost.
ClusterName=ns3ts-local
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$CTLD_STATE
SlurmdSpoolDir=$SLURMD_SPOOL
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=10
Waittime=0
MaxArraySize=10001
$node_line
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES:8
EOF
)
  mkdir -p "$(dirname "$SLURM_CONF")"
  if [ -f "$SLURM_CONF" ] && ! grep -q "^$MARKER" "$SLURM_CONF"; then
    log "keeping a copy of the existing $SLURM_CONF as $SLURM_CONF.before-ns3ts"
    cp -p "$SLURM_CONF" "$SLURM_CONF.before-ns3ts"
  fi
  if [ ! -f "$SLURM_CONF" ] || [ "$(cat "$SLURM_CONF")" != "$conf" ]; then
    printf '%s\n' "$conf" >"$SLURM_CONF.tmp"
    chmod 0644 "$SLURM_CONF.tmp"
    mv "$SLURM_CONF.tmp" "$SLURM_CONF"
    log "wrote $SLURM_CONF"
    CONF_CHANGED=1
  fi
  mkdir -p "$CTLD_STATE" "$SLURMD_SPOOL" "$LOG_DIR" /var/lib/slurm
  chmod 0755 "$CTLD_STATE" "$SLURMD_SPOOL" "$LOG_DIR"
}

start_daemons() {
  local pid
  if pid=$(live_pid "$CTLD_PID" slurmctld); then
    if [ "${CONF_CHANGED:-0}" = 1 ]; then
      log "slurm.conf changed: reconfiguring the running slurmctld ($pid)"
      scontrol reconfigure >/dev/null 2>&1 || true
    else
      log "slurmctld is running ($pid)"
    fi
  else
    log "starting slurmctld"
    rm -f "$CTLD_PID"
    /usr/sbin/slurmctld
    remember slurmctld "$CTLD_PID" || { print_logs; die "slurmctld did not start"; }
  fi
  if pid=$(live_pid "$SLURMD_PID" slurmd); then
    log "slurmd is running ($pid)"
  else
    log "starting slurmd"
    rm -f "$SLURMD_PID"
    /usr/sbin/slurmd
    remember slurmd "$SLURMD_PID" || { print_logs; die "slurmd did not start"; }
  fi
}

node_state() {
  sinfo -h -N -o '%t' 2>/dev/null | head -1 | tr -d ' '
}

wait_idle() {
  local host state deadline resumed=0
  host=$(hostname -s)
  deadline=$((SECONDS + WAIT_SECONDS))
  while [ $SECONDS -lt $deadline ]; do
    state=$(node_state || true)
    case "$state" in
      idle|mix|alloc|comp)
        log "node $host is $state; partition $PARTITION is up"
        return 0 ;;
      drain*|down*|drng|fail*)
        # A node left down or drained by an earlier run: bring it back once.
        if [ $resumed = 0 ]; then
          scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi ;;
    esac
    sleep 0.5
  done
  log "the node did not become idle within ${WAIT_SECONDS}s (state: ${state:-none})"
  sinfo -N -l 2>&1 | sed 's/^/  /' >&2 || true
  print_logs
  exit 1
}

print_logs() {
  for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" /var/log/munge/munged.log; do
    if [ -r "$f" ]; then
      log "---- last lines of $f"
      tail -n 40 "$f" >&2 || true
    fi
  done
}

stop_own() {
  local name pid
  # slurmd first (it reports to slurmctld), munged last (both authenticate through it).
  for name in slurmd slurmctld munged; do
    [ -r "$OWN_DIR/$name.pid" ] || continue
    pid=$(tr -dc '0-9' <"$OWN_DIR/$name.pid")
    if [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -qa "$name" "/proc/$pid/cmdline" 2>/dev/null; then
      log "stopping $name ($pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
      done
      if [ -d "/proc/$pid" ]; then
        log "$name ($pid) did not stop in 10s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$OWN_DIR/$name.pid"
  done
}

status() {
  local name file pid ok=0
  for name in munged slurmctld slurmd; do
    case $name in
      munged) file=$MUNGED_PID ;;
      slurmctld) file=$CTLD_PID ;;
      slurmd) file=$SLURMD_PID ;;
    esac
    if pid=$(live_pid "$file" "$name"); then
      printf '%-10s running (pid %s)%s\n' "$name" "$pid" "$([ -r "$OWN_DIR/$name.pid" ] && echo ', started by this script')"
    else
      printf '%-10s not running\n' "$name"
      ok=1
    fi
  done
  sinfo 2>&1 || ok=1
  return $ok
}

case "${1:-}" in
  start)
    need_root
    need_commands
    CONF_CHANGED=0
    setup_munge
    start_munge
    write_conf
    start_daemons
    wait_idle
    ;;
  stop)
    need_root
    stop_own
    ;;
  status)
    status
    ;;
  *)
    printf 'usage: %s start|stop|status\n' "$0" >&2
    exit 2
    ;;
esac

# Helpers shared by the fleet scripts (sourced, not run).
# shellcheck shell=bash

RESOURCES=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=env.sh
. "$RESOURCES/scripts/env.sh"
# shellcheck disable=SC2034  # used by the scripts that source this file
WORKDIR=$TENCENTOS_FLEET_WORKDIR

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Seconds since the epoch with milliseconds, for the timings every script prints.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (podman as root, debootstrap, apt-get)"; }

# Every podman call must use our containers.conf; fail early with the fix instead of podman's
# setrlimit/cgroup errors when prepare-machine.sh has not run yet.
need_podman_conf() {
  [ -f "$CONTAINERS_CONF" ] || die "$CONTAINERS_CONF missing: run molecule/resources/scripts/prepare-machine.sh"
}

# The pid in PIDFILE if that process is still the mirror's http.server on ADDRESS:$REPO_PORT (a pid file
# outlives its process, and the pid may have been reused); fails otherwise.
#   mirror_server_pid PIDFILE ADDRESS
mirror_server_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] || return 1
  { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q "http.server --bind $2 $REPO_PORT " || return 1
  echo "$pid"
}

# Images and container names are machine-wide, whatever the WORKDIR: two runs of the same script
# (a developer's and CI's, or two WORKDIRs) wait for each other instead of colliding.
#   machine_lock NAME "$@"   at the top of a script: runs the script again under flock(1).
# flock -o keeps the lock in flock's own process: processes the script leaves running (conmon and
# slirp4netns of a started container) must not inherit the lock, or it would be held until they stop.
machine_lock() {
  local name=$1 file=/run/lock/tencentos-fleet-$1.lock
  shift
  [ "${TENCENTOS_FLEET_LOCKED:-}" = "$name" ] && return 0
  mkdir -p /run/lock
  flock -n "$file" true || log "waiting for another $name run to finish ($file)"
  TENCENTOS_FLEET_LOCKED=$name exec flock -o -w 900 "$file" bash "$0" "$@"
}

# sha256 of a list of files and directories (contents and relative names), stable across checkouts.
tree_sha256() {
  local p
  for p in "$@"; do
    if [ -d "$p" ]; then
      # shellcheck disable=SC2016  # the inner script is single-quoted on purpose
      (cd "$p" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
        xargs -0r sh -c 'for f; do printf "%s\n" "$f"; if [ -L "$f" ]; then readlink "$f"; else cat "$f"; fi; done' _)
    else
      printf '%s\n' "$(basename "$p")"; cat "$p"
    fi
  done | sha256sum | cut -d' ' -f1
}

# Reads a YAML list of flat mappings (fleet.yml, mirror/packages.yml) and prints the named fields
# tab-separated, one item a line; no PyYAML needed on the machine.
yaml_table() { python3 "$RESOURCES/scripts/yaml_table.py" "$@"; }

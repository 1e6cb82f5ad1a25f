#!/usr/bin/env bash
# Serves the local mirror ($WORKDIR/mirror) on 127.0.0.1:$REPO_PORT with python3's http.server.
#   serve-repo.sh start    # idempotent; waits until the repositories answer
#   serve-repo.sh stop
#   serve-repo.sh status   # exit 0 only when every repository's repomd.xml is served
# Hosts reach it as $REPO_URL_GUEST (slirp4netns maps the machine's loopback to 10.0.2.2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MIRROR=$WORKDIR/mirror
PIDFILE=$WORKDIR/serve-repo.pid
LOGFILE=$WORKDIR/serve-repo.log

# The pid in the file is ours only while it still runs our server (pids are reused).
server_pid() { mirror_server_pid "$PIDFILE" 127.0.0.1; }

repos() { yaml_table "$RESOURCES/mirror/packages.yml" repo | sort -u; }

# Every repository answers with its repomd.xml.
check() {
  local repo ok=0
  for repo in $(repos); do
    if curl -fsS --noproxy '*' -o /dev/null --max-time 2 "$REPO_URL_HOST/$repo/repodata/repomd.xml" 2>/dev/null; then
      [ "${1:-}" = quiet ] || echo "  ok   $REPO_URL_HOST/$repo/"
    else
      [ "${1:-}" = quiet ] || echo "  FAIL $REPO_URL_HOST/$repo/"
      ok=1
    fi
  done
  return $ok
}

start() {
  local pid t
  if pid=$(server_pid); then echo "serve-repo: already running (pid $pid) on $REPO_URL_HOST"; return; fi
  [ -f "$MIRROR/.definition-sha256" ] || die "$MIRROR not built: run molecule/resources/scripts/build-repo.sh"
  # The port is the machine's: another WORKDIR's server (or anything else) may hold it.
  if curl -s --noproxy '*' -o /dev/null --max-time 2 "$REPO_URL_HOST/"; then
    die "something else already listens on 127.0.0.1:$REPO_PORT (another WORKDIR's serve-repo.sh?); stop it first"
  fi
  t=$(now)
  # setsid: the server outlives the shell (make, CI step) that started it, until `stop`.
  setsid python3 -m http.server --bind 127.0.0.1 "$REPO_PORT" --directory "$MIRROR" > "$LOGFILE" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$PIDFILE"
  for _ in $(seq 1 50); do
    # kill -0, not server_pid: until the child has exec'd python its cmdline is still this script's.
    kill -0 "$pid" 2>/dev/null || die "server exited: $(tail -n 3 "$LOGFILE")"
    check quiet && break
    sleep 0.1
  done
  check quiet || die "mirror not answering on $REPO_URL_HOST after 5 s, see $LOGFILE"
  echo "serve-repo: serving $MIRROR on $REPO_URL_HOST (guests: $REPO_URL_GUEST), pid $(cat "$PIDFILE"), up in $(since "$t")"
}

stop() {
  local pid
  if ! pid=$(server_pid); then rm -f "$PIDFILE"; echo "serve-repo: not running"; return; fi
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && die "server pid $pid did not stop"
  rm -f "$PIDFILE"
  echo "serve-repo: stopped (pid $pid)"
}

status() {
  local pid
  if ! pid=$(server_pid); then echo "serve-repo: not running"; return 1; fi
  echo "serve-repo: running (pid $pid) on $REPO_URL_HOST, serving $MIRROR"
  check
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

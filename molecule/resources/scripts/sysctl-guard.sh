#!/usr/bin/env bash
# Proves a test run left the machine's own kernel settings alone.
#   sysctl-guard.sh save  [FILE]   # before the run: record `sysctl -a` of the machine
#   sysctl-guard.sh check [FILE]   # after it: exit 1 and list every key that changed, appeared or vanished
# FILE defaults to $WORKDIR/sysctl-guard.saved. Run it on the machine (its network namespace is the
# machine's); the hosts' own namespaces are not the machine's business.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SAVED=${2:-$WORKDIR/sysctl-guard.saved}

# Keys the kernel changes by itself, so a difference says nothing about a test:
IGNORE=(
  '^kernel\.random\.(entropy_avail|uuid|boot_id) '   # entropy pool, a new uuid on every read
  '^kernel\.ns_last_pid '                            # last pid handed out
  '^kernel\.pty\.nr '                                # open ptys
  '^kernel\.perf_event_max_sample_rate '             # lowered by the kernel when perf interrupts run long
  '^fs\.(dentry|inode)-(state|nr) '                  # cache statistics
  '^fs\.(file|aio)-nr '                              # open files, aio requests
  '^fs\.quota\.'                                     # quota statistics (lookups, syncs, ...)
  '^[a-z0-9_.-]+-(nr|state) '                        # any other counter or state table
  '^net\.netfilter\.nf_conntrack_count '             # tracked connections
)

snapshot() {
  local pattern
  pattern=$(IFS='|'; echo "${IGNORE[*]}")
  # Unreadable keys (write-only switches, stable_secret) are left out by sysctl -a with a message.
  sysctl -a 2>/dev/null | grep -Ev "$pattern" | LC_ALL=C sort
}

case ${1:-} in
  save)
    mkdir -p "$(dirname "$SAVED")"
    snapshot > "$SAVED"
    echo "sysctl-guard: saved $(wc -l < "$SAVED") keys of this machine to $SAVED"
    ;;
  check)
    [ -f "$SAVED" ] || die "nothing saved at $SAVED: run '$0 save' before the test run"
    current=$(mktemp)
    trap 'rm -f "$current"' EXIT
    snapshot > "$current"
    # key -> value in both snapshots (a multi-line value, such as kernel.core_modes, is one line per
    # value under the same key); report changed, new and vanished keys.
    changes=$(awk -F' = ' '
      { v = substr($0, length($1) + 4) }
      NR == FNR { if ($1 in before) v = before[$1] ", " v; before[$1] = v; next }
      { if ($1 in after) v = after[$1] ", " v; after[$1] = v }
      END {
        for (k in after)
          if (!(k in before)) print "  new      " k " = " after[k]
          else if (before[k] != after[k]) print "  changed  " k ": " before[k] " -> " after[k]
        for (k in before) if (!(k in after)) print "  vanished " k " = " before[k]
      }' "$SAVED" "$current" | LC_ALL=C sort -k2)
    if [ -n "$changes" ]; then
      echo "sysctl-guard: the machine's kernel settings changed since $SAVED was saved:"
      printf '%s\n' "$changes"
      exit 1
    fi
    echo "sysctl-guard: no change in $(wc -l < "$current") keys of this machine since $(date -r "$SAVED" +%T)"
    ;;
  *) echo "usage: $0 save|check [FILE]" >&2; exit 2 ;;
esac

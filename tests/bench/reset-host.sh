#!/bin/sh
# reset-host.sh KEY=VALUE...   (run on a bench host by reset.yml; untimed)
# Puts the host back where each measured apply of `make bench` starts: neither bench file in
# /etc/sysctl.d, and every profile key at the value it had before the first reset. Those values are
# recorded at the first reset (a fresh host: the network namespace's defaults) and restored from then
# on, so every measurement starts from the same state. Fails if a key already holds the profile's
# value, because the measured first run must change all of them.
set -eu

ORIGINAL=/var/lib/tencentos-bench/original.conf

rm -f /etc/sysctl.d/99-bench-profile.conf /etc/sysctl.d/98-bench-posix.conf
if [ ! -f "$ORIGINAL" ]; then
  mkdir -p "${ORIGINAL%/*}"
  for pair in "$@"; do sysctl "${pair%%=*}"; done > "$ORIGINAL.tmp"   # "key = value" lines
  mv "$ORIGINAL.tmp" "$ORIGINAL"
fi
sysctl -q -p "$ORIGINAL"

# The kernel prints multi-value keys with tabs, the profile has spaces: compare with runs of blanks as one.
blanks() { printf '%s\n' "$1" | tr -s '[:blank:]' ' '; }
same=''
for pair in "$@"; do
  key=${pair%%=*}
  if [ "$(blanks "$(sysctl -n "$key")")" = "$(blanks "${pair#*=}")" ]; then same="$same $key"; fi
done
if [ -n "$same" ]; then
  echo "already at the profile's value after the reset:$same" >&2
  exit 1
fi

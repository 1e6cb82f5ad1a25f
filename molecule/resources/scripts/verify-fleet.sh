#!/usr/bin/env bash
# Checks that the running demo fleet presents what fleet.yml and releases/*/kernel.conf say, and
# that doing sysctl work inside the hosts leaves the machine alone:
#   - /proc/sys/kernel/osrelease, a boot_id of its own, kernel.stats_isolated, cgroupfs in
#     /proc/filesystems, /sys/kernel/livepatch and /sys/kernel/kpatch, /etc/os-release VERSION_ID
#   - net.core.somaxconn is writable inside (own network namespace) and unchanged on the machine;
#     a global key (vm.swappiness) cannot be written
#   - kernel.isolate_max_map_count as kernel.conf says; with the gate at 1 vm.max_map_count is writable
#     inside (the PID namespace's own) and the write does not reach the machine; at 0 it cannot be written
#   - the mirror answers at $REPO_URL_GUEST (when serve-repo.sh runs)
#   - a restart is a reboot: new boot_id, the simulation presented again
#   - the boot simulation: grubenv (1024 bytes) and the boot entries select the running kernel, boots.log
#     records the boot; on the first host the reboot stand-in (shutdown -r now / reboot) reboots it in
#     place, a one-time next_entry boots another (stand-in) kernel once, and a kernel listed in
#     /etc/tencentos-sim/panic-kernels "panics" so that the host comes back on saved_entry
#   - the machine's sysctls are unchanged afterwards (sysctl-guard.sh)
# Needs `fleet.sh up`. Ends with "N passed, N failed"; exit 1 on any failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root; need_podman_conf

passed=0 failed=0
result() { # result OK|FAIL HOST TEXT
  if [ "$1" = ok ]; then passed=$((passed + 1)); echo "  ok    $2: $3"
  else failed=$((failed + 1)); echo "  FAIL  $2: $3"; fi
}
expect() { # expect HOST TEXT COMMAND...
  local host=$1 text=$2; shift 2
  if "$@" >/dev/null 2>&1; then result ok "$host" "$text"; else result FAIL "$host" "$text"; fi
}

guard=$(mktemp)
trap 'rm -f "$guard"' EXIT
"$RESOURCES/scripts/sysctl-guard.sh" save "$guard" >/dev/null
machine_boot_id=$(cat /proc/sys/kernel/random/boot_id)
machine_somaxconn=$(cat /proc/sys/net/core/somaxconn)
machine_max_map_count=$(cat /proc/sys/vm/max_map_count)
# A value the machine does not have, so that a write that leaked would show.
probe_max_map_count=262144
[ "$machine_max_map_count" != "$probe_max_map_count" ] || probe_max_map_count=262145
mirror_up=no
"$RESOURCES/scripts/serve-repo.sh" status >/dev/null 2>&1 && mirror_up=yes

# Runs inside a host: prints "ok|FAIL <check>" lines. Expected values come in the environment.
# shellcheck disable=SC2016
inside='
check() { if eval "$2" >/dev/null 2>&1; then echo "ok $1"; else echo "FAIL $1"; fi; }
check "osrelease is $KERNEL" "[ \"\$(cat /proc/sys/kernel/osrelease)\" = \"$KERNEL\" ]"
check "boot_id is not the machine'"'"'s" "[ \"\$(cat /proc/sys/kernel/random/boot_id)\" != \"$MACHINE_BOOT_ID\" ]"
case $STATS in
  absent) check "kernel.stats_isolated absent" "! sysctl kernel.stats_isolated" ;;
  *) check "kernel.stats_isolated = $STATS" "[ \"\$(sysctl -n kernel.stats_isolated)\" = \"$STATS\" ]" ;;
esac
case $CGROUPFS in
  yes) check "cgroupfs in /proc/filesystems" "grep -qw cgroupfs /proc/filesystems" ;;
  *) check "no cgroupfs in /proc/filesystems" "! grep -qw cgroupfs /proc/filesystems" ;;
esac
case $LIVEPATCH in livepatch|both) lp=yes ;; *) lp=no ;; esac
case $LIVEPATCH in kpatch|both) kp=yes ;; *) kp=no ;; esac
check "/sys/kernel/livepatch present=$lp" "[ -d /sys/kernel/livepatch ] && [ $lp = yes ] || { [ ! -e /sys/kernel/livepatch ] && [ $lp = no ]; }"
check "/sys/kernel/kpatch present=$kp" "[ -d /sys/kernel/kpatch ] && [ $kp = yes ] || { [ ! -e /sys/kernel/kpatch ] && [ $kp = no ]; }"
check "real /sys/kernel entries still there" "[ -e /sys/kernel/mm ] && cat /sys/kernel/address_bits"
check "os-release VERSION_ID=$VERSION" "( . /etc/os-release; [ \"\$VERSION_ID\" = \"$VERSION\" ] )"
old=$(sysctl -n net.core.somaxconn)
check "net.core.somaxconn writable in its own netns" "sysctl -w net.core.somaxconn=1234 && [ \"\$(sysctl -n net.core.somaxconn)\" = 1234 ]"
sysctl -qw net.core.somaxconn="$old" || true
check "global vm.swappiness not writable" "! sysctl -w vm.swappiness=1"
# On a gate-1 host the write is left in place: the machine is compared while it holds (put back below).
case $ISOLATE_MMC in
  absent) check "kernel.isolate_max_map_count absent" "! sysctl kernel.isolate_max_map_count" ;;
  *) check "kernel.isolate_max_map_count = $ISOLATE_MMC" "[ \"\$(sysctl -n kernel.isolate_max_map_count)\" = \"$ISOLATE_MMC\" ]" ;;
esac
case $ISOLATE_MMC in
  1) check "vm.max_map_count writable (owned by the PID namespace)" "sysctl -w vm.max_map_count=$PROBE_MMC && [ \"\$(sysctl -n vm.max_map_count)\" = $PROBE_MMC ]" ;;
  *) check "vm.max_map_count not writable (global to the machine)" "! sysctl -w vm.max_map_count=$PROBE_MMC" ;;
esac
check "grubenv is a 1024-byte GRUB environment block" "[ \"\$(stat -c %s /boot/grub2/grubenv)\" = 1024 ] && [ \"\$(head -n1 /boot/grub2/grubenv)\" = \"# GRUB Environment Block\" ]"
check "saved_entry selects $KERNEL" "[ \"\$(tencentos-sim-bootloader resolve \"\$(tencentos-sim-bootloader editenv get saved_entry)\")\" = \"$KERNEL\" ]"
case $BOOTLOADER in
  legacy) check "grub.cfg has the menuentry of $KERNEL" "grep -A4 \"^menuentry .*($KERNEL) \" /boot/grub2/grub.cfg | grep -q \"linux16 /vmlinuz-$KERNEL \"" ;;
  bls) check "BLS entry <machine-id>-$KERNEL.conf" "grep -qx \"linux /vmlinuz-$KERNEL\" \"/boot/loader/entries/\$(cat /etc/machine-id)-$KERNEL.conf\"" ;;
esac
check "boots.log records this boot" "tail -n1 /var/log/tencentos-sim/boots.log | grep -q \"boot_id=\$(cat /proc/sys/kernel/random/boot_id) kernel=$KERNEL \""
check "shutdown and reboot are the stand-ins of the simulation" "[ \"\$(readlink /usr/sbin/shutdown)\" = /usr/local/sbin/tencentos-sim-shutdown ] && [ \"\$(readlink /usr/sbin/reboot)\" = /usr/local/sbin/tencentos-sim-shutdown ]"
if [ "$MIRROR_UP" = yes ]; then
  check "mirror answers at $MIRROR_URL" "python3 -c \"import urllib.request; urllib.request.urlopen(\\\"$MIRROR_URL\\\", timeout=5)\""
fi
'

while IFS='|' read -r name release version kernel repos; do
  c=tencentos-fleet-$name
  if [ "$(podman container inspect --format '{{.State.Status}}' "$c" 2>/dev/null)" != running ]; then
    result FAIL "$name" "container $c is not running (fleet.sh up)"; continue
  fi
  stats_isolated=absent cgroupfs=no livepatch=none bootloader='' isolate_max_map_count=absent
  # shellcheck source=/dev/null
  . <(grep -E '^(stats_isolated|cgroupfs|livepatch|bootloader|isolate_max_map_count)=' "$RESOURCES/releases/$release/kernel.conf")
  while read -r status text; do
    result "$status" "$name" "$text"
  done < <(podman exec -e KERNEL="$kernel" -e MACHINE_BOOT_ID="$machine_boot_id" -e STATS="$stats_isolated" \
      -e BOOTLOADER="$bootloader" -e ISOLATE_MMC="$isolate_max_map_count" -e PROBE_MMC="$probe_max_map_count" \
      -e CGROUPFS="$cgroupfs" -e LIVEPATCH="$livepatch" -e VERSION="$version" -e MIRROR_UP="$mirror_up" \
      -e MIRROR_URL="$REPO_URL_GUEST/${repos%% *}/repodata/repomd.xml" "$c" sh -c "$inside")
  expect "$name" "machine's net.core.somaxconn still $machine_somaxconn" \
    test "$(cat /proc/sys/net/core/somaxconn)" = "$machine_somaxconn"
  expect "$name" "machine's vm.max_map_count still $machine_max_map_count" \
    test "$(cat /proc/sys/vm/max_map_count)" = "$machine_max_map_count"
  if [ "$isolate_max_map_count" = 1 ]; then
    podman exec "$c" sysctl -qw vm.max_map_count="$machine_max_map_count" || true
  fi
done < <(yaml_table --sep '|' "$RESOURCES/fleet.yml" name release version kernel_release mirror_repos)

# A restart is a reboot of the simulated kernel.
first=$(yaml_table "$RESOURCES/fleet.yml" name | sed -n 1p)
c=tencentos-fleet-$first
if [ "$(podman container inspect --format '{{.State.Status}}' "$c" 2>/dev/null)" = running ]; then
  before=$(podman exec "$c" cat /proc/sys/kernel/random/boot_id)
  t=$(now)
  podman restart -t 5 "$c" >/dev/null
  for _ in $(seq 1 100); do podman exec "$c" test -f /run/tencentos-sim/booted 2>/dev/null && break; sleep 0.2; done
  after=$(podman exec "$c" cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
  expect "$first" "restart gives a new boot_id ($(since "$t"))" test "$before" != "$after" -a "$after" != none
  expect "$first" "restart presents the simulated kernel again" \
    test "$(podman exec "$c" cat /proc/sys/kernel/osrelease)" = "$(yaml_table "$RESOURCES/fleet.yml" kernel_release | sed -n 1p)"
fi

# The boot simulation on the first host: reboots through the stand-in, next_entry once, a panic.
boot_id_of() { podman exec "$c" cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none; }
osrelease_of() { podman exec "$c" cat /proc/sys/kernel/osrelease 2>/dev/null || echo none; }
# sim_reboot TEXT COMMAND...: runs the reboot command in the host and waits for the next simulated boot
sim_reboot() {
  local text=$1 before after i t
  shift
  before=$(boot_id_of) t=$(now)
  if podman exec "$c" "$@" >/dev/null; then
    for ((i = 0; i < 150; i++)); do
      after=$(boot_id_of)
      if [ "$after" != none ] && [ "$after" != "$before" ] && podman exec "$c" test -f /run/tencentos-sim/booted 2>/dev/null; then
        result ok "$first" "$text: back in $(since "$t")"; return
      fi
      sleep 0.2
    done
  fi
  result FAIL "$first" "$text: not back after $(since "$t")"
}
in_host() { podman exec "$c" sh -c "$1"; }
last_boot() { in_host 'tail -n1 /var/log/tencentos-sim/boots.log' 2>/dev/null; }
if [ "$(podman container inspect --format '{{.State.Status}}' "$c" 2>/dev/null)" = running ]; then
  factory=$(yaml_table "$RESOURCES/fleet.yml" kernel_release | sed -n 1p)
  extra=9.9.9-verify.sim   # a stand-in kernel that exists only for this check
  sim_reboot "shutdown -r now reboots the host" shutdown -r now
  expect "$first" "after a plain reboot the saved_entry kernel runs" test "$(osrelease_of)" = "$factory"
  in_host "echo 'stand-in kernel of verify-fleet.sh' > /boot/vmlinuz-$extra && tencentos-sim-bootloader add $extra 2>/dev/null"
  name=$(in_host "tencentos-sim-bootloader list" | awk -F '\t' -v k="$extra" '$4 == k { print $2 }')
  in_host "tencentos-sim-bootloader editenv set 'next_entry=$name'"
  sim_reboot "reboot with next_entry set" reboot
  expect "$first" "next_entry boots $extra once" test "$(osrelease_of)" = "$extra"
  expect "$first" "next_entry is consumed (empty) at boot" test "$(in_host 'tencentos-sim-bootloader editenv get next_entry')" = ""
  expect "$first" "boots.log: via=next_entry" grep -q "kernel=$extra entry=$name via=next_entry panicked=-" <<<"$(last_boot)"
  sim_reboot "reboot again" reboot
  expect "$first" "saved_entry kernel runs again" test "$(osrelease_of)" = "$factory"
  in_host "echo $extra > /etc/tencentos-sim/panic-kernels && tencentos-sim-bootloader editenv set 'next_entry=$name'"
  sim_reboot "reboot into a kernel that panics" reboot
  expect "$first" "the host comes back on saved_entry after the panic" test "$(osrelease_of)" = "$factory"
  expect "$first" "boots.log: panicked=$extra, via=saved_entry" grep -q "kernel=$factory entry=.* via=saved_entry panicked=$extra\$" <<<"$(last_boot)"
  in_host "rm -f /etc/tencentos-sim/panic-kernels && tencentos-sim-bootloader remove $extra 2>/dev/null && rm -f /boot/vmlinuz-$extra"
  expect "$first" "other shutdown forms are refused" sh -c "! podman exec $c shutdown -h now"
fi

if "$RESOURCES/scripts/sysctl-guard.sh" check "$guard"; then result ok machine "sysctls unchanged"
else result FAIL machine "sysctls changed (listed above)"; fi

echo "verify-fleet: $passed passed, $failed failed"
[ "$failed" = 0 ]

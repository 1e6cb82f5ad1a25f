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
#   - the livepatch simulation: insmod, rmmod, modinfo and lsmod are the stand-ins on every host; on the first
#     livepatch host whose kernel keeps a disabled patch (< 5.1) and the first whose kernel frees it
#     (>= 5.1) a test patch (make-patch.sh) loads, its transition completes, rmmod is refused while it is
#     enabled, disabling it completes, rmmod unloads it, a wrong vermagic is refused, a stalled transition
#     stays stalled and reverses; on the second of them an enabled unit loads a patch at a reboot
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
# The facts version is the os-release VERSION_ID, or more precise where a release file says more (CentOS 7.9).
check "os-release VERSION_ID is $VERSION or its major" \
  "( . /etc/os-release; [ \"\$VERSION_ID\" = \"$VERSION\" ] || [ \"${VERSION%%.*}\" = \"\$VERSION_ID\" ] )"
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
check "insmod, rmmod, modinfo and lsmod are the stand-ins of the simulation" "for t in insmod rmmod modinfo lsmod; do [ \"\$(readlink /usr/sbin/\$t)\" = /usr/local/sbin/tencentos-sim-kmod ] || exit 1; done"
check "loaded modules listed (/run/tencentos-sim/modules, bound over /proc/modules if the machine has one; /sys/module overlay)" "[ -f /run/tencentos-sim/modules ] && { [ ! -e /proc/modules ] || [ \"\$(stat -c %i /proc/modules)\" = \"\$(stat -c %i /run/tencentos-sim/modules)\" ]; } && grep -q \"^tencentos-sim-module /sys/module overlay \" /proc/mounts"
if [ "$MIRROR_UP" = yes ]; then
  check "mirror answers at $MIRROR_URL" "python3 -c \"import urllib.request; urllib.request.urlopen(\\\"$MIRROR_URL\\\", timeout=5)\""
fi
'

# The livepatch checks' hosts (below): the first with a livepatch ABI whose kernel keeps a disabled
# patch (< 5.1) and the first whose kernel frees it (>= 5.1), as "name kernel".
lp_keeps='' lp_frees=''
frees_disabled_patch() {  # frees_disabled_patch UNAME_R: klp frees a disabled patch since 5.1
  local major minor
  IFS=.- read -r major minor _ <<<"$1"
  [ "$major" -gt 5 ] || { [ "$major" = 5 ] && [ "$minor" -ge 1 ]; }
}

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
  case $livepatch in
    livepatch|both)
      if frees_disabled_patch "$kernel"; then [ -n "$lp_frees" ] || lp_frees="$name $kernel"
      else [ -n "$lp_keeps" ] || lp_keeps="$name $kernel"; fi ;;
  esac
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
# sim_reboot TEXT COMMAND...: runs the reboot command in the host ($c, named $host) and waits for the
# next simulated boot
sim_reboot() {
  local text=$1 before after i t
  shift
  before=$(boot_id_of) t=$(now)
  if podman exec "$c" "$@" >/dev/null; then
    for ((i = 0; i < 150; i++)); do
      after=$(boot_id_of)
      if [ "$after" != none ] && [ "$after" != "$before" ] && podman exec "$c" test -f /run/tencentos-sim/booted 2>/dev/null; then
        result ok "$host" "$text: back in $(since "$t")"; return
      fi
      sleep 0.2
    done
  fi
  result FAIL "$host" "$text: not back after $(since "$t")"
}
in_host() { podman exec "$c" sh -c "$1"; }
last_boot() { in_host 'tail -n1 /var/log/tencentos-sim/boots.log' 2>/dev/null; }
host=$first
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

# The livepatch simulation (README, "Livepatch simulation"): runs inside a host, prints "ok|FAIL <check>"
# lines. The test patches were made on the machine by make-patch.sh and copied to $DIR.
# shellcheck disable=SC2016
livepatch_inside='
check() { local text=$1; shift; if "$@" >/dev/null 2>&1; then echo "ok $text"; else echo "FAIL $text"; fi; }
is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }   # is FILE VALUE
wait_for() { local n=$1 i; shift; for ((i = 0; i < n * 20; i++)); do "$@" && return 0; sleep 0.05; done; return 1; }
log=/var/log/tencentos-sim/livepatch.log stall=/etc/tencentos-sim/livepatch-stall
lp=/sys/kernel/livepatch/livepatch_verify
line="livepatch_verify 16384 1 - Live 0x0000000000000000 (OEK)"
loaded() {
  grep -qxF "$line" /run/tencentos-sim/modules && { [ ! -e /proc/modules ] || grep -qxF "$line" /proc/modules; } &&
    is /sys/module/livepatch_verify/initstate live
}
unloaded() { ! grep -q "^livepatch_verify " /run/tencentos-sim/modules && [ ! -e /sys/module/livepatch_verify ] && [ ! -e $lp ]; }
started() { is $lp/enabled 1 && is $lp/transition 1 && is $lp/force 0 && [ -d "$lp/vmlinux/cmdline_proc_show,1" ]; }
disabled() { if [ "$FREES" = yes ]; then [ ! -e $lp ]; else is $lp/enabled 0 && is $lp/transition 0; fi; }
# After a write to enabled the worker starts the transition within 0.2 s: until then transition still
# reads 0, so completion is read from the log, counted from the write (mark).
mark() { mark_at=$(wc -l < "$log"); }
unpatched() { tail -n +$((mark_at + 1)) "$log" | grep -q "transition livepatch_verify unpatch completed$" && disabled; }
refused() { local expect=$1; shift; ! "$@" 2>"$DIR/err" && grep -qF "$expect" "$DIR/err"; }
new_log() { tail -n +$((log_start + 1)) "$log"; }
log_start=$(wc -l 2>/dev/null < "$log" || echo 0)
cd "$DIR"
rm -f "$stall"
check "modinfo -F vermagic: the running kernel" [ "$(modinfo -F vermagic verify.ko)" = "$KERNEL SMP mod_unload modversions" ]
check "modinfo prints filename: and every field" grep -qx "filename:       $DIR/verify.ko" <(modinfo verify.ko)
check "insmod of a test patch for $KERNEL" insmod verify.ko
check "registered, its transition started (enabled 1, transition 1, force 0, vmlinux/cmdline_proc_show,1/)" started
check "the transition completes within 2 s" wait_for 2 is $lp/transition 0
check "listed as loaded: $line" loaded
check "lsmod lists it" grep -q "^livepatch_verify  *16384  1$" <(lsmod)
check "insmod again: File exists" refused "could not insert module verify.ko: File exists" insmod verify.ko
check "rmmod refused while enabled (in use)" refused "Module livepatch_verify is in use" rmmod livepatch_verify
mark; echo 0 > $lp/enabled
if [ "$FREES" = yes ]; then text="enabled=0: unpatched and freed (>= 5.1: directory gone) within 2 s"
else text="enabled=0: unpatched, kept disabled (< 5.1) within 2 s"; fi
check "$text" wait_for 2 unpatched
check "rmmod unloads it" rmmod livepatch_verify
check "unloaded: not listed, no sysfs directory" unloaded
check "a patch for another kernel is refused (Invalid module format)" refused "could not insert module wrong.ko: Invalid module format" insmod wrong.ko
check "nothing created for it" eval "[ ! -e /sys/kernel/livepatch/livepatch_verify_wrong ] && ! grep -q ^livepatch_verify_wrong /run/tencentos-sim/modules"
echo livepatch_verify > "$stall"
insmod verify.ko >/dev/null 2>&1
sleep 1
check "a stalled patching transition stays in transition (1 s)" is $lp/transition 1
check "livepatch.log: stalled, once" [ "$(new_log | grep -c "transition livepatch_verify patch stalled$")" = 1 ]
check "rmmod refused during the transition" refused "is in use" rmmod livepatch_verify
mark; echo 0 > $lp/enabled
check "enabled=0 reverses it: the reversal completes within 2 s" wait_for 2 unpatched
check "rmmod unloads it" rmmod livepatch_verify
rm -f "$stall"
check "livepatch.log: every call and transition" eval "new_log | grep -q \"insmod verify.ko -> 0 loaded livepatch_verify\" && new_log | grep -q \"transition livepatch_verify unpatch completed\""
check "force was never written" eval "! new_log | grep -q \"FORCE WRITTEN\""
if [ "$MIRROR_UP" = yes ]; then
  check "mirror: hotpatch/$KERNEL/livepatch_test_url.ko matches its SHA256SUMS" python3 -c "
import hashlib, sys, urllib.request
base = sys.argv[1]
sums = urllib.request.urlopen(base + \"SHA256SUMS\", timeout=5).read().decode()
data = urllib.request.urlopen(base + \"livepatch_test_url.ko\", timeout=5).read()
assert sums.split() == [hashlib.sha256(data).hexdigest(), \"livepatch_test_url.ko\"], sums
assert b\"vermagic=\" + sys.argv[2].encode() + b\" \" in data" "$MIRROR_URL/hotpatch/$KERNEL/" "$KERNEL"
fi
# Whatever failed above, leave nothing behind.
rm -f "$stall"
if [ -e $lp ] && is $lp/enabled 1; then echo 0 > $lp/enabled; fi
wait_for 2 eval "! grep -q \"^livepatch_verify \" /run/tencentos-sim/modules || rmmod livepatch_verify 2>/dev/null"
rm -rf "$DIR"
'
patches=$(mktemp -d)
trap 'rm -f "$guard"; rm -rf "$patches"' EXIT
for entry in "$lp_keeps" "$lp_frees"; do
  [ -n "$entry" ] || continue
  read -r host kernel <<<"$entry"
  c=tencentos-fleet-$host
  frees=no
  frees_disabled_patch "$kernel" && frees=yes
  rm -f "$patches"/*
  "$RESOURCES/scripts/make-patch.sh" livepatch_verify "$kernel" "$patches/verify.ko"
  "$RESOURCES/scripts/make-patch.sh" livepatch_verify_wrong 0.0.1-verify.sim "$patches/wrong.ko"
  dir=/tmp/tencentos-fleet-verify-livepatch
  tar -C "$patches" -c . | podman exec -i "$c" sh -c "rm -rf $dir && mkdir $dir && tar -C $dir -x"
  while read -r status text; do
    result "$status" "$host" "livepatch: $text"
  done < <(podman exec -e KERNEL="$kernel" -e FREES="$frees" -e DIR="$dir" -e MIRROR_UP="$mirror_up" \
      -e MIRROR_URL="$REPO_URL_GUEST" "$c" bash -c "$livepatch_inside")
done

# An enabled unit loads a patch at boot (the systemd stand-in), and what was loaded before the reboot
# is gone after it; on the second livepatch host, so that the first is not rebooted again.
entry=${lp_frees:-$lp_keeps}
if [ -n "$entry" ]; then
  read -r host kernel <<<"$entry"
  c=tencentos-fleet-$host
  unit=tencentos-fleet-verify-livepatch.service
  rm -f "$patches"/*
  "$RESOURCES/scripts/make-patch.sh" livepatch_verify_boot "$kernel" "$patches/livepatch_verify_boot.ko"
  "$RESOURCES/scripts/make-patch.sh" livepatch_verify_old "$kernel" "$patches/livepatch_verify_old.ko"
  # Not under /var/lib/kpatch: the collection's own unit, if a demo left one, loads every patch there.
  store=/var/lib/tencentos-fleet-verify-livepatch
  tar -C "$patches" -c . | podman exec -i "$c" sh -c "mkdir -p $store/$kernel && tar -C $store/$kernel -x \
    && mv $store/$kernel/livepatch_verify_old.ko /tmp/ && insmod /tmp/livepatch_verify_old.ko" ||
    result FAIL "$host" "livepatch: copying the boot test's patches or loading livepatch_verify_old failed"
  # The shape of the collection's own unit: $$ is systemd's escape of $.
  podman exec -i "$c" sh -c "cat > /etc/systemd/system/$unit && ln -sf ../$unit /etc/systemd/system/multi-user.target.wants/$unit" <<'UNIT' ||
# verify-fleet.sh (molecule/resources): removed again at the end of the check
[Unit]
Description=Load the test patches of the running kernel (verify-fleet.sh)
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'read -r k < /proc/sys/kernel/osrelease; for m in /var/lib/tencentos-fleet-verify-livepatch/$$k/*.ko; do insmod "$$m" || exit 1; echo "loaded $$m"; done'
[Install]
WantedBy=multi-user.target
UNIT
    result FAIL "$host" "livepatch: writing and enabling $unit failed"
  sim_reboot "reboot with an enabled unit that loads a patch" reboot
  expect "$host" "units.log: the unit ran at this boot, exit 0" \
    grep -q "boot_id=$(boot_id_of) unit=$unit exit=0\$" <<<"$(in_host 'cat /var/log/tencentos-sim/units.log')"
  expect "$host" "the patch the unit loaded is there after the reboot, its transition completes" in_host \
    "grep -q '^livepatch_verify_boot ' /run/tencentos-sim/modules && for i in \$(seq 40); do [ \"\$(cat /sys/kernel/livepatch/livepatch_verify_boot/transition 2>/dev/null)\" = 0 ] && exit 0; sleep 0.05; done; exit 1"
  expect "$host" "the patch loaded before the reboot is gone" in_host \
    "! grep -q '^livepatch_verify_old ' /run/tencentos-sim/modules && [ ! -e /sys/kernel/livepatch/livepatch_verify_old ]"
  in_host "rm -f /etc/systemd/system/multi-user.target.wants/$unit /etc/systemd/system/$unit /tmp/livepatch_verify_old.ko
    p=/sys/kernel/livepatch/livepatch_verify_boot
    [ ! -e \$p ] || echo 0 > \$p/enabled
    # rmmod is refused until the unpatching transition the write starts (within 0.2 s) completed.
    for i in \$(seq 40); do rmmod livepatch_verify_boot 2>/dev/null && break; sleep 0.05; done
    rm -rf $store" >/dev/null 2>&1 || true
  expect "$host" "livepatch checks cleaned up (unit, patch files, loaded patches)" in_host \
    "[ ! -e /etc/systemd/system/$unit ] && [ ! -e /etc/systemd/system/multi-user.target.wants/$unit ] && [ ! -e $store ] && ! grep -q '^livepatch_verify' /run/tencentos-sim/modules"
fi

if "$RESOURCES/scripts/sysctl-guard.sh" check "$guard"; then result ok machine "sysctls unchanged"
else result FAIL machine "sysctls changed (listed above)"; fi

echo "verify-fleet: $passed passed, $failed failed"
[ "$failed" = 0 ]

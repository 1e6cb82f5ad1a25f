#!/usr/bin/env bash
# Makes this machine able to run the simulated fleet: Debian packages and our own podman config.
# Idempotent; prints every change it makes to the machine.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
start=$(now)
changes=()

# podman+runc+catatonit+fuse-overlayfs+slirp4netns run the containers (catatonit is podman's --init),
# debootstrap builds the base image without a registry, rpm (rpmbuild) + createrepo-c + gnupg build
# the signed mirror, curl checks it.
# ansible-test sanity lints the shell scripts with shellcheck.
# The SSH fleet (ssh-fleet.sh): openssh-client is Ansible's ssh connection and makes the keys, iproute2 the
# bridge and veth pairs, util-linux's nsenter the hosts' addresses, procps pgrep/sysctl.
# chromium opens the audit's HTML page headless in tests/browser/test_audit_page.py, as a person's browser would.
PACKAGES=(podman runc catatonit fuse-overlayfs slirp4netns debootstrap rpm createrepo-c gnupg curl shellcheck
  openssh-client iproute2 util-linux procps chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  changes+=("apt-get installed: ${missing[*]}")
else
  log "Debian packages present: ${PACKAGES[*]}"
fi

mkdir -p "$WORKDIR"
new_conf=$(cat <<'CONF'
# podman configuration of the tencentos.fleet simulated fleet; used through CONTAINERS_CONF,
# so the machine's /etc/containers stays as it is. Written by prepare-machine.sh.
[containers]
# podman's defaults for root (nofile=1048576, nproc=4194304) exceed this machine's hard limits, and
# without CAP_SYS_RESOURCE the runtime fails with "setrlimit RLIMIT_NOFILE: Operation not permitted".
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
# A container started without --network gets its own network namespace behind slirp4netns (a user-space
# network stack) instead of root's default netavark bridge, which changes the machine: it creates the
# podman0 bridge, adds iptables rules and sets net.ipv4.ip_forward=1.
netns = "slirp4netns"
# Each container's own session keyring is charged to the user that is root inside it (uid 100000
# for every simulated host), whose quota (kernel.keys.maxkeys, 200 here) then caps the hosts a machine
# can start at about 200. Nothing in the simulated hosts uses the kernel keyring.
keyring = false

[engine]
# crun 1.8.1 refuses cgroup v1 "hybrid" hosts ("cgroups in hybrid mode not supported"); runc works.
runtime = "runc"
# There is no systemd as PID 1, so the systemd cgroup manager cannot be used.
cgroup_manager = "cgroupfs"
# The default journald events logger needs systemd-journald, which is not running.
events_logger = "file"
CONF
)
if [ -f "$CONTAINERS_CONF" ] && [ "$(cat "$CONTAINERS_CONF")" = "$new_conf" ]; then
  log "$CONTAINERS_CONF up to date"
else
  printf '%s\n' "$new_conf" > "$CONTAINERS_CONF"
  changes+=("wrote $CONTAINERS_CONF")
fi

# Prove the configuration is the one podman uses.
podman info --format 'podman {{.Version.Version}}: runtime={{.Host.OCIRuntime.Name}} cgroups={{.Host.CgroupManager}}/{{.Host.CgroupsVersion}} storage={{.Store.GraphDriverName}} events={{.Host.EventLogger}}' >&2

if [ ${#changes[@]} -eq 0 ]; then
  echo "prepare-machine: nothing changed on this machine ($(since "$start"))"
else
  echo "prepare-machine: changed on this machine ($(since "$start")):"
  printf '  - %s\n' "${changes[@]}"
fi

#!/usr/bin/env bash
# The SSH fleet: simulated TencentOS hosts that Ansible reaches with its real `ssh` connection.
#   ssh-fleet.sh up N          start N hosts (1-500) in parallel, wait until each answers over ssh, write the inventory
#   ssh-fleet.sh down          remove the hosts, their bridge, their mirror listener and their keys
#   ssh-fleet.sh status        every host's state, simulated kernel and memory (PSS), and the fleet's total
#   ssh-fleet.sh mirror start|stop   the local mirror as the hosts see it, on the bridge's address
#   ssh-fleet.sh ssh NAME [COMMAND...]   a shell (or a command) on one host, as Ansible connects
#
# Host i (0-based) runs the image of fleet.yml's host i mod 9 and is named after it: tos24, tos31, ...,
# tlinux22, then tos24-2, tos31-2, ... Each host is a container of that image (the same simulated
# kernel interface and boot as the demo's and molecule's podman hosts, scripts/fleet.sh) started with
# --network=none; this script then gives it one end of a veth pair, whose other end is on a bridge
# that exists only on this machine. Nothing is routed: the hosts have no default route and the bridge
# does not forward (its own net.ipv4.conf.<bridge>.forwarding=0; the machine's global keys are not
# touched). The hosts reach the machine only at the bridge's address, where the mirror listens.
# At every simulated boot, a unit of the fleet's own (not systemd: the simulation's boot stand-in) starts
# the image's OpenSSH sshd with a configuration, host key and authorized_keys that this script made for the
# host. The controller's key is made at `up` and removed at `down`; the inventory trusts each host's key
# through a known_hosts file (StrictHostKeyChecking=yes), with pipelining and ControlPersist.
#
# Several fleets can exist side by side (the demo's, the benchmarks', the fault suite's):
#   SSH_FLEET_NAME   names the fleet's containers (tencentos-ssh-NAME-HOST), bridge and folder (default demo)
#   SSH_FLEET_NET    the first two octets of its private /16 (default 10.251); the bridge is NET.0.1,
#                    host i is NET.(1 + i/250).(1 + i%250)
#   SSH_FLEET_DIR    its folder: keys, known_hosts, inventory (default $WORKDIR/ssh-fleet/NAME)
#   SSH_FLEET_JOBS   hosts started at a time (default 8)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLEET_NAME=${SSH_FLEET_NAME:-demo}
NET=${SSH_FLEET_NET:-10.251}
DIR=${SSH_FLEET_DIR:-$WORKDIR/ssh-fleet/$FLEET_NAME}
JOBS=${SSH_FLEET_JOBS:-8}
BRIDGE=tfs-$FLEET_NAME
# The machine's end of host i's veth pair is VETH_PREFIX<i> (tfs251-0 ...): at most 15 characters.
VETH_PREFIX=tfs${NET#10.}-
BRIDGE_IP=$NET.0.1
PREFIX=tencentos-ssh-$FLEET_NAME-
LABEL=io.tencentos-fleet.ssh-fleet=$FLEET_NAME
INVENTORY=$DIR/inventory/hosts.yml
MIRROR_PIDFILE=$DIR/mirror.pid
MAX_HOSTS=500
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
# Inside each host: where its ssh files are mounted, and the boot unit that starts sshd.
HOST_SSH_DIR=/etc/ssh/tencentos-fleet
UNIT=tencentos-fleet-sim-sshd.service
# The same options as the podman hosts (scripts/fleet.sh), but no network of podman's.
RUN_OPTS=(--privileged --uidmap 0:100000:65536 --gidmap 0:100000:65536 --init --network=none)
# Root in the hosts is this uid on the machine: it must own the files it reads as root (host key).
HOST_ROOT_UID=100000

[[ $FLEET_NAME =~ ^[a-z0-9]{1,9}$ ]] || die "SSH_FLEET_NAME=$FLEET_NAME: 1-9 lower-case letters or digits (it names a network interface)"
[[ $NET =~ ^10\.([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$ ]] || die "SSH_FLEET_NET=$NET: two octets 10.X of a private /16"

# host_at I -> "name image kernel_release group ip"
host_at() {
  local i=$1 k
  local -a row
  read -r -a row <<<"${RELEASES[i % ${#RELEASES[@]}]}"
  k=$((i / ${#RELEASES[@]} + 1))
  printf '%s %s %s %s %s\n' "${row[0]}$([ "$k" = 1 ] || echo "-$k")" "${row[1]}" "${row[2]}" "${row[3]}" \
    "$NET.$((1 + i / 250)).$((1 + i % 250))"
}
mapfile -t RELEASES < <(yaml_table --sep ' ' "$RESOURCES/fleet.yml" name image kernel_release group)

# Hosts of the running fleet, "name image kernel_release group ip" lines, from the count `up` saved.
fleet_hosts() {
  local n i
  n=$(cat "$DIR/count" 2>/dev/null || echo 0)
  for ((i = 0; i < n; i++)); do host_at "$i"; done
}

bridge_up() {
  ip link show "$BRIDGE" >/dev/null 2>&1 && return
  ip link add "$BRIDGE" type bridge
  # Keys of our own interface only (gone with it): no forwarding from it, no IPv6 autoconfiguration.
  sysctl -q -w "net.ipv4.conf.$BRIDGE.forwarding=0" "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
  ip addr add "$BRIDGE_IP/16" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

mirror_pid() { mirror_server_pid "$MIRROR_PIDFILE" "$BRIDGE_IP"; }

# The local mirror ($WORKDIR/mirror, as serve-repo.sh serves it on loopback) on the bridge's address.
mirror_start() {
  local pid
  mirror_pid >/dev/null && return
  [ -f "$WORKDIR/mirror/.definition-sha256" ] || die "$WORKDIR/mirror not built: run molecule/resources/scripts/build-repo.sh"
  setsid python3 -m http.server --bind "$BRIDGE_IP" "$REPO_PORT" --directory "$WORKDIR/mirror" \
    > "$DIR/mirror.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$MIRROR_PIDFILE"
  for _ in $(seq 50); do
    curl -fsS --noproxy '*' -o /dev/null --max-time 1 "http://$BRIDGE_IP:$REPO_PORT/RPM-GPG-KEY-tencentos-fleet-test" 2>/dev/null && return
    kill -0 "$pid" 2>/dev/null || die "mirror on $BRIDGE_IP:$REPO_PORT exited: $(tail -n 3 "$DIR/mirror.log")"
    sleep 0.1
  done
  die "mirror on $BRIDGE_IP:$REPO_PORT not answering after 5 s, see $DIR/mirror.log"
}

mirror_stop() {
  local pid
  pid=$(mirror_pid) || { rm -f "$MIRROR_PIDFILE"; return 0; }
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$MIRROR_PIDFILE"
}

# The controller's key, the sshd unit and configuration every host shares.
write_fleet_files() {
  mkdir -p "$DIR/hosts" "$DIR/inventory"
  [ -f "$DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "tencentos.fleet SSH fleet $FLEET_NAME" -f "$DIR/id_ed25519"
  cat > "$DIR/$UNIT" <<EOF
# tencentos.fleet SIMULATION: started at every simulated boot by tencentos-sim-boot's stand-in for systemd,
# which runs ExecStart= lines in order, to the end (as Type=oneshot does); sshd forks into the background.
[Unit]
Description=OpenSSH server of a tencentos.fleet SSH fleet host
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/mkdir -p /run/sshd
ExecStart=/usr/sbin/sshd -f $HOST_SSH_DIR/sshd_config
[Install]
WantedBy=multi-user.target
EOF
  cat > "$DIR/sshd_config" <<EOF
# sshd of a tencentos.fleet SSH fleet host (written by molecule/resources/scripts/ssh-fleet.sh).
# Key authentication as root only, the host key of this host's own.
HostKey $HOST_SSH_DIR/ssh_host_ed25519_key
AuthorizedKeysFile $HOST_SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PidFile /run/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# `ssh-fleet.sh start-host I`, run by `up` for every host, JOBS at a time: everything one host needs,
# from its keys to its address.
start_host() {
  local i=$1 name image kernel group ip c pid veth hostdir
  read -r name image kernel group ip < <(host_at "$i")
  c=$PREFIX$name hostdir=$DIR/hosts/$name veth=$VETH_PREFIX$i
  mkdir -p "$hostdir"
  rm -f "$hostdir/ssh_host_ed25519_key"*
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$hostdir/ssh_host_ed25519_key"
  cp "$DIR/id_ed25519.pub" "$hostdir/authorized_keys"
  cp "$DIR/sshd_config" "$hostdir/sshd_config"
  chown -R "$HOST_ROOT_UID:$HOST_ROOT_UID" "$hostdir"
  chmod 0700 "$hostdir"
  podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  podman run -d --name "$c" --hostname "$name" --label "$LABEL" --label "io.tencentos-fleet.host=$name" \
    "${RUN_OPTS[@]}" -v "$hostdir:$HOST_SSH_DIR:ro" \
    -v "$DIR/$UNIT:/etc/systemd/system/multi-user.target.wants/$UNIT:ro" "$image" >/dev/null
  pid=$(podman container inspect --format '{{.State.Pid}}' "$c")
  ip link add "$veth" type veth peer name eth0 netns "$pid"
  ip link set "$veth" master "$BRIDGE" up
  nsenter -t "$pid" -n sh -c "ip addr add $ip/16 dev eth0 && ip link set eth0 up && ip link set lo up"
  printf '%s,%s %s\n' "$name" "$ip" "$(cut -d' ' -f1-2 "$hostdir/ssh_host_ed25519_key.pub")" > "$hostdir/known_hosts"
}

write_inventory() {
  local name image kernel group ip g
  {
    echo "# The SSH fleet $FLEET_NAME, written by molecule/resources/scripts/ssh-fleet.sh. SIMULATED TencentOS hosts:"
    echo "# see docs/simulation.md for what they prove and what only a real host can."
    echo "# The groups' variables are examples/inventory/group_vars (group_vars here links to them)."
    echo "all:"
    echo "  vars:"
    echo "    ansible_connection: ssh"
    echo "    ansible_user: root"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "    ansible_ssh_private_key_file: $DIR/id_ed25519"
    echo "    # Every host's key is known in advance: nothing is trusted on first use."
    echo "    ansible_ssh_common_args: -o UserKnownHostsFile=$DIR/known_hosts -o StrictHostKeyChecking=yes"
    echo "    # One connection per host, kept between tasks; modules sent over it without a copy step."
    echo "    ansible_ssh_args: -o ControlMaster=auto -o ControlPersist=300s"
    echo "    # The fleet's own folder for those connections: \`down\` closes them before the hosts go."
    echo "    ansible_control_path_dir: $DIR/cp"
    echo "    ansible_ssh_pipelining: true"
    echo "    # This machine's local signed mirror, as the hosts reach it (the bridge's address)."
    echo "    tencentos_repos_mirror: http://$BRIDGE_IP:$REPO_PORT"
    echo "    tencentos_repos_gpg_key_url: http://$BRIDGE_IP:$REPO_PORT/RPM-GPG-KEY-tencentos-fleet-test"
    echo "  children:"
    echo "    # Every host, in fleet.yml's order (the order of the hosts in waves), then the groups of examples/inventory."
    echo "    tencentos_fleet:"
    echo "      hosts:"
    while read -r name image kernel group ip; do
      echo "        $name:"
      echo "          ansible_host: $ip"
    done < <(fleet_hosts)
    for g in tke_node host; do
      echo "    $g:"
      echo "      hosts:"
      while read -r name image kernel group ip; do
        [ "$group" != "$g" ] || echo "        $name:"
      done < <(fleet_hosts)
    done
  } > "$INVENTORY.tmp"
  mv "$INVENTORY.tmp" "$INVENTORY"
  ln -sfn "$PROJECT_EXAMPLES/inventory/group_vars" "$DIR/inventory/group_vars"
}

# `ssh-fleet.sh probe NAME IP`: prints "NAME KERNEL" once the host answers over ssh as Ansible will connect
# and its simulated boot is complete.
probe() {
  local out
  out=$(ssh "${SSH_OPTS[@]}" "root@$2" 'test -f /run/tencentos-sim/booted && cat /proc/sys/kernel/osrelease' 2>/dev/null) &&
    echo "$1 $out"
  return 0
}

# Every host answers over ssh, on the kernel fleet.yml says its image boots.
wait_until_up() {
  local deadline=$(($(date +%s) + BOOT_TIMEOUT)) pending answered name image kernel group ip
  pending=$(fleet_hosts)
  while :; do
    answered=$(awk '{ print $1, $5 }' <<<"$pending" | xargs -P 16 -n 2 bash "$0" probe)
    pending=$(while read -r name image kernel group ip; do
                if grep -q "^$name " <<<"$answered"; then
                  grep -qx "$name $kernel" <<<"$answered" ||
                    die "$name booted kernel '$(grep "^$name " <<<"$answered" | cut -d' ' -f2)', fleet.yml says '$kernel'"
                else
                  echo "$name $image $kernel $group $ip"
                fi
              done <<<"$pending")
    [ -n "$pending" ] || return 0
    [ "$(date +%s)" -lt "$deadline" ] || die "not up over ssh after ${BOOT_TIMEOUT}s: $(cut -d' ' -f1 <<<"$pending" | tr '\n' ' ')"
    sleep 1
  done
}

up() {
  local n=${1:-} total i
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt $MAX_HOSTS ]; then
    die "up N: N is a number of hosts from 1 to $MAX_HOSTS, not '${n}'"
  fi
  need_root; need_podman_conf
  total=$(now)
  # A fleet starts from fresh hosts: whatever ran under this name before goes first.
  down_quietly
  for i in "${RELEASES[@]}"; do
    podman image exists "$(cut -d' ' -f2 <<<"$i")" || die "image $(cut -d' ' -f2 <<<"$i") missing: run molecule/resources/scripts/build-images.sh"
  done
  mkdir -p "$DIR"
  echo "$n" > "$DIR/count"
  write_fleet_files
  bridge_up
  mirror_start
  log "starting $n hosts, $JOBS at a time"
  seq 0 $((n - 1)) | xargs -P "$JOBS" -n 1 bash "$0" start-host || die "a host did not start (see above)"
  cat "$DIR"/hosts/*/known_hosts > "$DIR/known_hosts"
  log "hosts started in $(since "$total"); waiting for their simulated boot and sshd"
  wait_until_up
  write_inventory
  echo "ssh fleet $FLEET_NAME up: $n hosts in $(since "$total"); inventory $INVENTORY"
}

# Ansible's ControlPersist connections to the fleet's hosts (the inventory keeps them in DIR/cp), closed
# while the hosts still answer. Left open, a master whose host went away may not notice (nothing reaches it
# once the host's network namespace is gone), and the next fleet's host at the same address would be
# reached through that dead master, whose socket name is made of the address, port and user only.
close_connections() {
  local socket
  for socket in "$DIR"/cp/*; do
    [ -S "$socket" ] || continue
    # -O exit asks the master behind the socket to end; the host name given is not used.
    timeout 10 ssh -o ControlPath="$socket" -O exit fleet-host 2>/dev/null || true
  done
}

# Everything this fleet name ever started, whether or not its folder still says so.
down_quietly() {
  local ids
  close_connections
  ids=$(podman ps -aq --filter "label=$LABEL")
  # shellcheck disable=SC2086  # one id a word
  [ -z "$ids" ] || podman rm -f -t 0 $ids >/dev/null
  # A veth pair goes with its host's network namespace, which the kernel frees a moment after the last
  # process left: the machine's ends are deleted here, so that a new fleet can take their names at once.
  ip -o link show | awk -F': ' -v prefix="$VETH_PREFIX" '{ sub(/@.*/, "", $2) }
      index($2, prefix) == 1 && substr($2, length(prefix) + 1) ~ /^[0-9]+$/ { print $2 }' |
    while read -r link; do ip link del "$link" 2>/dev/null || true; done
  mirror_stop
  ! ip link show "$BRIDGE" >/dev/null 2>&1 || ip link del "$BRIDGE"
  rm -rf "$DIR"
}

down() {
  local total
  need_root; need_podman_conf
  total=$(now)
  down_quietly
  echo "ssh fleet $FLEET_NAME down: $(since "$total")"
}

# PSS of a host, in kB: the processes of its container's memory cgroup, and podman's conmon that watches it.
host_pss_kb() {
  local pid conmon cgroup
  read -r pid conmon < <(podman container inspect --format '{{.State.Pid}} {{.State.ConmonPid}}' "$1")
  cgroup=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$pid/cgroup")
  { find "/sys/fs/cgroup/memory$cgroup" -name cgroup.procs -exec cat {} +; echo "$conmon"; } | sort -u |
    while read -r pid; do awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || true; done |
    awk '{ kb += $1 } END { print kb + 0 }'
}

status() {
  local name image kernel group ip c state kb total_kb=0 count=0 up=0 kernel_now
  need_podman_conf
  printf '%-12s %-15s %-8s %-9s %-28s %s\n' HOST ADDRESS GROUP STATE KERNEL 'PSS (MB)'
  while read -r name image kernel group ip; do
    c=$PREFIX$name count=$((count + 1))
    state=$(podman container inspect --format '{{.State.Status}}' "$c" 2>/dev/null || echo absent)
    kernel_now=- kb=0
    if [ "$state" = running ]; then
      kernel_now=$(ssh -n "${SSH_OPTS[@]}" "root@$ip" cat /proc/sys/kernel/osrelease 2>/dev/null || echo 'no ssh')
      [ "$kernel_now" = "no ssh" ] || up=$((up + 1))
      kb=$(host_pss_kb "$c")
      total_kb=$((total_kb + kb))
    fi
    printf '%-12s %-15s %-8s %-9s %-28s %.1f\n' "$name" "$ip" "$group" "$state" "$kernel_now" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')"
  done < <(fleet_hosts)
  awk -v t="$total_kb" -v n="$count" -v u="$up" 'BEGIN { printf "%d of %d hosts answer over ssh; memory (PSS) %.1f MB in all, %.1f MB a host\n", u, n, t / 1024, n ? t / 1024 / n : 0 }'
  [ "$up" = "$count" ]
}

PROJECT_EXAMPLES=$(cd "$RESOURCES/../.." && pwd)/examples
SSH_OPTS=(-i "$DIR/id_ed25519" -o UserKnownHostsFile="$DIR/known_hosts" -o StrictHostKeyChecking=yes
  -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR)

case ${1:-} in
  up) machine_lock "ssh-fleet-$FLEET_NAME" "$@"; shift; up "$@" ;;
  down) machine_lock "ssh-fleet-$FLEET_NAME" "$@"; down ;;
  status) status ;;
  mirror)
    case ${2:-} in
      start) mirror_start; echo "mirror: http://$BRIDGE_IP:$REPO_PORT" ;;
      stop) mirror_stop; echo "mirror on $BRIDGE_IP stopped" ;;
      *) die "usage: $0 mirror start|stop" ;;
    esac ;;
  start-host) start_host "$2" ;;
  probe) probe "$2" "$3" ;;
  ssh) shift; name=${1:?usage: $0 ssh NAME [COMMAND...]}; shift
    ip=$(fleet_hosts | awk -v n="$name" '$1 == n { print $5 }')
    [ -n "$ip" ] || die "no host '$name' in the SSH fleet $FLEET_NAME"
    exec ssh "${SSH_OPTS[@]}" "root@$ip" "$@" ;;
  *) echo "usage: $0 up N | down | status | mirror start|stop | ssh NAME [COMMAND...]" >&2; exit 2 ;;
esac

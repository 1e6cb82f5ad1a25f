#!/usr/bin/env bash
# The podman fleet: one container per host of fleet.yml, each "booted" into its simulated kernel, reached
# with the podman connection (the SSH fleet of the demo, tests and benchmarks is ssh-fleet.sh).
#   fleet.sh up [NAME...]      start (or keep) the hosts, wait for their simulated boot, write the inventory
#   fleet.sh down [NAME...]    remove the hosts
#   fleet.sh status            state, boot and simulated kernel of every host
#   fleet.sh inventory         write $WORKDIR/inventory.yml and print its path
# Ansible reaches the hosts with containers.podman.podman: export CONTAINERS_CONF first
# (`. molecule/resources/scripts/env.sh`), the connection plugin runs podman with our environment.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLEET=$RESOURCES/fleet.yml
CONTAINER_PREFIX=tencentos-fleet-
INVENTORY=$WORKDIR/inventory.yml
BOOTED=/run/tencentos-sim/booted
BOOT_TIMEOUT=${BOOT_TIMEOUT:-30}

# The options every simulated podman host starts with, the molecule scenarios' too (see that file).
mapfile -t RUN_OPTS < <(grep -Ev '^[[:space:]]*(#|$)' "$RESOURCES/podman-run-options")

container_of() { echo "$CONTAINER_PREFIX$1"; }

# hosts [NAME...] -> "name image kernel_release" lines of the selected hosts, in fleet.yml order
hosts() {
  local all
  all=$(yaml_table --sep ' ' "$FLEET" name image kernel_release)
  if [ $# -eq 0 ]; then printf '%s\n' "$all"; return; fi
  local n
  for n in "$@"; do
    grep -q "^$n " <<<"$all" || die "no host '$n' in $FLEET"
  done
  grep -E "^($(IFS='|'; echo "$*")) " <<<"$all"
}

state_of() { podman container inspect --format '{{.State.Status}}' "$1" 2>/dev/null || echo absent; }
osrelease_of() { podman exec "$1" cat /proc/sys/kernel/osrelease 2>/dev/null || echo '?'; }

write_inventory() {
  local name image kernel
  mkdir -p "$(dirname "$INVENTORY")"
  {
    echo "# Written by molecule/resources/scripts/fleet.sh from $FLEET."
    echo "# Needs CONTAINERS_CONF=$CONTAINERS_CONF in the environment of ansible-playbook."
    echo "all:"
    echo "  children:"
    echo "    tencentos_fleet:"
    echo "      hosts:"
    while read -r name image kernel; do
      echo "        $name:"
      echo "          ansible_host: $(container_of "$name")"
    done < <(hosts)
    echo "      vars:"
    echo "        ansible_connection: containers.podman.podman"
    echo "        ansible_user: root"
    echo "        ansible_python_interpreter: /usr/bin/python3"
  } > "$INVENTORY.tmp"
  mv "$INVENTORY.tmp" "$INVENTORY"
}

up() {
  local total name image kernel c t state want have started=() i
  need_root; need_podman_conf
  total=$(now)
  while read -r name image kernel; do
    c=$(container_of "$name")
    podman image exists "$image" || die "image $image missing: run molecule/resources/scripts/build-images.sh"
    state=$(state_of "$c")
    if [ "$state" = running ]; then
      # A host whose image was rebuilt since it started is started again from the new image.
      want=$(podman image inspect --format '{{.Id}}' "$image")
      have=$(podman container inspect --format '{{.Image}}' "$c")
      if [ "$want" = "$have" ]; then echo "  $name: already up ($c)"; continue; fi
      echo "  $name: image changed, starting again"
    fi
    [ "$state" = absent ] || podman rm -f -t 5 "$c" >/dev/null
    podman run -d --name "$c" --hostname "$name" --label io.tencentos-fleet.host="$name" \
      "${RUN_OPTS[@]}" "$image" >/dev/null
    started+=("$name $kernel $(now)")
  done < <(hosts "$@")

  local entry
  for entry in "${started[@]}"; do
    read -r name kernel t <<<"$entry"
    c=$(container_of "$name")
    for ((i = 0; i < BOOT_TIMEOUT * 5; i++)); do
      podman exec "$c" test -f "$BOOTED" 2>/dev/null && break
      [ "$(state_of "$c")" = running ] || { podman logs "$c" >&2; die "$name stopped during its simulated boot"; }
      sleep 0.2
    done
    podman exec "$c" test -f "$BOOTED" || { podman logs "$c" >&2; die "$name not booted after ${BOOT_TIMEOUT}s"; }
    have=$(osrelease_of "$c")
    [ "$have" = "$kernel" ] || die "$name booted kernel '$have', fleet.yml says '$kernel'"
    echo "  $name: up in $(since "$t") ($c, kernel $have)"
  done
  write_inventory
  echo "fleet up: $(hosts "$@" | wc -l) hosts in $(since "$total"); inventory $INVENTORY"
}

down() {
  local total name image kernel c
  need_root; need_podman_conf
  total=$(now)
  while read -r name image kernel; do
    c=$(container_of "$name")
    if [ "$(state_of "$c")" = absent ]; then echo "  $name: not present"; continue; fi
    podman rm -f -t 5 "$c" >/dev/null
    echo "  $name: removed ($c)"
  done < <(hosts "$@")
  [ $# -gt 0 ] || rm -f "$INVENTORY"
  echo "fleet down: $(since "$total")"
}

status() {
  local name image kernel c state booted kernel_now rc=0
  need_podman_conf
  printf '%-10s %-28s %-8s %-7s %s\n' HOST CONTAINER STATE BOOTED KERNEL
  while read -r name image kernel; do
    c=$(container_of "$name")
    state=$(state_of "$c") booted=no kernel_now=-
    if [ "$state" = running ]; then
      podman exec "$c" test -f "$BOOTED" 2>/dev/null && booted=yes
      kernel_now=$(osrelease_of "$c")
    fi
    [ "$booted" = yes ] && [ "$kernel_now" = "$kernel" ] || rc=1
    printf '%-10s %-28s %-8s %-7s %s\n' "$name" "$c" "$state" "$booted" "$kernel_now"
  done < <(hosts)
  return $rc
}

case ${1:-} in
  up) machine_lock fleet "$@"; shift; up "$@" ;;
  down) machine_lock fleet "$@"; shift; down "$@" ;;
  status) status ;;
  inventory) write_inventory; echo "$INVENTORY" ;;
  *) echo "usage: $0 up [NAME...] | down [NAME...] | status | inventory" >&2; exit 2 ;;
esac

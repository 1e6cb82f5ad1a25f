#!/usr/bin/env bash
# make bench: the project's benchmarks (tests/bench/cases.yml) on fleets of their own.
#   BENCH_SIZES="50 200 500"    fleet sizes of the fleet cases (default 50), each on a fresh SSH fleet
#   BENCH_FORKS=50              forks of every case on a fleet, never more than its hosts
#   BENCH_HOSTS=10              the fleet of the sysctl cases (posix loop against sysctl_profile)
#   BENCH_REPEAT=N              timed runs of every case, instead of each case's own repeat
#   BENCH_ONLY=fleet-*          only the cases whose names match (comma-separated patterns)
#   BENCH_CVM_INSTANCES=5000    instances the CVM API double serves, over 3 regions
#   BENCH_DIR=...               logs and results.json (default $TENCENTOS_FLEET_WORKDIR/bench)
# Sets up (idempotent), starts the CVM API double on 127.0.0.1 if the selected cases use it, and runs the
# harness tools/bench.py, which starts each fleet (the SSH fleet `bench`, 10.252.0.0/16: the demo's and
# the fault suite's are left alone). At the end, also when interrupted or failed, the fleet is taken down
# and the double stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BENCH_SIZES=${BENCH_SIZES:-50}
BENCH_FORKS=${BENCH_FORKS:-50}
BENCH_HOSTS=${BENCH_HOSTS:-10}
BENCH_CVM_INSTANCES=${BENCH_CVM_INSTANCES:-5000}
BENCH_DIR=${BENCH_DIR:-$TENCENTOS_FLEET_WORKDIR/bench}
CASES=$PROJECT_DIR/tests/bench/cases.yml
SCRIPTS=$PROJECT_DIR/molecule/resources/scripts
# The fleet that ssh-fleet.sh starts for the cases (see its header), and its inventory.
export SSH_FLEET_NAME=bench SSH_FLEET_NET=10.252
export BENCH_INVENTORY=$TENCENTOS_FLEET_WORKDIR/ssh-fleet/$SSH_FLEET_NAME/inventory/hosts.yml

for size in $BENCH_SIZES $BENCH_HOSTS; do
    if ! [[ $size =~ ^[1-9][0-9]*$ ]] || [ "$size" -gt 500 ]; then
        echo "BENCH_SIZES=$BENCH_SIZES BENCH_HOSTS=$BENCH_HOSTS: each a number of hosts from 1 to 500" >&2
        exit 2
    fi
done
[[ $BENCH_FORKS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_FORKS=$BENCH_FORKS is not a number of forks" >&2; exit 2; }
[[ $BENCH_CVM_INSTANCES =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_CVM_INSTANCES=$BENCH_CVM_INSTANCES is not a number" >&2; exit 2; }
export BENCH_DIR BENCH_CVM_DIR=$BENCH_DIR/cvm BENCH_CVM_INSTANCES

# The CVM cases' inventories: the bench's files with the double's endpoint (the plain one also with a
# cache), and a script that prints the plain one's --list output, written here from the plugin's run.
start_cvm_api_double() {
    local port_file=$BENCH_CVM_DIR/api.port secret_id secret_key port
    rm -rf "$BENCH_CVM_DIR" && mkdir -p "$BENCH_CVM_DIR"
    "$VENV/bin/python" "$PROJECT_DIR/tests/unit/plugins/inventory/cvm_api_double.py" \
        --regions ap-guangzhou,ap-shanghai,ap-beijing --instances "$BENCH_CVM_INSTANCES" --port-file "$port_file" &
    cvm_double_pid=$!
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.2; done
    [ -s "$port_file" ] || { echo "the CVM API double did not start" >&2; return 1; }
    port=$(cat "$port_file")
    read -r secret_id secret_key < <(cd "$PROJECT_DIR/tests/unit/plugins/inventory" && "$VENV/bin/python" -c \
        'import cvm_api_double as d; print(d.TEST_SECRET_ID, d.TEST_SECRET_KEY)')
    export TENCENTCLOUD_SECRET_ID=$secret_id TENCENTCLOUD_SECRET_KEY=$secret_key
    for name in fleet constructed; do
        { cat "$PROJECT_DIR/tests/bench/cvm/$name.cvm.yml"; echo "endpoint: http://127.0.0.1:$port"; } \
            > "$BENCH_CVM_DIR/$name.cvm.yml"
    done
    { cat "$BENCH_CVM_DIR/fleet.cvm.yml"
      printf 'cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n' "$BENCH_CVM_DIR/cache"
    } > "$BENCH_CVM_DIR/cached.cvm.yml"
    ansible-inventory -i "$BENCH_CVM_DIR/fleet.cvm.yml" --list --output "$BENCH_CVM_DIR/inventory.json"
    printf '#!/bin/sh\n# Prints the cvm plugin'"'"'s --list output, written by tools/bench.sh.\nexec cat %s\n' \
        "$BENCH_CVM_DIR/inventory.json" > "$BENCH_CVM_DIR/script-inventory.sh"
    chmod +x "$BENCH_CVM_DIR/script-inventory.sh"
}

started=$(date +%s)
mkdir -p "$BENCH_DIR"
# The loopback mirror that setup starts is not used here (the fleet has its own on its bridge): leave
# it as it was found. A fleet the harness may have started goes in any case.
mirror_was_up=no cvm_double_pid='' bench_pid='' needs_fleet=no
bash "$SCRIPTS/serve-repo.sh" status >/dev/null 2>&1 && mirror_was_up=yes
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local code=$?
    [ -z "$cvm_double_pid" ] || kill "$cvm_double_pid" 2>/dev/null || true
    if [ "$needs_fleet" = yes ] && ! bash "$SCRIPTS/ssh-fleet.sh" down; then
        echo "bench: the fleet $SSH_FLEET_NAME did not go down" >&2
        code=1
    fi
    [ "$mirror_was_up" = yes ] || bash "$SCRIPTS/serve-repo.sh" stop
    exit "$code"
}
# Interrupted: the harness ends the command it runs (its whole process group) and stops, then the EXIT
# trap takes the fleet down. The harness runs in the background so that the signal is acted on at once.
# shellcheck disable=SC2317  # run by the INT and TERM traps
interrupted() {
    trap - INT TERM
    echo "bench: interrupted, stopping" >&2
    [ -z "$bench_pid" ] || { kill -TERM "$bench_pid" 2>/dev/null || true; wait "$bench_pid" || true; }
    exit "$1"
}
trap cleanup EXIT
trap 'interrupted 130' INT
trap 'interrupted 143' TERM
bash "$PROJECT_DIR/tools/setup.sh"
# Only now: setup builds .venv with the python3 found on PATH, and must not find the venv's own.
export PATH=$VENV/bin:$PATH

harness=("$VENV/bin/python" "$PROJECT_DIR/tools/bench.py" "$CASES" ${BENCH_ONLY:+--only "$BENCH_ONLY"}
         --sizes "$BENCH_SIZES" --hosts "$BENCH_HOSTS" --forks "$BENCH_FORKS")
# What the selected cases use: a fleet ($BENCH_INVENTORY), the CVM API double ($BENCH_CVM_DIR).
commands=$("${harness[@]}" --print-commands)
grep -q 'BENCH_INVENTORY' <<<"$commands" && needs_fleet=yes
if grep -q 'BENCH_CVM_DIR' <<<"$commands"; then
    step "CVM API double: $BENCH_CVM_INSTANCES instances in 3 regions on 127.0.0.1"
    start_cvm_api_double
fi

step "benchmarks (tests/bench/cases.yml)"
# Every run's logs are its own.
rm -rf "$BENCH_DIR/logs"
status=0
"${harness[@]}" ${BENCH_REPEAT:+--repeat "$BENCH_REPEAT"} --logs "$BENCH_DIR/logs" --results "$BENCH_DIR/results.json" &
bench_pid=$!
wait "$bench_pid" || status=$?
bench_pid=''
echo
echo "bench finished in $(( $(date +%s) - started )) s on $(nproc) cores (results in $BENCH_DIR/results.json, logs in $BENCH_DIR/logs)"
exit "$status"

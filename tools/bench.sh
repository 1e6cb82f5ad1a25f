#!/usr/bin/env bash
# make bench: the project's benchmarks (tests/bench/cases.yml) on a fleet of their own.
#   BENCH_HOSTS=10              simulated hosts, the demo fleet's five images in turn (10: two of each)
#   BENCH_REPEAT=N              timed runs of every case, instead of each case's own repeat
#   BENCH_ONLY=cvm-*            only the cases whose names match (comma-separated patterns)
#   BENCH_CVM_INSTANCES=5000    instances the CVM API double serves, over 3 regions
# Sets up (idempotent), starts what the selected cases use: the bench fleet from fresh containers
# (tencentos-bench-*: the demo's and molecule's hosts are left alone) and the CVM API double on
# 127.0.0.1; runs the harness tools/bench.py; removes the fleet and stops the double at the end.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BENCH_HOSTS=${BENCH_HOSTS:-10}
BENCH_CVM_INSTANCES=${BENCH_CVM_INSTANCES:-5000}
BENCH_DIR=$TENCENTOS_FLEET_WORKDIR/bench
CASES=$PROJECT_DIR/tests/bench/cases.yml
SCRIPTS=$PROJECT_DIR/molecule/resources/scripts
# fleet.sh starts, checks and removes whichever fleet these describe (see its header).
export FLEET_FILE=$BENCH_DIR/fleet.yml FLEET_CONTAINER_PREFIX=tencentos-bench- FLEET_INVENTORY=$BENCH_DIR/inventory.yml
# What the cases use: the fleet, and one fork per host so that no host waits for a free fork.
export BENCH_INVENTORY=$FLEET_INVENTORY BENCH_FORKS=$BENCH_HOSTS

[[ $BENCH_HOSTS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_HOSTS=$BENCH_HOSTS is not a number of hosts" >&2; exit 2; }
[[ $BENCH_CVM_INSTANCES =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_CVM_INSTANCES=$BENCH_CVM_INSTANCES is not a number" >&2; exit 2; }
export BENCH_CVM_DIR=$BENCH_DIR/cvm BENCH_CVM_INSTANCES

# The bench hosts take the demo fleet's hosts in turn: tos24-1, tos31-1, ..., centos7-1, tos24-2, ...
write_bench_fleet() {
    local demo i name image kernel
    mapfile -t demo < <(python3 "$SCRIPTS/yaml_table.py" --sep ' ' "$PROJECT_DIR/molecule/resources/fleet.yml" \
        name image kernel_release)
    {
        echo "# Written by tools/bench.sh: $BENCH_HOSTS hosts of the demo fleet's images."
        for ((i = 0; i < BENCH_HOSTS; i++)); do
            read -r name image kernel <<<"${demo[i % ${#demo[@]}]}"
            printf -- '- name: %s-%d\n  image: %s\n  kernel_release: %s\n' \
                "$name" $((i / ${#demo[@]} + 1)) "$image" "$kernel"
        done
    } > "$FLEET_FILE"
}

# The CVM cases' inventories: the bench's files with the double's endpoint (the plain one also with a
# cache), and a script that prints the plain one's --list output, written here from the plugin's run.
start_cvm_api_double() {
    local port_file=$BENCH_CVM_DIR/api.port secret_id secret_key port
    rm -rf "$BENCH_CVM_DIR" && mkdir -p "$BENCH_CVM_DIR"
    "$VENV/bin/python" "$PROJECT_DIR/tests/controller/cvm_api_double.py" --regions ap-guangzhou,ap-shanghai,ap-beijing \
        --instances "$BENCH_CVM_INSTANCES" --port-file "$port_file" &
    cvm_double_pid=$!
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.2; done
    [ -s "$port_file" ] || { echo "the CVM API double did not start" >&2; return 1; }
    port=$(cat "$port_file")
    read -r secret_id secret_key < <(cd "$PROJECT_DIR/tests/controller" && "$VENV/bin/python" -c \
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
# The mirror that setup starts is not used here: leave it as it was found. The fleet goes in any case.
mirror_was_up=no fleet_written=no cvm_double_pid='' needs_fleet=no needs_cvm=no
bash "$SCRIPTS/serve-repo.sh" status >/dev/null 2>&1 && mirror_was_up=yes
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    [ -z "$cvm_double_pid" ] || kill "$cvm_double_pid" 2>/dev/null || true
    [ "$fleet_written" = no ] || bash "$SCRIPTS/fleet.sh" down
    [ "$mirror_was_up" = yes ] || bash "$SCRIPTS/serve-repo.sh" stop
}
trap cleanup EXIT
bash "$PROJECT_DIR/tools/setup.sh"
# Only now: setup builds .venv with the python3 found on PATH, and must not find the venv's own.
export PATH=$VENV/bin:$PATH

# What the selected cases use: the bench fleet ($BENCH_INVENTORY), the CVM API double ($BENCH_CVM_DIR).
commands=$("$VENV/bin/python" "$PROJECT_DIR/tools/bench.py" "$CASES" ${BENCH_ONLY:+--only "$BENCH_ONLY"} --print-commands)
needs_fleet=no needs_cvm=no
grep -q 'BENCH_INVENTORY' <<<"$commands" && needs_fleet=yes
grep -q 'BENCH_CVM_DIR' <<<"$commands" && needs_cvm=yes
if [ "$needs_fleet" = yes ]; then
    step "bench fleet: $BENCH_HOSTS simulated hosts"
    # A previous run's hosts go first, however many there were: every run starts from freshly booted hosts.
    [ ! -f "$FLEET_FILE" ] || bash "$SCRIPTS/fleet.sh" down
    write_bench_fleet
    fleet_written=yes
    bash "$SCRIPTS/fleet.sh" up
fi
if [ "$needs_cvm" = yes ]; then
    step "CVM API double: $BENCH_CVM_INSTANCES instances in 3 regions on 127.0.0.1"
    start_cvm_api_double
fi

step "benchmarks (tests/bench/cases.yml)"
status=0
"$VENV/bin/python" "$PROJECT_DIR/tools/bench.py" "$CASES" ${BENCH_ONLY:+--only "$BENCH_ONLY"} \
    ${BENCH_REPEAT:+--repeat "$BENCH_REPEAT"} --logs "$BENCH_DIR/logs" --results "$BENCH_DIR/results.json" \
    || status=$?
echo
echo "bench finished in $(( $(date +%s) - started )) s on $(nproc) cores ($([ "$needs_fleet" = no ] || echo "$BENCH_HOSTS hosts, ")$([ "$needs_cvm" = no ] || echo "$BENCH_CVM_INSTANCES CVM instances, ")logs in $BENCH_DIR/logs)"
exit "$status"

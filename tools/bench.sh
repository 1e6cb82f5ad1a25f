#!/usr/bin/env bash
# make bench: the project's benchmarks (tests/bench/cases.yml) on a fleet of their own.
#   BENCH_HOSTS=10   simulated hosts, the demo fleet's five images in turn (10: two of each)
#   BENCH_REPEAT=N   timed runs of every case, instead of each case's own repeat
# Sets up (idempotent), starts the bench fleet from fresh containers (tencentos-bench-*: the demo's and
# molecule's hosts are left alone), runs the harness tools/bench.py, and removes the fleet at the end.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BENCH_HOSTS=${BENCH_HOSTS:-10}
BENCH_DIR=$TENCENTOS_FLEET_WORKDIR/bench
SCRIPTS=$PROJECT_DIR/molecule/resources/scripts
# fleet.sh starts, checks and removes whichever fleet these describe (see its header).
export FLEET_FILE=$BENCH_DIR/fleet.yml FLEET_CONTAINER_PREFIX=tencentos-bench- FLEET_INVENTORY=$BENCH_DIR/inventory.yml
# What the cases use: the fleet, and one fork per host so that no host waits for a free fork.
export BENCH_INVENTORY=$FLEET_INVENTORY BENCH_FORKS=$BENCH_HOSTS

[[ $BENCH_HOSTS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_HOSTS=$BENCH_HOSTS is not a number of hosts" >&2; exit 2; }

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

started=$(date +%s)
# The mirror that setup starts is not used here: leave it as it was found. The fleet goes in any case.
mirror_was_up=no fleet_written=no
bash "$SCRIPTS/serve-repo.sh" status >/dev/null 2>&1 && mirror_was_up=yes
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    [ "$fleet_written" = no ] || bash "$SCRIPTS/fleet.sh" down
    [ "$mirror_was_up" = yes ] || bash "$SCRIPTS/serve-repo.sh" stop
}
trap cleanup EXIT
bash "$PROJECT_DIR/tools/setup.sh"
# Only now: setup builds .venv with the python3 found on PATH, and must not find the venv's own.
export PATH=$VENV/bin:$PATH

step "bench fleet: $BENCH_HOSTS simulated hosts"
mkdir -p "$BENCH_DIR"
# A previous run's hosts go first, however many there were: every run starts from freshly booted hosts.
[ ! -f "$FLEET_FILE" ] || bash "$SCRIPTS/fleet.sh" down
write_bench_fleet
fleet_written=yes
bash "$SCRIPTS/fleet.sh" up

step "benchmarks (tests/bench/cases.yml)"
status=0
"$VENV/bin/python" "$PROJECT_DIR/tools/bench.py" "$PROJECT_DIR/tests/bench/cases.yml" \
    ${BENCH_REPEAT:+--repeat "$BENCH_REPEAT"} --logs "$BENCH_DIR/logs" --results "$BENCH_DIR/results.json" \
    || status=$?
echo
echo "bench finished in $(( $(date +%s) - started )) s on $BENCH_HOSTS hosts and $(nproc) cores; logs in $BENCH_DIR/logs"
exit "$status"

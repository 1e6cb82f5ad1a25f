#!/usr/bin/env bash
# The fault suite (make faults): the collection's playbooks on an SSH fleet of its own while things break -
# the controller killed in a kernel wave and in a hot patch wave, sshd of some hosts stopped, the mirror
# stopped or answering 500, /boot too small, 2 % of the new kernels panicking in a rolling upgrade - and every
# case asserts each host's state afterwards (tests/faults, docs/testing.md). Then a table of host counts per
# case (hosts, changed, failed and named, left inconsistent), also when a case failed.
#   FAULT_HOSTS   hosts of the fleet (default 200; make test runs 20)
#   FAULT_SEED    seed of the choice of the hosts each case breaks (printed)
# Arguments, if any, replace tests/faults as pytest's selection: tools/faults.sh tests/faults/test_rolling_upgrade.py
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export FAULT_HOSTS=${FAULT_HOSTS:-200}
started=$(date +%s)
bash "$PROJECT_DIR/tools/setup.sh"

results=$TENCENTOS_FLEET_WORKDIR/faults
mkdir -p "$results"
rm -f "$results"/*.json
step "the fault suite on $FAULT_HOSTS simulated hosts over SSH"
status=0
(cd "$PROJECT_DIR" && "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rA "${@:-tests/faults}") || status=$?

step "hosts of each fault case"
if ! "$VENV/bin/python" "$PROJECT_DIR/tests/faults/table.py" "$results" && [ "$status" = 0 ]; then
    status=1
fi
echo
echo "fault suite on $FAULT_HOSTS hosts: $(( $(date +%s) - started )) s, logs in $results/run"
exit "$status"

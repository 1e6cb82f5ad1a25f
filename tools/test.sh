#!/usr/bin/env bash
# The whole test suite: lint, sanity on the oldest and newest controller, unit tests on
# every target Python, the module on every target Python through a real controller, the
# inventory plugin on the oldest and newest controller, the molecule scenarios, and every
# playbook on the simulated fleet from the oldest and newest controller. The machine's own
# sysctls are checked to be untouched at the end.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

started=$(date +%s)
# Leave the local mirror as it was found: stop it at the end unless it was already serving.
if ! bash "$PROJECT_DIR/molecule/resources/scripts/serve-repo.sh" status >/dev/null 2>&1; then
    trap 'bash "$PROJECT_DIR/molecule/resources/scripts/serve-repo.sh" stop' EXIT
fi
bash "$PROJECT_DIR/tools/setup.sh"

guard=$TENCENTOS_FLEET_WORKDIR/sysctl-before-tests
bash "$PROJECT_DIR/molecule/resources/scripts/sysctl-guard.sh" save "$guard"

cd "$PROJECT_DIR"
bash tools/lint.sh
step "ansible-test sanity"
bash tools/sanity.sh
step "unit tests"
bash tools/units.sh
step "project consistency"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/project
step "the module on every target Python, through the oldest and newest controllers"
pythons=""
for version in $TARGET_PYTHONS; do
    python=$(find_python "$version") && pythons="$pythons $version=$python"
done
TENCENTOS_FLEET_PYTHONS=$pythons \
TENCENTOS_FLEET_CONTROLLERS="oldest=$VENV_OLDEST/bin/ansible newest=$VENV_NEWEST/bin/ansible" \
    "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rs tests/integration
step "the cvm inventory plugin on the oldest and newest controller, against a local double of the CVM API"
for controller in "$VENV_OLDEST" "$VENV_NEWEST"; do
    PYTHONPATH=$COLLECTIONS_DIR "$controller/bin/python" -m pytest -p no:cacheprovider -q tests/controller
done
step "molecule"
bash tools/molecule.sh
step "the filter plugins of the playbooks' reports, on the oldest and newest controller"
# Controller code: tools/units.sh, which runs target Pythons, does not collect their tests.
for controller in "$VENV_OLDEST" "$VENV_NEWEST"; do
    PYTHONPATH=$COLLECTIONS_DIR "$controller/bin/python" -m pytest -p no:cacheprovider -q tests/unit/plugins/filter
done
step "the simulated fleet checks itself (kernel interface, namespaces, mirror, reboot)"
bash molecule/resources/scripts/fleet.sh up
bash molecule/resources/scripts/verify-fleet.sh
step "every playbook (site, stats_isolation, hotpatch, kernel_upgrade) on the simulated fleet, from the oldest and newest controller"
TENCENTOS_FLEET_INVENTORY=$TENCENTOS_FLEET_WORKDIR/inventory.yml \
TENCENTOS_FLEET_PLAYBOOK_CONTROLLERS="oldest=$VENV_OLDEST/bin/ansible-playbook newest=$VENV_NEWEST/bin/ansible-playbook" \
    "$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/fleet
bash molecule/resources/scripts/fleet.sh down

step "the machine's own sysctls are unchanged"
bash "$PROJECT_DIR/molecule/resources/scripts/sysctl-guard.sh" check "$guard"

echo
echo "all tests passed in $(( $(date +%s) - started )) s"

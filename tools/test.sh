#!/usr/bin/env bash
# The whole test suite: lint, sanity on the oldest and newest controller, unit tests on
# every target Python, the module on every target Python through a real controller, the
# controller plugins on the oldest and newest controller, the molecule scenarios, and every
# playbook on the simulated fleet from the oldest and newest controller, the fault suite and the
# benchmarks on small SSH fleets. The machine's own sysctls are checked to be untouched at the end.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

started=$(date +%s)
# Leave the local mirror as it was found: stop it at the end unless it was already serving. An SSH fleet
# this run started goes in any case.
mirror_was_up=no ssh_fleet_up=no
bash "$PROJECT_DIR/molecule/resources/scripts/serve-repo.sh" status >/dev/null 2>&1 && mirror_was_up=yes
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    [ "$ssh_fleet_up" = no ] || bash "$PROJECT_DIR/molecule/resources/scripts/ssh-fleet.sh" down || true
    [ "$mirror_was_up" = yes ] || bash "$PROJECT_DIR/molecule/resources/scripts/serve-repo.sh" stop
}
trap cleanup EXIT
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
step "release checks: galaxy-importer (flake8 on, as Automation Hub runs it) and antsibull-docs on the built artifact"
bash tools/release_checks.sh
step "AWX as code: the definitions against awx.awx's modules and the roles, apply.yml against a local AWX API, the execution environments"
PYTHONPATH=$COLLECTIONS_DIR "$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/awx
step "the module on every target Python, through the oldest and newest controllers"
pythons=""
for version in $TARGET_PYTHONS; do
    python=$(find_python "$version") && pythons="$pythons $version=$python"
done
TENCENTOS_FLEET_PYTHONS=$pythons \
TENCENTOS_FLEET_CONTROLLERS="oldest=$VENV_OLDEST/bin/ansible newest=$VENV_NEWEST/bin/ansible" \
    "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rs tests/target_pythons
step "the controller's plugins (filters, the tencentos_facts action, the cvm inventory against a local CVM API), on the oldest and newest controller"
# Every plugin type but modules and module_utils. tests/unit/conftest.py collects their tests only where a
# controller of the collection could run (Jinja2, the Tencent Cloud SDK), so tools/units.sh does not; were a
# venv below to lack either, no test would be collected and pytest would fail.
for controller in "$VENV_OLDEST" "$VENV_NEWEST"; do
    PYTHONPATH=$COLLECTIONS_DIR "$controller/bin/python" -m pytest -p no:cacheprovider -q tests/unit/plugins \
        --ignore=tests/unit/plugins/modules --ignore=tests/unit/plugins/module_utils
done
step "the audit's HTML page in a headless browser (Chromium): rendered, its counts, its filters, 500 hosts, a screenshot"
PYTHONPATH=$COLLECTIONS_DIR "$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/browser
step "molecule"
bash tools/molecule.sh
step "molecule for users' roles: docs/testing.md's section as written, from the built and installed collection"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/user_role
step "the simulated fleet checks itself (podman hosts: kernel interface, namespaces, mirror, reboot)"
bash molecule/resources/scripts/fleet.sh up
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/simulation
bash molecule/resources/scripts/fleet.sh down

step "every playbook (site, provision, stats_isolation, hotpatch, kernel_upgrade) over SSH on nine simulated hosts, from the oldest and newest controller, and as AWX jobs"
# A fleet of the tests' own (the demo's, if one is up, is left alone), taken down at the end whatever happens.
export SSH_FLEET_NAME=tests SSH_FLEET_NET=10.254
ssh_fleet_up=yes
fleet_tests() {
    TENCENTOS_FLEET_INVENTORY=$TENCENTOS_FLEET_WORKDIR/ssh-fleet/tests/inventory/hosts.yml \
    REPO_URL_GUEST=http://$SSH_FLEET_NET.0.1:$REPO_PORT \
    TENCENTOS_FLEET_PLAYBOOK_CONTROLLERS="oldest=$VENV_OLDEST/bin/ansible-playbook newest=$VENV_NEWEST/bin/ansible-playbook" \
        "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$@"
}
# provision.yml is what a fresh fleet gets first; the other playbooks' tests expect hosts it has not changed
# (no staged kernel, no hot patch), so each starts from freshly booted hosts (`up` starts them again). The audit
# starts from the provisioned fleet.
bash molecule/resources/scripts/ssh-fleet.sh up 9
fleet_tests tests/fleet/test_provision.py tests/fleet/test_audit.py
bash molecule/resources/scripts/ssh-fleet.sh up 9
fleet_tests tests/fleet --ignore=tests/fleet/test_provision.py --ignore=tests/fleet/test_audit.py \
    --ignore=tests/fleet/test_awx_jobs.py
# The AWX job templates provision first, as on a fresh fleet, then run the others.
bash molecule/resources/scripts/ssh-fleet.sh up 9
fleet_tests tests/fleet/test_awx_jobs.py
bash molecule/resources/scripts/ssh-fleet.sh down
ssh_fleet_up=no
unset SSH_FLEET_NAME SSH_FLEET_NET

step "make faults, small: every fault case on 20 SSH hosts, each host's state asserted, the table of host counts"
# The fault suite's fleet (SSH_FLEET_NAME=faults) is taken down by its own fixture, whatever happens.
FAULT_HOSTS=20 bash tools/faults.sh

step "make bench's fleet cases, small: three SSH hosts, every case once, the tables and results.json, the fleet down"
# The whole path of `make bench`; no speed is asserted. A BENCH_DIR of its own, so that a real run's results stay.
BENCH_SIZES=3 BENCH_ONLY='fleet-*' BENCH_REPEAT=1 BENCH_DIR=$TENCENTOS_FLEET_WORKDIR/bench-small bash tools/bench.sh

step "the machine's own sysctls are unchanged"
bash "$PROJECT_DIR/molecule/resources/scripts/sysctl-guard.sh" check "$guard"

echo
echo "all tests passed in $(( $(date +%s) - started )) s"

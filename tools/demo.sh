#!/usr/bin/env bash
# The main job on the simulated fleet, the way users run it: set everything up, start nine simulated
# TencentOS hosts (one per release of molecule/resources/fleet.yml) reached over SSH, provision them with
# playbooks/provision.yml (repositories, kernel staged for its reboot, sysctl profile, hot patches: each
# group's variables from examples/inventory/group_vars) and print the fleet report it ends with; then audit the
# fleet with playbooks/audit.yml (changing nothing), print its summary and write its page, audit.html, with
# audit.md, audit.json and audit-junit.xml, to /var/tmp/tencentos-fleet/audit/.
# The hosts stay up afterwards for you to explore (`make fleet-down` stops them):
#   bash molecule/resources/scripts/ssh-fleet.sh ssh tos24
#   ansible-playbook -i /var/tmp/tencentos-fleet/ssh-fleet/demo/inventory/hosts.yml playbooks/site.yml
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DEMO_HOSTS=${DEMO_HOSTS:-9}
started=$(date +%s)
bash "$PROJECT_DIR/tools/setup.sh"

step "simulated fleet: $DEMO_HOSTS hosts over SSH"
SSH_FLEET_NAME=demo bash "$PROJECT_DIR/molecule/resources/scripts/ssh-fleet.sh" up "$DEMO_HOSTS"
inventory=$TENCENTOS_FLEET_WORKDIR/ssh-fleet/demo/inventory/hosts.yml

step "provision playbook"
report_dir=$TENCENTOS_FLEET_WORKDIR/report
"$VENV/bin/ansible-playbook" -i "$inventory" "$PROJECT_DIR/playbooks/provision.yml" \
    -e "tencentos_fleet_report_dir=$report_dir"

echo
echo "SIMULATION: these hosts are containers that imitate TencentOS userland and kernel interfaces,"
echo "reached over SSH (see docs/simulation.md); the report shows what the collection detected and did."
echo
cat "$report_dir/fleet-report.txt"

step "audit playbook: the fleet against its desired state, changing nothing"
audit_dir=$TENCENTOS_FLEET_WORKDIR/audit
"$VENV/bin/ansible-playbook" -i "$inventory" "$PROJECT_DIR/playbooks/audit.yml" \
    -e "tencentos_fleet_audit_dir=$audit_dir"

echo
cat "$audit_dir/audit.md"
echo
echo "demo finished in $(( $(date +%s) - started )) s; report in $report_dir; inventory $inventory"
echo "the audit page: file://$audit_dir/audit.html (also audit.md, audit.json, audit-junit.xml there)"
echo "a shell on a host: bash molecule/resources/scripts/ssh-fleet.sh ssh tos24; stop the hosts: make fleet-down"

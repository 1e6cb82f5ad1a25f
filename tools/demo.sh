#!/usr/bin/env bash
# The main job on the simulated fleet: set everything up, start the five simulated hosts,
# run playbooks/site.yml against them and print the fleet report.
# The hosts stay up afterwards for you to explore; `make fleet-down` stops them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

started=$(date +%s)
bash "$PROJECT_DIR/tools/setup.sh"

step "simulated fleet"
bash "$PROJECT_DIR/molecule/resources/scripts/fleet.sh" up

step "site playbook"
report_dir=$TENCENTOS_FLEET_WORKDIR/report
# The repositories come from the local signed mirror, which holds these repositories of each release.
"$VENV/bin/ansible-playbook" -i "$TENCENTOS_FLEET_WORKDIR/inventory.yml" "$PROJECT_DIR/playbooks/site.yml" \
    -e "tencentos_fleet_report_dir=$report_dir" \
    -e tencentos_fleet_configure_repos=true \
    -e "tencentos_repos_mirror=$REPO_URL_GUEST" \
    -e "tencentos_repos_gpg_key_url=$REPO_URL_GUEST/RPM-GPG-KEY-tencentos-fleet-test" \
    -e '{"tencentos_repos_sections": ["tlinux", "tlinux-tkernel3", "tlinux-tkernel4", "tencentos-baseos", "tencentos-tencentos", "opencloudos-baseos", "tencentos-kernel"]}'

echo
echo "SIMULATION: these hosts are containers that imitate TencentOS userland and kernel"
echo "interfaces (see docs/simulation.md); the report shows what the collection detected."
echo
cat "$report_dir/fleet-report.txt"
echo
echo "demo finished in $(( $(date +%s) - started )) s; report in $report_dir; stop the hosts with: make fleet-down"

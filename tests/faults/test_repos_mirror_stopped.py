# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror stops in the middle of a run that changes every host's repository file.

site.yml with the repos role asks for another metadata_expire than the session configured, so every host's
repository file would change. The run is held when the role is about to probe, import and write on every host (the
facts are gathered, the variables checked, the layout loaded); the fleet's mirror stops there. The repo_set
module probes before it writes: every host must fail there, named with the reason, and keep its file.
"""

import hoststate


def test_a_mirror_that_stops_mid_run_changes_no_repository_file(fleet, record):
    before = fleet.last_state or fleet.read_state('before-repos-mirror-stopped')
    try:
        run = fleet.playbook('playbooks/site.yml', {'tencentos_fleet_configure_repos': True,
                                                    'tencentos_repos_metadata_expire': '2h'},
                             pause=(1, 'Probe the repositories, import the GPG key and write the repositories'),
                             fault=lambda: fleet.mirror('stop'), label='repos-mirror-stopped')
    finally:
        fleet.mirror('start')
    after = fleet.read_state('after-repos-mirror-stopped')

    named = [host for host in fleet.hosts
             if any('repository not reachable, nothing was changed' in line and 'Connection refused' in line
                    for line in run.fatal(host))]
    wrong = hoststate.inconsistent(after, fleet.hosts, lambda host, state: [] if (
        state['repo_files'] == before[host]['repo_files']) else ['repository files changed: %s' % state['repo_files']])
    record('repos-mirror-stopped', before, after, named, sorted(wrong), fault='mirror stopped before the probe')

    assert run.paused, run.output[-3000:]
    assert run.returncode != 0
    assert run.failed_hosts() == sorted(fleet.hosts), run.output[-3000:]
    assert named == fleet.hosts, run.output[-3000:]
    assert wrong == {}
    assert hoststate.changed(before, after) == []

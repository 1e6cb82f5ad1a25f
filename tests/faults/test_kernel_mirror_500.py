# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror starts answering 500 in the middle of a kernel run, when the hosts install from it.

The repos role writes a repository file only after the mirror answered (test_repos_mirror_stopped.py); where
a failing mirror matters next is the run that installs from it. kernel_upgrade.yml without reboots (the
reboot contract left false) in one wave over the whole fleet: every host finds its kernel in the mirror's
metadata, then the run is held when the hosts are about to install it, and the mirror is replaced by a server
that answers 500 to every request. Every host must fail the install, be named in the summary with the
reason (the package manager could not download the kernel), and keep everything: its repository files, its
kernel packages, its boot entries.
"""

import hoststate
from conftest import summary, target


def test_a_mirror_answering_500_during_the_install_changes_no_host(fleet, record, tmp_path):
    before = fleet.last_state or fleet.read_state('before-kernel-mirror-500')
    moving = [host for host in fleet.hosts if before[host]['running'] != target(host)]
    broken = []

    def break_mirror():
        fleet.mirror('stop')
        broken.append(fleet.mirror_500())

    try:
        run = fleet.playbook('playbooks/kernel_upgrade.yml', {
            'tencentos_kernel_reboot_ok': False, 'tencentos_kernel_upgrade_waves': ['100%'],
            'tencentos_kernel_upgrade_max_fail_percentage': 100, 'tencentos_fleet_report_dir': str(tmp_path)},
            pause=(1, 'Install the kernel and boot it once'), fault=break_mirror, label='kernel-mirror-500')
    finally:
        for server in broken:
            server.terminate()
            server.wait()
        fleet.mirror('start')
    after = fleet.read_state('after-kernel-mirror-500')
    rows = summary(tmp_path / 'kernel-upgrade.json')['by_host']

    named = [host for host in moving if rows[host]['outcome'] == 'failed'
             and 'installing kernel %s failed' % target(host) in rows[host]['msg'] and 'download' in rows[host]['msg'].lower()]
    wrong = hoststate.inconsistent(after, fleet.hosts, lambda host, state: hoststate.unchanged(before[host], state))
    record('kernel-mirror-500', before, after, named, sorted(wrong), faulty=moving,
           fault='mirror answering 500 from the kernel install on')

    assert run.paused, run.output[-3000:]
    assert run.returncode != 0
    assert moving == fleet.hosts
    assert run.failed_hosts() == sorted(moving), run.output[-3000:]
    assert named == moving, dict((host, rows[host]) for host in moving if host not in named)
    assert wrong == {}
    assert hoststate.changed(before, after) == []

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No test of the simulation changed the machine's own sysctls: compared by sysctl-guard.sh with the snapshot taken
before the first test (conftest.py's machine_before). conftest.py runs this test after every other."""

import simulated


def test_the_machines_sysctls_are_unchanged(machine_before):
    checked = simulated.script('sysctl-guard.sh', 'check', machine_before.sysctl_guard)
    assert checked.returncode == 0, checked.stdout

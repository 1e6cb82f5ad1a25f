# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/stats_isolation.yml, the role-free audit, on the simulated fleet from both controllers.

tos24 (TK3) has the switch, and it is off (molecule/resources/README.md): an audit for "off" passes
on the whole fleet (the hosts without the feature are reported and skipped), one for "on" fails on
tos24 and says why.
"""

import re

import pytest

CONTROLLERS = ('oldest', 'newest')


@pytest.fixture(scope='module')
def audits(ansible_on):
    runs = {}
    for controller in CONTROLLERS:
        run = ansible_on(controller)
        runs[controller] = dict((expect, run('ansible-playbook', 'playbooks/stats_isolation.yml',
                                             '-e', 'stats_isolation_expect=' + expect))
                                for expect in ('off', 'on'))
    return runs


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_an_audit_for_off_passes_on_the_fleet(audits, controller):
    run = audits[controller]['off']
    assert run.returncode == 0, run.stdout
    assert re.search(r'ok: \[tos24\] => \{\s+"msg": "[^"]+: switch off, \d+ of \d+ containers isolated"', run.stdout), \
        run.stdout


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_an_audit_for_on_fails_on_the_tk3_node_and_says_why(audits, controller):
    run = audits[controller]['on']
    assert run.returncode != 0, run.stdout
    assert 'stats isolation is not on as expected: host switch kernel.stats_isolated is off' in run.stdout


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_the_audit_gives_no_warning(audits, controller, warnings_of):
    assert warnings_of(audits[controller]['off'].stdout) == []

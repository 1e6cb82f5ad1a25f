# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/stats_isolation.yml, the role-free audit, on the simulated fleet from both controllers.

tos24 (TK3) has the switch, and it is off (molecule/resources/README.md): an audit for "off" passes
on the whole fleet (the hosts without the feature are reported and skipped), one for "on" fails on
tos24 and says why. In YAML extra vars (a file given with -e @, an AWX survey or a job template's extra
variables), an unquoted on or off is a boolean: the playbook reads it as the word.
"""

import re

import pytest

CONTROLLERS = ('oldest', 'newest')


@pytest.fixture(scope='module')
def audits(ansible_on, tmp_path_factory):
    # As AWX passes extra variables: a YAML file, where unquoted on is true.
    yaml_on = tmp_path_factory.mktemp('extra_vars') / 'expect_on.yml'
    yaml_on.write_text('stats_isolation_expect: on\n')
    runs = {}
    for controller in CONTROLLERS:
        run = ansible_on(controller)
        runs[controller] = dict((expect, run('ansible-playbook', 'playbooks/stats_isolation.yml',
                                             '-e', 'stats_isolation_expect=' + expect))
                                for expect in ('off', 'on', 'maybe'))
        runs[controller]['yaml on'] = run('ansible-playbook', 'playbooks/stats_isolation.yml', '-e', '@%s' % yaml_on)
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


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_on_in_yaml_extra_vars_is_an_audit_for_on(audits, controller):
    run = audits[controller]['yaml on']
    assert run.returncode != 0, run.stdout
    assert 'stats isolation is not on as expected: host switch kernel.stats_isolated is off' in run.stdout
    assert 'stats_isolation_expect is' not in run.stdout


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_a_value_the_audit_does_not_know_is_refused_naming_only_its_variable(audits, controller):
    run = audits[controller]['maybe']
    assert run.returncode != 0, run.stdout
    assert 'stats_isolation_expect is \\"maybe\\": it must be on, off or empty (no audit); nothing was changed' \
        in run.stdout, run.stdout
    assert 'stats_isolation_state' not in run.stdout
    # Refused before any host was reached.
    assert 'Gather the kernel features' not in run.stdout

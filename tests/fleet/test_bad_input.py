# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input to the roles, as a new user would give it, from both controllers: refused before anything
on a host changes, the refusal naming the variable and what is allowed."""

import json
import re

import pytest

CONTROLLERS = ('oldest', 'newest')

# A plausible misspelling of each role's variable, and the name the refusal must suggest.
MISSPELT = {
    'repos': ('tencentos_repos_i_accept_unsigned_package', 'tencentos_repos_i_accept_unsigned_packages'),
    'kernel': ('tencentos_kernel_reboot', 'tencentos_kernel_reboot_ok'),
    'sysctl': ('tencentos_sysctl_profiles', 'tencentos_sysctl_profile'),
    'hotpatch': ('tencentos_hotpatch_patch', 'tencentos_hotpatch_patches'),
}

REFUSAL_TASK = 'Refuse variables the role does not know and values it cannot take, before anything on the host changes'


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    found = {}
    for host, counts in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', output, re.MULTILINE):
        found[host] = dict((key, int(value)) for key, value in re.findall(r'(\w+)=(\d+)', counts))
    return found


@pytest.mark.parametrize('controller', CONTROLLERS)
@pytest.mark.parametrize('role', sorted(MISSPELT))
def test_a_misspelt_variable_is_refused_naming_the_closest_one_before_any_change(ansible_on, controller, role):
    wrong, right = MISSPELT[role]
    run = ansible_on(controller)('ansible-playbook', 'tests/fleet/one_role.yml', '--limit', 'all[0]',
                                 '-e', 'tencentos_fleet_test_role=%s' % role, '-e', '%s=true' % wrong)
    assert run.returncode != 0, run.stdout
    assert '%s is not a variable of this role: did you mean %s?; nothing was changed' % (wrong, right) in run.stdout, \
        run.stdout
    # The refusal is the role's first task on the host: nothing ran there before it.
    assert 'TASK [tencentos.fleet.%s : %s]' % (role, REFUSAL_TASK) in run.stdout, run.stdout
    assert [counts for counts in recap(run.stdout).values() if counts['changed'] or counts['failed'] != 1] == [], \
        run.stdout


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_a_value_with_a_final_newline_is_refused(ansible_on, controller):
    # A $-anchored pattern matches before a final newline; the checks are anchored with \Z.
    run = ansible_on(controller)('ansible-playbook', 'tests/fleet/one_role.yml', '--limit', 'all[0]', '-e', json.dumps({
        'tencentos_fleet_test_role': 'kernel', 'tencentos_kernel_version': '4.14.105-19-0013\n'}))
    assert run.returncode != 0, run.stdout
    # As the fatal line prints it: the message in JSON, the value in JSON inside it.
    assert r'"msg": "tencentos_kernel_version is \"4.14.105-19-0013\\n\": it must be \"latest\"' in run.stdout, \
        run.stdout
    assert [counts for counts in recap(run.stdout).values() if counts['changed'] or counts['failed'] != 1] == [], \
        run.stdout


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_a_decimal_max_fail_percentage_is_taken_as_ansible_takes_it(ansible_on, controller):
    run = ansible_on(controller)('ansible-playbook', 'playbooks/hotpatch.yml', '--limit', 'all[0]', '-e', json.dumps({
        'tencentos_hotpatch_patches': [], 'tencentos_hotpatch_waves': ['100%'],
        'tencentos_hotpatch_max_fail_percentage': 2.5}))
    assert run.returncode == 0, run.stdout
    assert 'TASK [Apply the hotpatch role]' in run.stdout

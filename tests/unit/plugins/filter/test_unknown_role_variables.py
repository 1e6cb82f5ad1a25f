# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Variables with a role's prefix that the role does not know: refused, naming the closest known one."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.unknown_role_variables import (
    FilterModule, known_names, unknown_role_variables)

ROLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles')


def specs(role):
    with open(os.path.join(ROLES, role, 'meta', 'argument_specs.yml')) as handle:
        return yaml.safe_load(handle)


def test_known_names_are_every_entry_points_options():
    assert 'tencentos_kernel_version' in known_names(specs('kernel'))
    assert known_names({'argument_specs': {'main': {'options': {'a': {}}}, 'other': {'options': {'b': {}}}}},
                       also=['c']) == set(['a', 'b', 'c'])


def test_every_option_of_every_role_is_known():
    for role in ('repos', 'kernel', 'sysctl', 'hotpatch'):
        data = specs(role)
        names = sorted(known_names(data))
        assert names and unknown_role_variables(names, data) == []


def test_a_misspelt_gpg_switch_names_the_closest_variable():
    assert unknown_role_variables(['tencentos_repos_i_accept_unsigned_package', 'tencentos_repos_mirror'],
                                  specs('repos')) == [
        'tencentos_repos_i_accept_unsigned_package is not a variable of this role: '
        'did you mean tencentos_repos_i_accept_unsigned_packages?']


def test_a_name_like_none_lists_the_roles_variables():
    data = {'argument_specs': {'main': {'options': {'tencentos_x_a': {}, 'tencentos_x_b': {}}}}}
    assert unknown_role_variables(['tencentos_x_something_else_entirely'], data) == [
        'tencentos_x_something_else_entirely is not a variable of this role; its variables are tencentos_x_a, '
        'tencentos_x_b']


def test_names_the_role_or_its_playbooks_set_are_known_through_also():
    assert unknown_role_variables(['tencentos_kernel_result', 'tencentos_kernel_upgrade_waves'], specs('kernel'),
                                  also=['tencentos_kernel_result', 'tencentos_kernel_upgrade_waves']) == []
    assert len(unknown_role_variables(['tencentos_kernel_result'], specs('kernel'))) == 1


def test_each_unknown_name_once_and_sorted():
    found = unknown_role_variables(['tencentos_sysctl_profiles', 'tencentos_sysctl_file_name', 'tencentos_sysctl_profiles'],
                                   specs('sysctl'))
    assert [sentence.split()[0] for sentence in found] == ['tencentos_sysctl_file_name', 'tencentos_sysctl_profiles']


@pytest.mark.parametrize('names, data', [('tencentos_x', {}), (['a'], 'not a mapping')])
def test_wrong_input_is_a_filter_error(names, data):
    with pytest.raises(AnsibleFilterError):
        unknown_role_variables(names, data)


def test_the_filter_is_registered():
    assert FilterModule().filters()['unknown_role_variables'] is unknown_role_variables

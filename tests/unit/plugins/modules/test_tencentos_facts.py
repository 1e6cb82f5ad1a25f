# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tencentos_facts module: its options and what it hands back to Ansible."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.modules import tencentos_facts


def test_all_facts_by_default_and_nothing_changed(run_module):
    failed, outcome = run_module(tencentos_facts, {})
    assert not failed
    assert outcome['changed'] is False
    assert sorted(outcome['ansible_facts']['tencentos']) == ['features', 'kernel', 'python', 'release', 'repos', 'virtualization']


def test_hot_patches_are_reported_and_documented(run_module):
    features = run_module(tencentos_facts, {'gather_subset': ['features']})[1]['ansible_facts']['tencentos']['features']
    # This machine's kernel has none registered, or some; either way a list of name, abi, enabled, transition.
    assert isinstance(features['hot_patches'], list)
    assert all(sorted(patch) == ['abi', 'enabled', 'name', 'transition'] for patch in features['hot_patches'])
    for key in features:
        assert '\n            %s:\n' % key in tencentos_facts.RETURN


def test_check_mode_is_supported(run_module):
    failed, outcome = run_module(tencentos_facts, {'_ansible_check_mode': True})
    assert not failed and outcome['changed'] is False
    assert 'release' in outcome['ansible_facts']['tencentos']


def test_subset_limits_what_is_gathered(run_module):
    facts = run_module(tencentos_facts, {'gather_subset': ['kernel']})[1]['ansible_facts']['tencentos']
    assert sorted(facts) == ['kernel', 'python']


def test_unknown_subset_is_refused_with_the_allowed_values(run_module):
    failed, outcome = run_module(tencentos_facts, {'gather_subset': ['hardware']})
    assert failed
    assert 'gather_subset' in outcome['msg'] and 'virtualization' in outcome['msg']


@pytest.mark.parametrize('subsets, expected', [
    (['all'], ['release', 'kernel', 'features', 'virtualization', 'repos']),
    (['all', 'kernel'], ['release', 'kernel', 'features', 'virtualization', 'repos']),
    (['virtualization', 'release'], ['release', 'virtualization']),
])
def test_requested_subsets(subsets, expected):
    assert tencentos_facts.requested_subsets(subsets) == expected

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tencentos_facts module: its options and what it hands back to Ansible."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.tencentos.fleet.plugins.modules import tencentos_facts


@contextlib.contextmanager
def module_args(args):
    """Hand ``args`` to the next AnsibleModule, on every supported ansible-core."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def result(monkeypatch):
    """Run the module with the given arguments and return what it exited with."""
    def exit_json(_module, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(_module, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)

    def run(args):
        with module_args(args):
            with pytest.raises(ExitJson) as exited:
                tencentos_facts.main()
        return exited.value.args[0]
    return run


def test_all_facts_by_default_and_nothing_changed(result):
    outcome = result({})
    assert outcome['changed'] is False
    assert sorted(outcome['ansible_facts']['tencentos']) == ['features', 'kernel', 'python', 'release', 'virtualization']


def test_check_mode_is_supported(result):
    outcome = result({'_ansible_check_mode': True})
    assert outcome['changed'] is False
    assert 'release' in outcome['ansible_facts']['tencentos']


def test_subset_limits_what_is_gathered(result):
    facts = result({'gather_subset': ['kernel']})['ansible_facts']['tencentos']
    assert sorted(facts) == ['kernel', 'python']


def test_unknown_subset_is_refused_with_the_allowed_values(monkeypatch):
    def fail_json(_module, **kwargs):
        raise FailJson(kwargs)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    with module_args({'gather_subset': ['hardware']}):
        with pytest.raises(FailJson) as failed:
            tencentos_facts.main()
    message = failed.value.args[0]['msg']
    assert 'gather_subset' in message and 'virtualization' in message


@pytest.mark.parametrize('subsets, expected', [
    (['all'], ['release', 'kernel', 'features', 'virtualization']),
    (['all', 'kernel'], ['release', 'kernel', 'features', 'virtualization']),
    (['virtualization', 'release'], ['release', 'virtualization']),
])
def test_requested_subsets(subsets, expected):
    assert tencentos_facts.requested_subsets(subsets) == expected

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tencentos_facts runs on every target Python, shipped by a real controller.

Each interpreter of this machine runs the module the way a TencentOS host would: the
oldest controller (ansible-core 2.16, the last one that manages Python 2.7 and 3.6) for
Pythons up to 3.12, the newest controller for 3.13.  tools/test.sh tells this test where
the interpreters and controllers are (TENCENTOS_FLEET_PYTHONS, TENCENTOS_FLEET_CONTROLLERS);
an interpreter the machine lacks is skipped and named.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess

import pytest

TARGET_PYTHONS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13']


def pairs(variable):
    return dict(item.split('=', 1) for item in os.environ.get(variable, '').split() if '=' in item)


PYTHONS = pairs('TENCENTOS_FLEET_PYTHONS')
CONTROLLERS = pairs('TENCENTOS_FLEET_CONTROLLERS')


def controller_for(version):
    return CONTROLLERS['newest' if version == '3.13' else 'oldest']


def run_module(version):
    env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=PYTHONS[version], ANSIBLE_NOCOLOR='1')
    output = subprocess.check_output(
        [controller_for(version), 'localhost', '-i', 'localhost,', '-c', 'local', '--one-line',
         '-m', 'tencentos.fleet.tencentos_facts'], env=env).decode('utf-8')
    # --one-line prints "localhost | SUCCESS => {...}"
    return json.loads(output.split(' => ', 1)[1])


def test_the_oldest_targets_are_on_this_machine():
    """Python 2.7 and 3.6 are what TencentOS 2.x/3.x hosts run: the suite must cover them."""
    assert '2.7' in PYTHONS and '3.6' in PYTHONS, 'found only %s' % sorted(PYTHONS)


@pytest.mark.parametrize('version', TARGET_PYTHONS)
def test_facts_module_runs_on_target_python(version):
    if version not in PYTHONS:
        pytest.skip('Python %s is not on this machine' % version)
    result = run_module(version)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False
    facts = result['ansible_facts']['tencentos']
    assert facts['python']['version'].startswith(version + '.')
    with open('/proc/sys/kernel/osrelease') as handle:
        assert facts['kernel']['release'] == handle.read().strip()
    assert facts['release']['family'] in ('tlinux', 'tencentos', 'opencloudos', 'centos', 'other')
    assert facts['features']['stats_isolation'] in ('absent', 'off', 'on')

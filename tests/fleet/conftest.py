# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running simulated fleet, for the playbook tests of this folder."""

import os
import subprocess
import sys

import pytest

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope='session')
def ansible():
    """Run an Ansible command (ansible, ansible-playbook) of this virtualenv against the fleet's inventory."""
    path = os.environ.get('TENCENTOS_FLEET_INVENTORY')
    if not path or not os.path.exists(path):
        pytest.fail('TENCENTOS_FLEET_INVENTORY must name the inventory of a running simulated fleet '
                    '(molecule/resources/scripts/fleet.sh up writes it)')

    def run(tool, *args):
        command = [os.path.join(BIN, tool), '-i', path] + list(args)
        return subprocess.run(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
    return run

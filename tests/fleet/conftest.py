# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running simulated fleet and the two controllers, for the playbook tests of this folder.

tools/test.sh names the fleet's inventory (TENCENTOS_FLEET_INVENTORY) and the ansible-playbook of the
oldest and the newest controller (TENCENTOS_FLEET_PLAYBOOK_CONTROLLERS="oldest=PATH newest=PATH"):
TencentOS 2.x and 3.x fleets need ansible-core 2.16 (facts sheet section 1), so every playbook runs on
both ends.
"""

import json
import os
import re
import subprocess

import pytest

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CONTROLLER_NAMES = ('oldest', 'newest')

# Warnings that are not the collection's: Ansible's on a fresh host, containers.podman's connection plugin, the
# simulated fleet's transport, imports helpers that the newest ansible-core deprecates; and the hint that follows them.
FOREIGN_WARNINGS = (
    # Ansible's own, once per fresh host over ssh: the first module run made ~/.ansible/tmp (the SSH fleet's
    # hosts start fresh, as a new CVM does).
    re.compile(r'Module remote_tmp \S+ did not exist and was created with a mode of 0700'),
    re.compile(r"Importing '\w+' from 'ansible\.module_utils\._text' is deprecated"),
    re.compile(r'Deprecation warnings can be disabled by setting'),
    # The simulation's, not the collection's: each SSH host's network namespace is this machine's Linux, where
    # net.ipv4.tcp_max_orphans is global and absent from a namespace; a TencentOS kernel gives every network
    # namespace its own (facts sheet section 6). The sysctl role rightly leaves a profile's key the kernel lacks
    # out, with this warning (roles/sysctl/README.md, "What a simulated host shows, and what only a real one can").
    re.compile(r'left out, not in /proc/sys: net\.ipv4\.tcp_max_orphans$'),
)


def controllers():
    """{'oldest': path, 'newest': path} of the ansible-playbook of each controller."""
    pairs = dict(item.split('=', 1) for item in os.environ.get('TENCENTOS_FLEET_PLAYBOOK_CONTROLLERS', '').split()
                 if '=' in item)
    missing = [name for name in CONTROLLER_NAMES if not os.path.isfile(pairs.get(name, ''))]
    if missing:
        pytest.fail('TENCENTOS_FLEET_PLAYBOOK_CONTROLLERS must name the ansible-playbook of the oldest and the newest '
                    'controller ("oldest=PATH newest=PATH"); missing or not a file: %s' % ', '.join(missing))
    return pairs


def warnings_in(output):
    """The warning and deprecation lines of an Ansible run, but FOREIGN_WARNINGS."""
    lines = [line for line in output.splitlines() if re.match(r'\s*\[(WARNING|DEPRECATION WARNING)\]', line)]
    return [line for line in lines if not any(pattern.search(line) for pattern in FOREIGN_WARNINGS)]


def published_figures_in(output):
    """The set_stats data of a run, as the default callback prints the custom stats (the RUN line), or None."""
    for line in output.splitlines():
        if line.strip().startswith('RUN: '):
            return json.loads(line.strip()[len('RUN: '):])
    return None


@pytest.fixture(scope='session')
def published_figures():
    """published_figures(output) -> the set_stats data of an Ansible run (None without any)."""
    return published_figures_in


@pytest.fixture(scope='session')
def warnings_of():
    """warnings_of(output) -> the warning and deprecation lines of an Ansible run, but FOREIGN_WARNINGS."""
    return warnings_in


@pytest.fixture(scope='session')
def fleet_inventory():
    path = os.environ.get('TENCENTOS_FLEET_INVENTORY')
    if not path or not os.path.exists(path):
        pytest.fail('TENCENTOS_FLEET_INVENTORY must name the inventory of a running simulated fleet '
                    '(molecule/resources/scripts/ssh-fleet.sh up N writes it)')
    return path


@pytest.fixture(scope='session')
def ansible_on(fleet_inventory):
    """ansible_on(controller) -> run(tool, *args, cwd=PROJECT): an Ansible command (ansible, ansible-playbook) of that
    controller against the fleet's inventory, run in cwd, returning the finished process with stdout and stderr
    together."""
    paths = controllers()

    def on(controller):
        bin_dir = os.path.dirname(paths[controller])

        def run(tool, *args, cwd=PROJECT):
            command = [os.path.join(bin_dir, tool), '-i', fleet_inventory] + list(args)
            # The figures a playbook publishes with set_stats, printed as AWX shows them among a job's artifacts.
            env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_SHOW_CUSTOM_STATS='1')
            return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True, check=False, env=env)
        return run
    return on

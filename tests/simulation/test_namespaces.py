# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sysctl write inside a host stays there or is refused: root in a host is uid 100000 on the machine, net.* keys
belong to the host's own network namespace, vm.max_map_count is the host's own only behind
kernel.isolate_max_map_count=1 (molecule/resources/README.md, "The simulated kernel interface")."""

import pytest

SOMAXCONN = '1234'


@pytest.fixture
def somaxconn_written(sim):
    """net.core.somaxconn set to SOMAXCONN in the host while the test runs, then put back."""
    before = sim.host.check_output('sysctl -n net.core.somaxconn')
    yield sim.host.run('sysctl -w net.core.somaxconn=%s' % SOMAXCONN)
    sim.host.run('sysctl -qw net.core.somaxconn=%s' % before)


@pytest.fixture
def max_map_count_written(sim, machine_before):
    """A value the machine does not have written to vm.max_map_count in the host while the test runs; where the
    write went through, the machine's value is written back (the host's own starts from it at each boot)."""
    written = sim.host.run('sysctl -w vm.max_map_count=%d' % machine_before.probe_max_map_count)
    yield written
    if written.rc == 0:
        sim.host.run('sysctl -qw vm.max_map_count=%s' % machine_before.max_map_count)


def test_net_core_somaxconn_is_writable_in_the_hosts_own_network_namespace(sim, somaxconn_written):
    assert somaxconn_written.rc == 0, somaxconn_written.stderr
    assert sim.host.check_output('sysctl -n net.core.somaxconn') == SOMAXCONN


def test_a_somaxconn_write_in_a_host_leaves_the_machines_alone(somaxconn_written, machine_before):
    with open('/proc/sys/net/core/somaxconn') as handle:
        assert handle.read().strip() == machine_before.somaxconn


def test_a_global_key_cannot_be_written(sim):
    written = sim.host.run('sysctl -w vm.swappiness=1')
    assert written.rc != 0, 'vm.swappiness written in %s: %s' % (sim.name, written.stdout)


def test_isolate_max_map_count_is_as_kernel_conf_says(sim):
    found = sim.host.run('sysctl -n kernel.isolate_max_map_count')
    if sim.conf['isolate_max_map_count'] == 'absent':
        assert found.rc != 0, 'kernel.isolate_max_map_count = %s' % found.stdout.strip()
    else:
        assert found.rc == 0 and found.stdout.strip() == sim.conf['isolate_max_map_count']


def test_vm_max_map_count_is_the_hosts_own_only_behind_the_gate(sim, max_map_count_written, machine_before):
    if sim.conf['isolate_max_map_count'] == '1':
        assert max_map_count_written.rc == 0, max_map_count_written.stderr
        assert sim.host.check_output('sysctl -n vm.max_map_count') == str(machine_before.probe_max_map_count)
    else:
        assert max_map_count_written.rc != 0, 'vm.max_map_count, global to the machine, written in %s' % sim.name


def test_a_max_map_count_write_in_a_host_leaves_the_machines_alone(max_map_count_written, machine_before):
    with open('/proc/sys/vm/max_map_count') as handle:
        assert handle.read().strip() == machine_before.max_map_count

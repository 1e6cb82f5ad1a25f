# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site playbook's fleet report tells the truth about every simulated host.

Runs under molecule (verifier: testinfra) and with plain pytest against the demo fleet:

    pytest molecule/default/tests --connection=podman \
        --hosts=tencentos-fleet-tos24,tencentos-fleet-tos31,...
    (with TENCENTOS_FLEET_REPORT_DIR set to the demo report directory)

Each host is looked up by its host name in molecule/resources/fleet.yml, which says what
release and kernel the host simulates.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FLEET_FILE = os.path.join(HERE, '..', '..', 'resources', 'fleet.yml')


def report_dir():
    if os.environ.get('TENCENTOS_FLEET_REPORT_DIR'):
        return os.environ['TENCENTOS_FLEET_REPORT_DIR']
    return os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'report')


@pytest.fixture(scope='module')
def fleet():
    with open(FLEET_FILE) as handle:
        return dict((item['name'], item) for item in yaml.safe_load(handle))


@pytest.fixture(scope='module')
def report():
    with open(os.path.join(report_dir(), 'fleet-report.json')) as handle:
        return dict((row['host'], row) for row in json.load(handle))


@pytest.fixture
def expected(host, fleet):
    return fleet[host.check_output('hostname')]


@pytest.fixture
def row(host, report):
    name = host.check_output('hostname')
    assert name in report, 'host %s missing from the report: %s' % (name, sorted(report))
    return report[name]


def test_host_presents_its_simulated_kernel(host, expected):
    assert host.file('/proc/sys/kernel/osrelease').content_string.strip() == expected['kernel_release']


def test_release_files_belong_to_the_rpm_database(host, expected):
    assert host.run('rpm -qf /etc/os-release').rc == 0
    assert 'ID=' in host.file('/etc/os-release').content_string


def test_report_names_the_release(row, expected):
    assert row['family'] == expected['family']
    assert row['version'] == expected['version']


def test_report_names_the_running_kernel_its_flavour_and_its_line(host, row, expected):
    assert row['kernel'] == host.file('/proc/sys/kernel/osrelease').content_string.strip()
    assert row['flavour'] == expected['kernel_flavour']
    assert row['line'] == expected['kernel_line']


def test_report_tells_stats_isolation_as_the_kernel_shows_it(host, row):
    switch = host.file('/proc/sys/kernel/stats_isolated')
    if not switch.exists:
        assert row['stats_isolation'] == 'absent'
    else:
        assert row['stats_isolation'] == ('off' if switch.content_string.strip() == '0' else 'on')


def test_report_counts_the_isolated_containers_of_a_tk3_node(host, row):
    if row['stats_isolation'] == 'absent':
        assert not row['stats_isolation_summary'].startswith(('on', 'off'))
        return
    # Non-root cgroups carrying the memory controller's flag file: one per container.
    flags = host.check_output('find /sys/fs/cgroup/memory -mindepth 2 -name memory.stats_isolated').split()
    assert row['stats_isolation_summary'].startswith(row['stats_isolation'] + ' (')
    assert row['stats_isolation_summary'].endswith('/%d containers isolated)' % len(flags))


def test_report_names_where_packages_come_from(host, row):
    repo_files = host.check_output('find /etc/yum.repos.d -name "*.repo"').split()
    if not repo_files:
        assert row['repos'] == 'none' and row['repos_managed'] is False
    else:
        assert row['repos'].endswith((' gpg=on', ' gpg=OFF'))


def test_report_tells_the_livepatch_abi_the_kernel_offers(host, row):
    if host.file('/sys/kernel/livepatch').is_directory:
        assert row['livepatch_abi'] == 'livepatch'
    elif host.file('/sys/kernel/kpatch').is_directory:
        assert row['livepatch_abi'] == 'kpatch'
    else:
        assert row['livepatch_abi'] == 'none'


def test_report_tells_the_default_kernel_and_whether_a_reboot_is_pending(host, row):
    # The boot simulation's GRUB environment: the saved default names the kernel booted by default.
    grubenv = host.file('/boot/grub2/grubenv').content_string
    saved = [line.split('=', 1)[1] for line in grubenv.splitlines() if line.startswith('saved_entry=')]
    pending = [line for line in grubenv.splitlines() if line.startswith('next_entry=') and line != 'next_entry=']
    assert saved and row['default_kernel'] in saved[0]
    expect_pending = bool(pending) or row['default_kernel'] != row['kernel']
    assert row['reboot'].startswith('pending: ') if expect_pending else row['reboot'] == 'no'

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/audit.yml on the simulated fleet, from both controllers: a converged fleet shows no drift, each kind
of drift injected on a host appears, named, in every output, and no audit changes anything on any host.

The fleet is the one test_provision.py provisioned (tools/test.sh runs this file after it, on the same fleet). The
module's fixture converges it first: provision.yml with the kernel role's reboot allowed (every host boots into
its target kernel, which the role then makes the default), and the stats isolation switch of the TK3 hosts turned
on, as the profile asks; on these simulated hosts the sysctl role can only write it for the next boot, since a
container cannot set a kernel-global key (roles/sysctl/README.md). The local mirror has hot patches only for the
first kernels of tos24 and tos31, so those two keep their kernel (a second inventory pins it, for the runs that
converge and for the audits alike): the patch is what the audit of the hot patches has to check.
"""

import json
import os
import re
from xml.etree import ElementTree

import pytest

from tests.unit.plugins.filter import junit_schema

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCHEMA = os.path.join(PROJECT, 'docs', 'audit-report.schema.json')
OUTPUTS = ('audit.html', 'audit.md', 'audit.json', 'audit-junit.xml')
# What every host's state is read from before and after an audit: the files the roles write, the boot loader's
# environment, the hot patches (loaded and installed), the live sysctl values and the installed packages. Not the
# package manager's metadata cache, which the kernel's repository query (kernel_target's dnf repoquery, as every dnf
# query) refreshes when it has expired.
STATE_COMMAND = (
    'for f in /etc/yum.repos.d/*.repo /etc/sysctl.d/*.conf /etc/modules-load.d/*.conf /boot/grub2/grubenv '
    '/var/lib/tencentos-fleet/failed-boots; do [ -e "$f" ] && md5sum "$f"; done; '
    'find /var/lib/kpatch /sys/kernel/livepatch -maxdepth 3 2>/dev/null | sort; '
    'cat /sys/kernel/livepatch/*/enabled 2>/dev/null; '
    'sysctl -a 2>/dev/null | grep -v -e "^fs\\.\\(dentry\\|inode\\|file-nr\\)" -e "^kernel\\.random" -e "^kernel.ns_last_pid" '
    '-e "^net.netfilter.nf_conntrack_count" | md5sum; rpm -qa | sort | md5sum')
# The drift each test injects: host, how, and what the audit must find (concern, check, item).
SOMAXCONN = 'net.core.somaxconn'
REPO_FILE = '/etc/yum.repos.d/tencentos-fleet.repo'
PATCH = 'livepatch_test_pkg'
# The hosts whose kernel has a hot patch in the local mirror (examples/inventory/group_vars/tke_node.yml), pinned.
PINNED_KERNELS = {'tos24': '4.14.105-19-0013', 'tos31': '5.4.119-19-0009.1'}


def run_ok(process):
    assert process.returncode == 0, process.stdout[-6000:]
    return process.stdout


def host_states(ansible):
    """{host: the state text} of every host of the fleet."""
    output = run_ok(ansible('ansible', 'all', '-m', 'ansible.builtin.shell', '-a', STATE_COMMAND, '--one-line'))
    states = {}
    for line in output.splitlines():
        match = re.match(r'^(\S+) \| (?:CHANGED|SUCCESS) \| rc=0 \| \(stdout\) (.*)$', line)
        if match:
            states[match.group(1)] = match.group(2)
    assert states, output[-3000:]
    return states


def audit(ansible, desired, out_dir, *extra):
    return ansible('ansible-playbook', 'playbooks/audit.yml', '-i', desired, '-e', 'tencentos_fleet_audit_dir=%s' % out_dir,
                   *extra)


def read_outputs(out_dir):
    outputs = {}
    for name in OUTPUTS:
        with open(os.path.join(out_dir, name)) as handle:
            outputs[name] = handle.read()
    return outputs


def junit_cases(xml_text):
    """{(concern, host): 'passed' | 'failure' | 'error' | 'skipped', with the failure's text}."""
    cases = {}
    for case in ElementTree.fromstring(xml_text).iter('testcase'):
        concern = case.get('classname').rsplit('.', 1)[-1]
        outcome = [child for child in case if child.tag in ('failure', 'error', 'skipped')]
        cases[(concern, case.get('name'))] = (
            (outcome[0].tag, (outcome[0].get('message') or '') + '\n' + (outcome[0].text or '')) if outcome
            else ('passed', ''))
    return cases


def validate(outputs):
    """The JSON against its schema, the JUnit XML against junit-10.xsd; the JSON, parsed."""
    jsonschema = pytest.importorskip('jsonschema')
    report = json.loads(outputs['audit.json'])
    with open(SCHEMA) as handle:
        jsonschema.validate(report, json.load(handle))
    junit_schema.junit_schema().validate(outputs['audit-junit.xml'])
    return report


@pytest.fixture(scope='module')
def ansible(ansible_on):
    return ansible_on('newest')


@pytest.fixture(scope='module')
def desired(tmp_path_factory):
    """A second inventory: the kernels of PINNED_KERNELS (host variables win over the group variables)."""
    path = tmp_path_factory.mktemp('audit') / 'pinned.yml'
    path.write_text(json.dumps({'all': {'hosts': dict(
        (host, {'tencentos_kernel_version': kernel}) for host, kernel in PINNED_KERNELS.items())}}))
    return str(path)


@pytest.fixture(scope='module')
def converged(ansible, desired):
    """The fleet as provision.yml leaves it when the kernel role may reboot, with stats isolation on where it exists."""
    run_ok(ansible('ansible-playbook', 'playbooks/provision.yml', '-i', desired, '-e', 'tencentos_kernel_reboot_ok=true'))
    run_ok(ansible('ansible-playbook', 'playbooks/stats_isolation.yml', '-e', 'stats_isolation_state=enabled'))
    return host_states(ansible)


@pytest.mark.parametrize('controller', ['oldest', 'newest'])
def test_a_converged_fleet_shows_no_drift_and_the_audit_changes_nothing(
        ansible_on, converged, desired, ansible, controller, tmp_path, warnings_of, published_figures):
    process = audit(ansible_on(controller), desired, str(tmp_path))
    run_ok(process)
    # sysctl_profile's own warning of keys the kernel lacks, which the audit names in the sysctl summary: on these
    # simulated hosts net.ipv4.tcp_max_orphans in every network namespace, and kernel.isolate_max_map_count on the TK3
    # kernel the converged tos24 runs.
    assert [line for line in warnings_of(process.stdout) if 'left out, not in /proc/sys: ' not in line] == []
    outputs = read_outputs(str(tmp_path))
    report = validate(outputs)
    drifting = dict((host['host'], host['concerns']) for host in report['hosts'] if host['status'] != 'ok')
    assert drifting == {}
    assert report['summary']['by_status']['ok'] == len(converged)
    assert 'No drift on %d hosts' % len(converged) in outputs['audit.md']
    assert set(outcome for outcome, _text in junit_cases(outputs['audit-junit.xml']).values()) <= {'passed', 'skipped'}
    figures = published_figures(process.stdout)
    assert figures['tencentos_fleet_audit']['drift'] == [] and figures['tencentos_fleet_audit']['summary'] == report['summary']
    assert host_states(ansible) == converged


def inject_drift(ansible):
    """Five kinds of drift, one host each; returns {(host, concern): (check, item)} that the audit must find."""
    run_ok(ansible('ansible', 'tos31', '-m', 'ansible.builtin.command', '-a', 'sysctl -w %s=1000' % SOMAXCONN))
    run_ok(ansible('ansible', 'oc9', '-m', 'ansible.builtin.replace', '-a',
                   'path=%s regexp=^gpgcheck=1 replace=gpgcheck=0' % REPO_FILE))
    run_ok(ansible('ansible', 'tos24', '-m', 'tencentos.fleet.livepatch', '-a', 'name=%s state=disabled' % PATCH))
    # The simulated kernel's release (uname -r would print the machine's).
    running = run_ok(ansible('ansible', 'tos4', '-m', 'ansible.builtin.command', '-a', 'cat /proc/sys/kernel/osrelease',
                             '--one-line'))
    kernel = running.strip().split()[-1]
    run_ok(ansible('ansible', 'tos4', '-m', 'tencentos.fleet.kernel_boot', '-a', 'next_kernel=%s' % kernel))
    run_ok(ansible('ansible', 'tlinux22', '-m', 'tencentos.fleet.stats_isolation', '-a', 'state=disabled'))
    return {
        ('tos31', 'sysctl'): ('live_value', SOMAXCONN),
        ('oc9', 'repos'): ('repo_file', REPO_FILE),
        ('tos24', 'hotpatch'): ('patch_state', PATCH),
        ('tos4', 'kernel'): ('one_time_boot', None),
        ('tlinux22', 'stats_isolation'): ('host_switch', 'kernel.stats_isolated'),
    }


def test_each_injected_drift_is_named_in_every_output_and_the_audit_changes_nothing(
        converged, desired, ansible, tmp_path, published_figures):
    injected = inject_drift(ansible)
    before = host_states(ansible)
    process = audit(ansible, desired, str(tmp_path))
    run_ok(process)
    assert host_states(ansible) == before
    outputs = read_outputs(str(tmp_path))
    report = validate(outputs)
    hosts = dict((host['host'], host) for host in report['hosts'])
    cases = junit_cases(outputs['audit-junit.xml'])
    for (host, concern), (check, item) in sorted(injected.items()):
        found = hosts[host]['concerns'][concern]
        assert found['status'] == 'drift', (host, concern, found)
        named = [entry for entry in found['findings'] if entry['check'] == check and entry['item'] == item]
        assert named, (host, concern, found)
        message = named[0]['message']
        assert cases[(concern, host)][0] == 'failure' and message in cases[(concern, host)][1]
        assert re.search(r'^\| %s \| drift \|[^\n]*\b%s\b' % (re.escape(host), concern), outputs['audit.md'], re.M)
        assert re.search(r'<tr[^>]*data-host="%s"[^>]*data-status="drift"' % re.escape(host), outputs['audit.html'])
        assert json.dumps(message)[1:-1].replace('<', '\\u003c').replace('>', '\\u003e') in outputs['audit.html']
    assert sorted(host for host, entry in hosts.items() if entry['status'] != 'ok') == sorted(set(
        host for host, _concern in injected))
    # An edited repository file also turns GPG off: named too.
    assert [entry['item'] for entry in hosts['oc9']['concerns']['repos']['findings'] if entry['check'] == 'gpg_off']
    figures = published_figures(process.stdout)['tencentos_fleet_audit']
    assert sorted(figures['drift']) == sorted(set(host for host, _concern in injected))
    text = '\n'.join(outputs.values()) + process.stdout
    assert 'PRIVATE KEY' not in text and 'ansible_ssh_private_key_file' not in text


def test_fail_on_drift_fails_exactly_the_hosts_that_drift_after_writing_the_report(ansible, desired, tmp_path):
    process = audit(ansible, desired, str(tmp_path), '-e', 'tencentos_fleet_audit_fail_on_drift=true')
    assert process.returncode == 2, process.stdout[-4000:]
    failed = sorted(re.findall(r'^fatal: \[(\S+)\]: FAILED! => .*"msg": "drift: ', process.stdout, re.M))
    assert failed == ['oc9', 'tlinux22', 'tos24', 'tos31', 'tos4']
    assert json.loads(read_outputs(str(tmp_path))['audit.json'])['fail_on_drift'] is True


def test_a_bad_audit_variable_is_refused_by_name_before_any_host_is_read(ansible, desired, tmp_path):
    process = audit(ansible, desired, str(tmp_path), '-e', 'tencentos_fleet_audit_fail_on_drift=sometimes')
    assert process.returncode == 2
    assert 'tencentos_fleet_audit_fail_on_drift is "sometimes": it must be true or false' in process.stdout
    assert 'Gather the TencentOS facts' not in process.stdout
    assert not os.path.exists(os.path.join(str(tmp_path), 'audit.json'))

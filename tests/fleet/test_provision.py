# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/provision.yml on a fresh simulated fleet, from both controllers; playbooks/report.yml on its own.

The issue this answers: the four roles in one play (repos; kernel "latest" without a reboot; sysctl; hotpatch) failed
on the first run of every host, because the repos role's handler, at the end of the play, read the release from
facts that the kernel and sysctl roles' narrower facts calls had replaced. That composition is exactly the first play
of provision.yml, run with the variables of examples/inventory/group_vars: the `host` group gets the sysctl profile
`host` and no hot patches, the `tke_node` group the profile `tke_node` and the local mirror's test patches.

TENCENTOS_FLEET_INVENTORY must be an inventory of the shape molecule/resources/scripts/ssh-fleet.sh writes (and
examples/inventory/hosts.yml shows): the hosts in the groups tke_node and host, children of tencentos_fleet, with
group_vars linked to examples/inventory/group_vars, and the local mirror in tencentos_repos_mirror and
tencentos_repos_gpg_key_url. The fleet must be fresh (ssh-fleet.sh up starts fresh hosts): the first run is the
one that used to fail. So this test needs a fleet of its own, or to run before the others: after
test_kernel_upgrade.py, tos31 has a kernel recorded as not coming up, which the kernel role then refuses to stage
again; and the runs change the fleet for good (kernels staged for the next boot, sysctl profiles written, hot patches
loaded and installed), which test_hotpatch.py and test_kernel_upgrade.py do not expect.

From ansible-core 2.16 (which TencentOS 2.x and 3.x need), the first run converges every host and the repos role's
handler runs on each; from the newest, the second run changes nothing. In both, the facts are gathered once per host
in the provisioning play: every subset the roles read by the first call, again only by the hot patch role after it changed the patches.
"""

import json
import os
import re

import pytest
import yaml

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
GROUPS = ('tke_node', 'host')
PROVISION_PLAY = 'Provision every host to the desired state of its groups'
ROLES = ['tencentos.fleet.repos', 'tencentos.fleet.kernel', 'tencentos.fleet.sysctl', 'tencentos.fleet.hotpatch']
# The facts calls of the roles, by task name: in the provisioning play only the first runs the module on a host,
# for every subset the roles read; the others take the subsets gathered earlier in the play.
GATHERING_CALLS = {
    'tencentos.fleet.repos : Learn which release the host runs':
        'gathered release, kernel, features, virtualization',
}
# Only where the hot patches changed: refresh: true after livepatch_set (roles/hotpatch/tasks/main.yml).
HOTPATCH_APPLY = 'tencentos.fleet.hotpatch : Apply the hot patches in order, verify and persist them, or undo the whole list'
HOTPATCH_REFRESH = 'tencentos.fleet.hotpatch : Read the hot patches the kernel has after the run'
REUSING_CALLS = {
    'tencentos.fleet.kernel : Learn which release and kernel the host runs': 'release, kernel already gathered',
    'tencentos.fleet.sysctl : Learn which kernel the host runs and which namespaces it is in':
        'kernel, features, virtualization already gathered',
    'tencentos.fleet.hotpatch : Learn which release and kernel the host runs': 'release, kernel already gathered',
}
REPOS_HANDLER = 'tencentos.fleet.repos : Refresh the package metadata cache'
PATCH = 'livepatch_test_pkg'

RESULT_LINE = re.compile(r'^(ok|changed|skipping): \[([^\]\s]+)(?: -> [^\]]+)?\] => (\{.*\})$')
HEADER_LINE = re.compile(r'^(PLAY|TASK|RUNNING HANDLER) \[(.*)\] \**$')
RECAP_LINE = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.MULTILINE)


def recap(output):
    """{host: {'changed': n, 'unreachable': n, 'failed': n}} from the PLAY RECAP of a run."""
    return dict((host, {'changed': int(changed), 'unreachable': int(unreachable), 'failed': int(failed)})
                for host, _ok, changed, unreachable, failed in RECAP_LINE.findall(output))


def results(output):
    """Every host result a run printed with -v: dicts of play, task (or handler), host, status and result."""
    found, play, task = [], None, None
    for line in output.splitlines():
        header = HEADER_LINE.match(line)
        if header:
            if header.group(1) == 'PLAY':
                play = header.group(2)
            else:
                task = header.group(2)
            continue
        result = RESULT_LINE.match(line)
        if result:
            found.append({'play': play, 'task': task, 'status': result.group(1), 'host': result.group(2),
                          'result': json.loads(result.group(3))})
    return found


def facts_calls(output, host):
    """{task: msg} of the tencentos_facts calls of the provisioning play on ``host``."""
    return dict((item['task'], item['result'].get('msg')) for item in results(output)
                if item['play'] == PROVISION_PLAY and item['host'] == host
                and 'gathered' in item['result'].get('ansible_facts', {}).get('tencentos', {}))


def report_tables(text):
    """(the fleet table's lines, the provisioning table's lines or None) of a fleet-report.txt."""
    fleet, separator, provisioning = text.partition('\n\ntencentos.fleet provisioning:')
    return fleet.splitlines(), (provisioning.splitlines()[1:] if separator else None)


@pytest.fixture(scope='module')
def inventory(tmp_path_factory, ansible_on):
    """The groups of the inventory and every host's variables, as ansible-inventory sees them."""
    path = str(tmp_path_factory.mktemp('inventory') / 'inventory.json')
    run = ansible_on('oldest')('ansible-inventory', '--list', '--output', path)
    assert run.returncode == 0, run.stdout
    with open(path) as handle:
        listed = json.load(handle)
    groups = dict((group, sorted(listed.get(group, {}).get('hosts', []))) for group in GROUPS)
    hostvars = listed.get('_meta', {}).get('hostvars', {})
    if not all(groups.values()):
        pytest.fail('TENCENTOS_FLEET_INVENTORY must put the fleet in the groups tke_node and host, whose variables are '
                    'examples/inventory/group_vars (molecule/resources/scripts/ssh-fleet.sh writes one); found %s' % groups)
    unmirrored = [host for hosts in groups.values() for host in hosts
                  if hostvars.get(host, {}).get('tencentos_repos_mirror', 'auto') in ('auto', 'public', 'internal')]
    if unmirrored:
        pytest.fail('TENCENTOS_FLEET_INVENTORY must set tencentos_repos_mirror to the local mirror (the simulated hosts '
                    'reach no other): not set for %s' % ', '.join(unmirrored))
    return {'groups': groups, 'hostvars': hostvars, 'hosts': sorted(groups['tke_node'] + groups['host'])}


def provision(ansible_on, controller, work):
    run = ansible_on(controller)('ansible-playbook', '-v', 'playbooks/provision.yml',
                                 '-e', 'tencentos_fleet_report_dir=' + work)
    rows = text = None
    if os.path.exists(os.path.join(work, 'fleet-report.json')):
        with open(os.path.join(work, 'fleet-report.json')) as handle:
            rows = dict((row['host'], row) for row in json.load(handle))
        with open(os.path.join(work, 'fleet-report.txt')) as handle:
            text = handle.read()
    return {'run': run, 'rows': rows, 'text': text}


@pytest.fixture(scope='module')
def first(inventory, tmp_path_factory, ansible_on):
    """The first run on the fresh fleet, from ansible-core 2.16."""
    return provision(ansible_on, 'oldest', str(tmp_path_factory.mktemp('provision-first')))


@pytest.fixture(scope='module')
def second(first, tmp_path_factory, ansible_on):
    """The second run, from the newest controller."""
    return provision(ansible_on, 'newest', str(tmp_path_factory.mktemp('provision-second')))


@pytest.fixture(scope='module')
def report_alone(second, tmp_path_factory, ansible_on):
    """playbooks/report.yml on its own after provisioning, from ansible-core 2.16."""
    work = str(tmp_path_factory.mktemp('report'))
    run = ansible_on('oldest')('ansible-playbook', 'playbooks/report.yml', '-e', 'tencentos_fleet_report_dir=' + work)
    assert run.returncode == 0, run.stdout
    with open(os.path.join(work, 'fleet-report.txt')) as handle:
        text = handle.read()
    with open(os.path.join(work, 'fleet-report.json')) as handle:
        rows = dict((row['host'], row) for row in json.load(handle))
    return {'run': run, 'text': text, 'rows': rows}


def test_the_first_play_is_the_four_roles_of_the_issue_in_order():
    with open(os.path.join(PROJECT, 'playbooks', 'provision.yml')) as handle:
        plays = yaml.safe_load(handle)
    assert plays[0]['name'] == PROVISION_PLAY
    assert [role['role'] for role in plays[0]['roles']] == ROLES
    assert 'tasks' not in plays[0] and 'handlers' not in plays[0]
    assert plays[1] == {'name': 'Learn what every host is now and report the fleet',
                        'ansible.builtin.import_playbook': 'report.yml'}


def test_the_host_group_runs_the_composition_of_the_issue(inventory):
    for host in inventory['groups']['host']:
        variables = inventory['hostvars'][host]
        assert variables['tencentos_kernel_version'] == 'latest' and variables['tencentos_kernel_reboot_ok'] is False
        assert variables['tencentos_sysctl_profile'] == 'host'
        assert variables['tencentos_hotpatch_patches'] == []
    for host in inventory['groups']['tke_node']:
        assert inventory['hostvars'][host]['tencentos_sysctl_profile'] == 'tke_node'


def test_the_example_group_variables_name_every_variable_of_every_role():
    """examples/inventory shows an operator every variable a group may set (defaults included)."""
    text = ''
    for name in ('hosts.yml', 'group_vars/all.yml', 'group_vars/tke_node.yml', 'group_vars/host.yml'):
        with open(os.path.join(PROJECT, 'examples', 'inventory', name)) as handle:
            text += handle.read()
    missing = []
    for role in ('repos', 'kernel', 'sysctl', 'hotpatch'):
        with open(os.path.join(PROJECT, 'roles', role, 'meta', 'argument_specs.yml')) as handle:
            options = yaml.safe_load(handle)['argument_specs']['main']['options']
        missing += [name for name in options if not re.search(r'(?m)^\s*%s:' % re.escape(name), text)]
    assert missing == []


def test_the_first_run_converges_every_host(first, inventory):
    run = first['run']
    assert run.returncode == 0, run.stdout[-20000:]
    hosts = recap(run.stdout)
    assert sorted(host for host in hosts if host != 'localhost') == inventory['hosts'], run.stdout[-5000:]
    assert [host for host in inventory['hosts'] if hosts[host]['failed'] or hosts[host]['unreachable']] == []
    unchanged = [host for host in inventory['hosts'] if hosts[host]['changed'] == 0]
    assert unchanged == [], 'hosts the first run did not change: the fleet was not fresh'


def test_the_repos_handler_reads_the_release_at_the_end_of_the_play_on_every_host(first, inventory):
    """The handler runs after the kernel, sysctl and hotpatch roles' facts calls, with the release still there."""
    handled = sorted(item['host'] for item in results(first['run'].stdout)
                     if item['task'] == REPOS_HANDLER and item['status'] == 'changed')
    assert handled == inventory['hosts'], first['run'].stdout[-5000:]


@pytest.mark.parametrize('run_name', ['first', 'second'])
def test_the_facts_are_gathered_once_per_host_in_the_provisioning_play(request, inventory, run_name):
    output = request.getfixturevalue(run_name)['run'].stdout
    patched = set(item['host'] for item in results(output) if item['task'] == HOTPATCH_APPLY and item['status'] == 'changed')
    # The tke_node hosts of the test patches' kernels, on the first run only.
    assert bool(patched) == (run_name == 'first'), output[-5000:]
    for host in inventory['hosts']:
        calls = facts_calls(output, host)
        gathering = dict((task, msg) for task, msg in calls.items() if msg and msg.startswith('gathered'))
        expected = dict(GATHERING_CALLS, **({HOTPATCH_REFRESH: 'gathered features'} if host in patched else {}))
        assert gathering == expected, (host, calls)
        for task, msg in REUSING_CALLS.items():
            assert calls[task].startswith(msg), (host, task, calls[task])


def test_the_second_run_changes_nothing(second, inventory):
    run = second['run']
    assert run.returncode == 0, run.stdout[-20000:]
    hosts = recap(run.stdout)
    assert dict((host, hosts[host]['changed']) for host in inventory['hosts']) == dict.fromkeys(inventory['hosts'], 0), \
        run.stdout[-20000:]
    assert not [item for item in results(run.stdout) if item['task'] == REPOS_HANDLER]


@pytest.mark.parametrize('run_name', ['first', 'second'])
def test_the_report_says_what_provisioning_did_on_every_host(request, inventory, run_name):
    outcome = request.getfixturevalue(run_name)
    rows, text = outcome['rows'], outcome['text']
    assert rows is not None, outcome['run'].stdout[-5000:]
    fleet, provisioning = report_tables(text)
    assert provisioning is not None, text
    assert text.count('\ntencentos.fleet provisioning: %d of %d host(s)\n' % (len(rows), len(rows))) == 1, text
    assert sorted(line.split()[0] for line in provisioning[2:]) == inventory['hosts']
    for group, hosts in inventory['groups'].items():
        for host in hosts:
            row = rows[host]
            assert row['provisioned'] is True
            assert row['repos_configured'] not in ('none', 'none enabled', '-'), row
            assert row['sysctl_result'].startswith(group + ': '), row
            assert row['kernel_outcome'] in ('already', 'pending_reboot'), row
            if row['kernel_outcome'] == 'pending_reboot':
                # Staged for the next boot: the running kernel stays, and boots the new one once.
                target = row['kernel_result'].split()[1].rstrip(',')
                assert row['reboot'] == 'pending: %s once' % target, row


@pytest.mark.parametrize('run_name, applied', [('first', 'applied'), ('second', 'in place')])
def test_tke_nodes_run_the_hot_patch_of_their_kernel_and_skip_the_others(request, inventory, run_name, applied):
    rows = request.getfixturevalue(run_name)['rows']
    for host in inventory['groups']['tke_node']:
        patches = inventory['hostvars'][host]['tencentos_hotpatch_patches']
        row = rows[host]
        own = [patch for patch in patches if patch['kernel'] == row['kernel']]
        skipped = '%d for another kernel skipped' % (len(patches) - len(own))
        if own:
            assert row['hotpatch_result'] == '%s %s; %s' % (applied, PATCH, skipped), row
            assert row['hot_patches'] == PATCH, row
        else:
            assert row['hotpatch_result'] == skipped, row
    for host in inventory['groups']['host']:
        assert rows[host]['hotpatch_result'] == 'none asked for', rows[host]


def test_both_controllers_report_the_same_fleet(first, second):
    assert report_tables(first['text'])[0] == report_tables(second['text'])[0]


def test_the_report_on_its_own_shows_the_same_fleet_and_no_provisioning(report_alone, second, inventory):
    fleet, provisioning = report_tables(report_alone['text'])
    assert provisioning is None, report_alone['text']
    assert fleet == report_tables(second['text'])[0]
    assert sorted(report_alone['rows']) == inventory['hosts']
    assert not any(row['provisioned'] for row in report_alone['rows'].values())


def test_provisioning_gives_no_warning(first, second, warnings_of):
    assert warnings_of(first['run'].stdout) + warnings_of(second['run'].stdout) == []

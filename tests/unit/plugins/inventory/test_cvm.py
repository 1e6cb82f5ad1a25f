# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ansible-inventory` with the tencentos.fleet.cvm plugin, against the local CVM API double.

The controller is the one running these tests: tools/test.sh runs them with the oldest (2.16) and the
newest controller's Python. Each test starts a double of its own on 127.0.0.1, writes an inventory
file pointing at it, and runs ansible-inventory as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from cvm_api_double import (CvmApiDouble, TEST_SECRET_ID, TEST_SECRET_KEY, TEST_TOKEN, TEST_TOKEN_SECRET_ID,
                            TEST_TOKEN_SECRET_KEY)

ANSIBLE_INVENTORY = os.path.join(os.path.dirname(sys.executable), 'ansible-inventory')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
# ansible-inventory has --flush-cache from ansible-core 2.17; before, ansible-playbook --flush-cache refreshes.
INVENTORY_FLUSHES = '--flush-cache' in subprocess.run([ANSIBLE_INVENTORY, '--help'], capture_output=True, text=True, check=True).stdout
REGIONS = ('ap-guangzhou', 'ap-shanghai', 'ap-beijing')
SECRETS = (TEST_SECRET_ID, TEST_SECRET_KEY, TEST_TOKEN_SECRET_ID, TEST_TOKEN_SECRET_KEY, TEST_TOKEN)


def plain(value):
    """The inventory's JSON without the ``{"__ansible_unsafe": value}`` marks of values that are not templates."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class Run:
    """What one ansible-inventory run printed (verbose output, warnings, errors) and wrote (the inventory)."""

    def __init__(self, completed, output):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.written = output.read_text() if completed.returncode == 0 else ''
        self.marked = json.loads(self.written) if completed.returncode == 0 else None
        self.inventory = plain(self.marked)

    @property
    def hostvars(self):
        return self.inventory['_meta']['hostvars']

    def group(self, name):
        return sorted(self.inventory.get(name, {}).get('hosts', []))


@pytest.fixture
def double():
    with CvmApiDouble(regions=REGIONS) as running:
        yield running


@pytest.fixture
def inventory(tmp_path, double):
    """Run ansible-inventory over an inventory file made of ``options`` (plus the double's endpoint)."""
    home = tmp_path / 'home'
    home.mkdir()

    def run(options, *arguments, name='test.cvm.yml', credentials='environment', environment=None, flush=False):
        config = {'plugin': 'tencentos.fleet.cvm', 'endpoint': 'http://%s' % double.endpoint, 'retry_backoff': 0.01}
        env = {key: value for key, value in os.environ.items() if not key.startswith('TENCENTCLOUD_')}
        env.update(HOME=str(home), ANSIBLE_NOCOLOR='1', ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED='1',
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'))
        if credentials == 'environment':
            env.update(TENCENTCLOUD_SECRET_ID=TEST_SECRET_ID, TENCENTCLOUD_SECRET_KEY=TEST_SECRET_KEY)
        elif credentials == 'options':
            config.update(secret_id=TEST_SECRET_ID, secret_key=TEST_SECRET_KEY)
        config.update(options)
        env.update(environment or {})
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config))
        if flush and INVENTORY_FLUSHES:
            arguments += ('--flush-cache',)
        elif flush:
            playbook = tmp_path / 'nothing.yml'
            playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks: []\n')
            refreshed = subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(path), '--flush-cache', str(playbook)],
                                       capture_output=True, text=True, env=env, timeout=300, check=False)
            assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
            assert not any(secret in refreshed.stdout + refreshed.stderr for secret in SECRETS)
        output = tmp_path / 'inventory.json'
        output.unlink(missing_ok=True)
        completed = subprocess.run([ANSIBLE_INVENTORY, '-i', str(path), '--list', '--output', str(output)] + list(arguments),
                                   capture_output=True, text=True, env=env, timeout=300, check=False)
        result = Run(completed, output)
        # Whatever happened, no credential is ever in the output.
        for secret in SECRETS:
            assert secret not in result.stdout + result.stderr + result.written
        return result

    return run


def said(result):
    """What a run printed, verbose output, warnings and errors, with line breaks and runs of spaces as one space
    (ansible-core 2.16 wraps long warnings)."""
    return ' '.join((result.stdout + result.stderr).split())


def describe_calls(double, action='DescribeInstances'):
    return [(region, params) for called, region, params in double.calls if called == action]


def test_hosts_variables_and_constructed_groups(double, inventory):
    web = double.add_instance('ap-guangzhou', InstanceName='web-1', Zone='ap-guangzhou-3', OsName='TencentOS Server 3.1 (TK4)',
                              Tags={'env': 'prod', 'tke-nodepool-id': 'np-web'}, PublicIpAddresses=['203.0.113.7'])
    old = double.add_instance('ap-shanghai', InstanceName='legacy', OsName='CentOS 7.9 64位', Tags={'env': 'dev'})
    double.add_instance('ap-shanghai', InstanceName='asleep', InstanceState='STOPPED')
    result = inventory({
        'regions': ['ap-guangzhou', 'ap-shanghai'],
        'hostnames': ['instance_id'],
        'keyed_groups': [{'key': 'zone', 'prefix': 'zone'},
                         {'key': "os_release.id ~ '_' ~ os_release.version", 'prefix': 'os'},
                         {'key': 'tencentcloud_tags.env', 'prefix': 'env'}],
        'groups': {'tencentos': "os_release.id == 'tencentos'"},
        'compose': {'ansible_host': 'private_ip_addresses[0]'},
    })
    assert result.rc == 0, result.stderr
    assert result.group('cvm') == sorted([web, old])          # the STOPPED instance is not a host
    assert result.group('zone_ap_guangzhou_3') == [web]
    assert result.group('os_tencentos_3_1') == [web] and result.group('os_centos_7_9') == [old]
    assert result.group('tencentos') == [web] and result.group('env_prod') == [web]
    host = result.hostvars[web]
    assert (host['instance_name'], host['region'], host['zone'], host['instance_state']) == ('web-1', 'ap-guangzhou', 'ap-guangzhou-3', 'RUNNING')
    assert host['public_ip_addresses'] == ['203.0.113.7'] and host['ansible_host'] == host['private_ip_addresses'][0]
    assert host['vpc_id'].startswith('vpc-') and host['subnet_id'].startswith('subnet-') and host['security_group_ids']
    assert host['tencentcloud_tags'] == {'env': 'prod', 'tke-nodepool-id': 'np-web'}
    assert host['os_release'] == {'id': 'tencentos', 'name': 'TencentOS Server', 'version': '3.1', 'major': '3', 'kernel': 'TK4'}
    assert 'tags' not in host and 'InstanceId' not in host and 'system_disk' not in host


def test_every_field_on_request(double, inventory):
    instance = double.add_instance('ap-guangzhou', SystemDisk={'DiskSize': 80})
    host = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id'], 'hostvars_fields': 'all'}).hostvars[instance]
    assert host['system_disk']['disk_size'] == 80 and host['placement']['zone'] == host['zone']
    assert host['latest_operation'] == 'RunInstances' and 'tags' not in host


def test_instance_states_choose_the_hosts(double, inventory):
    double.add_instance('ap-guangzhou', InstanceState='RUNNING')
    stopped = double.add_instance('ap-guangzhou', InstanceState='STOPPED')
    every = inventory({'regions': ['ap-guangzhou'], 'instance_states': [], 'hostnames': ['instance_id']})
    assert len(every.group('cvm')) == 2
    only_stopped = inventory({'regions': ['ap-guangzhou'], 'instance_states': ['stopped'], 'hostnames': ['instance_id']})
    assert only_stopped.group('cvm') == [stopped]
    assert describe_calls(double)[-1][1]['Filters'] == [{'Name': 'instance-state', 'Values': ['STOPPED']}]


def test_host_names_come_from_the_first_entry_that_gives_one(double, inventory):
    public = double.add_instance('ap-guangzhou', InstanceName='pub', PublicIpAddresses=['203.0.113.9'])
    named = double.add_instance('ap-guangzhou', InstanceName='db-1')
    unnamed = double.add_instance('ap-guangzhou', InstanceName='')
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['public_ip', 'instance_name', 'instance_id']})
    assert result.group('cvm') == sorted(['203.0.113.9', 'db-1', unnamed])
    assert result.hostvars['203.0.113.9']['instance_id'] == public and result.hostvars['db-1']['instance_id'] == named
    by_expression = inventory({'regions': ['ap-guangzhou'], 'hostnames': ["instance_name ~ '.corp.example'", 'instance_id']})
    assert 'db-1.corp.example' in by_expression.group('cvm') and 'pub.corp.example' in by_expression.group('cvm')


def test_a_name_taken_twice_keeps_the_first_and_warns(double, inventory):
    first = double.add_instance('ap-guangzhou', InstanceName='未命名')
    second = double.add_instance('ap-guangzhou', InstanceName='未命名')
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_name']})
    assert result.group('cvm') == ['未命名'] and result.hostvars['未命名']['instance_id'] == first
    assert 'instances %s and %s have the same host name' % (first, second) in said(result)


def test_prefix_and_suffix_name_every_plugin_variable(double, inventory):
    instance = double.add_instance('ap-guangzhou', Zone='ap-guangzhou-2')
    result = inventory({'regions': ['ap-guangzhou'], 'hostvars_prefix': 'cvm_', 'hostvars_suffix': '_x',
                        'hostnames': ['cvm_instance_id_x'], 'compose': {'where': 'cvm_zone_x'}})
    host = result.hostvars[instance]
    assert host['cvm_zone_x'] == 'ap-guangzhou-2' and host['cvm_tencentcloud_tags_x'] == {} and host['where'] == 'ap-guangzhou-2'
    assert 'zone' not in host and 'instance_id' not in host


def test_filters_run_on_the_api_side_with_includes_and_excludes(double, inventory):
    web = double.add_instance('ap-guangzhou', Zone='ap-guangzhou-1', Tags={'role': 'web'})
    double.add_instance('ap-guangzhou', Zone='ap-guangzhou-2', Tags={'role': 'web'})
    db = double.add_instance('ap-guangzhou', Zone='ap-guangzhou-2', Tags={'role': 'db'})
    drained = double.add_instance('ap-guangzhou', Zone='ap-guangzhou-1', Tags={'role': 'web', 'drain': 'yes'})
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id'],
                        'filters': {'zone': 'ap-guangzhou-1'}, 'include_filters': [{'tag:role': 'db'}],
                        'exclude_filters': [{'tag:drain': 'yes'}]})
    assert result.group('cvm') == sorted([web, db])
    sent = [params['Filters'] for _region, params in describe_calls(double)]
    state = {'Name': 'instance-state', 'Values': ['RUNNING']}
    assert sent == [[state, {'Name': 'zone', 'Values': ['ap-guangzhou-1']}],
                    [state, {'Name': 'tag:role', 'Values': ['db']}],
                    [state, {'Name': 'tag:drain', 'Values': ['yes']}]]
    assert drained not in result.group('cvm')


def test_pages_of_100_reach_every_instance(double, inventory):
    ids = [double.add_instance('ap-beijing') for _number in range(250)]
    result = inventory({'regions': ['ap-beijing'], 'hostnames': ['instance_id']})
    assert result.group('cvm') == sorted(ids)
    assert [(params['Offset'], params['Limit']) for _region, params in describe_calls(double)] == [(0, 100), (100, 100), (200, 100)]


def test_all_regions_are_discovered_minus_the_excluded(double, inventory):
    for region in REGIONS:
        double.add_instance(region)
    result = inventory({'regions': ['all'], 'exclude_regions': ['ap-shanghai'], 'hostnames': ['instance_id']})
    assert len(result.group('cvm')) == 2
    assert [call for call in double.calls if call[0] == 'DescribeRegions']
    assert sorted(region for region, _params in describe_calls(double)) == ['ap-beijing', 'ap-guangzhou']


def test_throttling_and_dropped_connections_are_retried(double, inventory):
    instance = double.add_instance('ap-guangzhou')
    double.throttle(2)
    double.drop_connections(1)
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id']}, '-vvv')
    assert result.rc == 0 and result.group('cvm') == [instance]
    assert double.requests_seen == 4          # dropped, throttled twice, answered
    assert 'RequestLimitExceeded' in said(result)   # the retries are shown with -vvv


def test_retries_stop_at_max_attempts_and_the_region_is_left_out(double, inventory):
    double.add_instance('ap-guangzhou')
    kept = double.add_instance('ap-beijing')
    double.throttle(10, region='ap-guangzhou')
    result = inventory({'regions': ['ap-guangzhou', 'ap-beijing'], 'hostnames': ['instance_id'], 'max_attempts': 3})
    assert result.rc == 0 and result.group('cvm') == [kept]
    assert 'region ap-guangzhou left out of the inventory: RequestLimitExceeded' in said(result)
    assert double.requests_seen == 3 + 1


def test_a_failing_region_is_left_out_with_a_warning_or_fails_the_inventory(double, inventory):
    kept = double.add_instance('ap-guangzhou')
    double.add_instance('ap-shanghai')
    double.fail_region('ap-shanghai', code='UnauthorizedOperation')
    options = {'regions': ['ap-guangzhou', 'ap-shanghai'], 'hostnames': ['instance_id']}
    warned = inventory(options)
    assert warned.rc == 0 and warned.group('cvm') == [kept]
    assert 'region ap-shanghai left out of the inventory: UnauthorizedOperation' in said(warned)
    failed = inventory(dict(options, region_errors='fail'))
    assert failed.rc != 0 and 'no inventory, regions failed: ap-shanghai: UnauthorizedOperation' in said(failed)


def test_every_region_failing_fails_the_inventory(double, inventory):
    double.fail_region('ap-guangzhou')
    result = inventory({'regions': ['ap-guangzhou']})
    assert result.rc != 0 and 'no inventory, regions failed' in said(result)


@pytest.mark.parametrize('credentials, environment, code', [
    ('environment', {'TENCENTCLOUD_SECRET_KEY': 'notTheKey00000000000000000000000'}, 'AuthFailure.SignatureFailure'),
    ('environment', {'TENCENTCLOUD_SECRET_ID': 'AKIDunknown000000000000000000000'}, 'AuthFailure.SecretIdNotFound'),
])
def test_refused_credentials_fail_the_inventory_without_showing_them(inventory, credentials, environment, code):
    result = inventory({'regions': ['ap-guangzhou', 'ap-shanghai']}, '-vvvv', credentials=credentials, environment=environment)
    assert result.rc != 0
    assert 'the CVM API refused the credentials: %s' % code in said(result)
    for value in environment.values():
        assert value not in result.stdout + result.stderr


def test_credentials_from_the_options_and_with_a_token(double, inventory):
    instance = double.add_instance('ap-guangzhou')
    from_options = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id']}, '-vvvv', credentials='options')
    assert from_options.group('cvm') == [instance]
    token = {'TENCENTCLOUD_SECRET_ID': TEST_TOKEN_SECRET_ID, 'TENCENTCLOUD_SECRET_KEY': TEST_TOKEN_SECRET_KEY}
    with_token = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id']}, '-vvvv', credentials=None,
                           environment=dict(token, TENCENTCLOUD_SECURITY_TOKEN=TEST_TOKEN))
    assert with_token.group('cvm') == [instance]
    without = inventory({'regions': ['ap-guangzhou']}, credentials=None, environment=token)
    assert without.rc != 0 and 'AuthFailure.TokenFailure' in said(without)


def test_credentials_from_a_tccli_profile(tmp_path, double, inventory):
    instance = double.add_instance('ap-guangzhou')
    profile = tmp_path / 'home' / '.tccli' / 'ops.credential'
    profile.parent.mkdir()
    profile.write_text(json.dumps({'secretId': TEST_SECRET_ID, 'secretKey': TEST_SECRET_KEY}))
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id'], 'profile': 'ops'}, '-vvvv', credentials=None)
    assert result.group('cvm') == [instance]
    assert "credentials from TCCLI profile 'ops'" in said(result)


def test_credentials_from_the_sdk_credentials_file(tmp_path, double, inventory):
    instance = double.add_instance('ap-guangzhou')
    path = tmp_path / 'home' / '.tencentcloud' / 'credentials'
    path.parent.mkdir()
    path.write_text('[default]\nsecret_id = %s\nsecret_key = %s\n' % (TEST_SECRET_ID, TEST_SECRET_KEY))
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id']}, '-vvvv', credentials=None)
    assert result.group('cvm') == [instance]
    assert "credentials from the SDK's default chain" in said(result)


def test_regions_come_from_tencentcloud_region_when_the_file_names_none(double, inventory):
    # What the AWX credential type of extensions/awx injects: its region input, and an empty token when none is given.
    double.add_instance('ap-guangzhou', InstanceName='gz-1')
    double.add_instance('ap-shanghai', InstanceName='sh-1')
    result = inventory({}, environment={'TENCENTCLOUD_REGION': 'ap-guangzhou,ap-shanghai', 'TENCENTCLOUD_SECURITY_TOKEN': ''})
    assert result.rc == 0, said(result)
    assert sorted(region for region, params in describe_calls(double)) == ['ap-guangzhou', 'ap-shanghai']


def test_the_file_s_regions_win_over_tencentcloud_region(double, inventory):
    double.add_instance('ap-guangzhou', InstanceName='gz-1')
    result = inventory({'regions': ['ap-guangzhou']}, environment={'TENCENTCLOUD_REGION': 'ap-shanghai'})
    assert result.rc == 0, said(result)
    assert [region for region, params in describe_calls(double)] == ['ap-guangzhou']


@pytest.mark.parametrize('environment', [{}, {'TENCENTCLOUD_REGION': ''}], ids=['unset', 'empty'])
def test_no_region_anywhere_fails_before_any_request(double, inventory, environment):
    result = inventory({}, environment=environment)
    assert result.rc != 0 and 'regions' in said(result)
    assert double.requests_seen == 0


def test_half_a_key_fails_before_any_request(double, inventory):
    result = inventory({'regions': ['ap-guangzhou']}, credentials=None, environment={'TENCENTCLOUD_SECRET_ID': TEST_SECRET_ID})
    assert result.rc != 0 and 'secret_id and secret_key go together: secret_key is not set' in said(result)
    assert double.requests_seen == 0


def test_bad_options_are_all_named_before_any_request(double, inventory):
    result = inventory({'regions': ['all', 'ap-guangzhou'], 'hostnames': ['private_ipaddress'], 'instance_states': ['up']})
    assert result.rc != 0
    text = said(result)
    assert "regions: 'all' queries every region" in text and "hostnames[0]: 'private_ipaddress'" in text
    assert "instance_states: 'UP' is not one of" in text
    assert double.requests_seen == 0


def test_a_slow_api_meets_the_timeout(double, inventory):
    instance = double.add_instance('ap-guangzhou')
    double.slow_down(3.0, times=1)
    slow = inventory({'regions': ['ap-guangzhou'], 'timeout': 1, 'max_attempts': 1, 'region_errors': 'fail'})
    assert slow.rc != 0 and 'ClientNetworkError' in said(slow)
    double.slow_down(2.0, times=1)
    patient = inventory({'regions': ['ap-guangzhou'], 'timeout': 10, 'max_attempts': 1, 'hostnames': ['instance_id']})
    assert patient.group('cvm') == [instance]


def cache_options(tmp_path, **more):
    return dict({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id'], 'cache': True,
                 'cache_plugin': 'ansible.builtin.jsonfile', 'cache_connection': str(tmp_path / 'cache')}, **more)


def test_the_cache_answers_until_flush_cache_refreshes_it(tmp_path, double, inventory):
    first = double.add_instance('ap-guangzhou')
    options = cache_options(tmp_path)
    assert inventory(options).group('cvm') == [first]
    asked = double.requests_seen
    assert asked == 1
    second = double.add_instance('ap-guangzhou')
    cached = inventory(options)
    assert cached.group('cvm') == [first] and double.requests_seen == asked          # a hit: no API call
    flushed = inventory(options, flush=True)
    assert flushed.group('cvm') == sorted([first, second]) and double.requests_seen == asked + 1
    again = inventory(options)
    assert again.group('cvm') == sorted([first, second]) and double.requests_seen == asked + 1   # rewritten
    cache_text = ''.join(path.read_text() for path in (tmp_path / 'cache').iterdir())
    assert first in cache_text and not any(secret in cache_text for secret in SECRETS)


def test_the_cache_is_not_used_for_another_question(tmp_path, double, inventory):
    double.add_instance('ap-guangzhou')
    shanghai = double.add_instance('ap-shanghai')
    inventory(cache_options(tmp_path))
    other = inventory(cache_options(tmp_path, regions=['ap-shanghai']))
    assert other.group('cvm') == [shanghai] and double.requests_seen == 2


def test_the_cache_is_reshaped_without_asking_again(tmp_path, double, inventory):
    instance = double.add_instance('ap-guangzhou', InstanceName='app-1')
    inventory(cache_options(tmp_path))
    renamed = inventory(cache_options(tmp_path, hostnames=['instance_name'], keyed_groups=[{'key': 'zone'}]))
    assert renamed.group('cvm') == ['app-1'] and renamed.hostvars['app-1']['instance_id'] == instance
    assert double.requests_seen == 1


def test_a_partial_answer_is_not_cached(tmp_path, double, inventory):
    double.add_instance('ap-guangzhou')
    double.add_instance('ap-shanghai')
    double.fail_region('ap-shanghai')
    options = cache_options(tmp_path, regions=['ap-guangzhou', 'ap-shanghai'])
    assert len(inventory(options).group('cvm')) == 1
    double.restore_region('ap-shanghai')
    assert len(inventory(options).group('cvm')) == 2


def test_only_files_named_for_the_plugin_are_read(double, inventory):
    double.add_instance('ap-guangzhou')
    enabled = {'ANSIBLE_INVENTORY_ENABLED': 'tencentos.fleet.cvm'}
    declined = inventory({'regions': ['ap-guangzhou']}, '-vvv', name='hosts.yml', environment=enabled)
    assert declined.rc != 0 and 'did not pass its verify_file() method' in said(declined)
    assert double.requests_seen == 0
    for name in ('prod.cvm.yaml', 'cvm.yml'):
        assert len(inventory({'regions': ['ap-guangzhou']}, name=name, environment=enabled).group('cvm')) == 1


def test_without_the_sdk_the_error_names_the_packages(tmp_path, inventory):
    shadow = tmp_path / 'shadow' / 'tencentcloud'
    shadow.mkdir(parents=True)
    # A package that fails to import stands for an SDK that is not installed.
    (shadow / '__init__.py').write_text('raise ImportError("No module named tencentcloud.common")\n')
    result = inventory({'regions': ['ap-guangzhou']}, environment={'PYTHONPATH': str(shadow.parent) + os.pathsep + os.environ.get('PYTHONPATH', '')})
    assert result.rc != 0
    assert 'needs the Tencent Cloud SDK packages tencentcloud-sdk-python-common and tencentcloud-sdk-python-cvm' in said(result)


def test_values_from_the_api_are_never_templated(double, inventory):
    """Anyone who may name an instance must not run a template on the controller."""
    instance = double.add_instance('ap-guangzhou', InstanceName="{{ 6 * 7 }}", Tags={'note': "{{ lookup('env', 'HOME') }}"})
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_id'],
                        'compose': {'copied_name': 'instance_name', 'copied_note': "tencentcloud_tags['note']"}})
    host = result.hostvars[instance]
    assert host['copied_name'] == '{{ 6 * 7 }}' and host['copied_note'] == "{{ lookup('env', 'HOME') }}"
    marked = result.marked['_meta']['hostvars'][instance]
    assert marked['instance_name'] == {'__ansible_unsafe': '{{ 6 * 7 }}'}


def test_a_name_that_looks_like_a_template_is_not_a_host_name(double, inventory):
    """ansible-core before 2.19 would template a plain inventory_hostname: such a name is never taken."""
    instance = double.add_instance('ap-guangzhou', InstanceName="{{ lookup('pipe', 'id') }}")
    result = inventory({'regions': ['ap-guangzhou'], 'hostnames': ['instance_name', 'instance_id']})
    assert result.group('cvm') == [instance]


def test_a_credential_with_a_newline_fails_before_any_request_and_is_not_shown(double, inventory):
    result = inventory({'regions': ['ap-guangzhou']}, '-vvvv', credentials=None,
                       environment={'TENCENTCLOUD_SECRET_ID': TEST_TOKEN_SECRET_ID, 'TENCENTCLOUD_SECRET_KEY': TEST_TOKEN_SECRET_KEY,
                                    'TENCENTCLOUD_SECURITY_TOKEN': TEST_TOKEN + '\n'})
    assert result.rc != 0 and 'token holds whitespace or a control character' in said(result)
    assert double.requests_seen == 0

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""API instances as host variables, host names and API filters (plugin_utils/cvm_instances.py)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.tencentos.fleet.plugins.plugin_utils import cvm_instances as ci

# One instance as DescribeInstances returns it, in the shape of the API reference's example
# (https://www.tencentcloud.com/document/api/213/33258, "Querying instances"), with a TKE node's tags.
INSTANCE = {
    'Placement': {'Zone': 'ap-guangzhou-3', 'ProjectId': 0, 'HostIds': None},
    'InstanceId': 'ins-r8hr2upy',
    'InstanceType': 'S5.MEDIUM4',
    'CPU': 2,
    'Memory': 4,
    'RestrictState': 'NORMAL',
    'InstanceName': 'tke_cls-abc_worker',
    'InstanceChargeType': 'POSTPAID_BY_HOUR',
    'SystemDisk': {'DiskType': 'CLOUD_PREMIUM', 'DiskId': 'disk-3w3xfv7l', 'DiskSize': 50},
    'DataDisks': [{'DiskSize': 100, 'DiskType': 'CLOUD_SSD', 'DiskId': 'disk-2pqvwa4o'}],
    'PrivateIpAddresses': ['10.0.1.10'],
    'PublicIpAddresses': None,
    'IPv6Addresses': None,
    'InternetAccessible': {'InternetChargeType': 'TRAFFIC_POSTPAID_BY_HOUR', 'InternetMaxBandwidthOut': 0},
    'VirtualPrivateCloud': {'VpcId': 'vpc-5v3ptd1n', 'SubnetId': 'subnet-d7xqmpxe', 'AsVpcGateway': False},
    'ImageId': 'img-eb30mz89',
    'RenewFlag': None,
    'CreatedTime': '2024-05-01T08:00:00Z',
    'ExpiredTime': None,
    'OsName': 'TencentOS Server 3.1 (TK4)',
    'SecurityGroupIds': ['sg-5d1bbk43'],
    'LoginSettings': {'Password': 'never-returned-but-dropped', 'KeyIds': ['skey-k3x2pftn'], 'KeepImageLogin': None},
    'InstanceState': 'RUNNING',
    'Tags': [{'Key': 'tke-cluster-id', 'Value': 'cls-abc'}, {'Key': 'env', 'Value': 'prod'}],
    'Uuid': '68b510db-b4c1-4630-a62b-73d0c7c970f9',
    'GPUInfo': None,
}


@pytest.mark.parametrize('api, snake', [
    ('InstanceId', 'instance_id'),
    ('CPU', 'cpu'),
    ('GPUInfo', 'gpu_info'),
    ('IPv6Addresses', 'ipv6_addresses'),
    ('PublicIPv6Addresses', 'public_ipv6_addresses'),
    ('Ipv6AddressCount', 'ipv6_address_count'),
    ('InternetMaxBandwidthOut', 'internet_max_bandwidth_out'),
    ('HostName', 'host_name'),
])
def test_api_names_become_snake_case(api, snake):
    assert ci.snake_name(api) == snake


def test_nested_structures_are_snake_case_and_secrets_dropped():
    value = ci.snake_value({'SystemDisk': {'DiskSize': 50}, 'DataDisks': [{'DiskId': 'd'}], 'Password': 'x',
                            'LoginSettings': {'Password': 'y', 'KeyIds': ['k']}})
    assert value == {'system_disk': {'disk_size': 50}, 'data_disks': [{'disk_id': 'd'}], 'login_settings': {'key_ids': ['k']}}


def test_tags_are_a_dict():
    assert ci.tags_dict([{'Key': 'env', 'Value': 'prod'}, {'Key': 'empty', 'Value': ''}]) == {'env': 'prod', 'empty': ''}
    assert ci.tags_dict(None) == {}


def test_host_variables_of_a_tke_node():
    variables = ci.host_variables(INSTANCE, 'ap-guangzhou')
    assert variables['instance_id'] == 'ins-r8hr2upy'
    assert variables['instance_type'] == 'S5.MEDIUM4'
    assert variables['instance_state'] == 'RUNNING'
    assert (variables['region'], variables['zone'], variables['project_id']) == ('ap-guangzhou', 'ap-guangzhou-3', 0)
    assert (variables['vpc_id'], variables['subnet_id']) == ('vpc-5v3ptd1n', 'subnet-d7xqmpxe')
    assert variables['key_ids'] == ['skey-k3x2pftn']
    assert variables['private_ip_addresses'] == ['10.0.1.10']
    assert variables['security_group_ids'] == ['sg-5d1bbk43']
    assert variables['created_time'] == '2024-05-01T08:00:00Z'
    assert (variables['cpu'], variables['memory'], variables['uuid']) == (2, 4, '68b510db-b4c1-4630-a62b-73d0c7c970f9')
    assert variables['tencentcloud_tags'] == {'tke-cluster-id': 'cls-abc', 'env': 'prod'}
    assert variables['os_release'] == {'id': 'tencentos', 'name': 'TencentOS Server', 'version': '3.1', 'major': '3', 'kernel': 'TK4'}


def test_basic_fields_leave_out_the_details():
    variables = ci.host_variables(INSTANCE, 'ap-guangzhou')
    assert not {'placement', 'system_disk', 'data_disks', 'virtual_private_cloud', 'login_settings', 'restrict_state'} & set(variables)
    # The fixture has no HostName and a null ExpiredTime: every other basic name is set.
    assert set(variables) == ci.variable_names([]) - {'expired_time', 'host_name'}


def test_all_fields_add_every_api_field_in_snake_case():
    variables = ci.host_variables(INSTANCE, 'ap-guangzhou', all_fields=True)
    assert variables['data_disks'] == [{'disk_size': 100, 'disk_type': 'CLOUD_SSD', 'disk_id': 'disk-2pqvwa4o'}]
    assert variables['system_disk']['disk_size'] == 50 and variables['restrict_state'] == 'NORMAL'
    assert set(variables) <= ci.variable_names(INSTANCE, all_fields=True)


def test_fields_the_api_leaves_null_are_not_set():
    variables = ci.host_variables(INSTANCE, 'ap-guangzhou', all_fields=True)
    assert 'gpu_info' not in variables and 'renew_flag' not in variables and 'expired_time' not in variables
    assert 'keep_image_login' not in variables['login_settings'] and 'host_ids' not in variables['placement']
    assert variables['project_id'] == 0 and variables['virtual_private_cloud']['as_vpc_gateway'] is False


def test_no_host_variable_is_named_tags_and_no_password_is_kept():
    variables = ci.host_variables(INSTANCE, 'ap-guangzhou', all_fields=True)
    assert 'tags' not in variables
    assert 'password' not in variables['login_settings']
    assert 'never-returned-but-dropped' not in repr(variables)


def test_absent_address_lists_are_empty_lists():
    """null in the API, [] on the host: `private_ip_addresses | first` must not meet None."""
    variables = ci.host_variables(INSTANCE, 'ap-guangzhou')
    assert variables['public_ip_addresses'] == [] and variables['ipv6_addresses'] == []
    sparse = ci.host_variables({'InstanceId': 'ins-1'}, 'ap-beijing')
    assert sparse['private_ip_addresses'] == [] and sparse['security_group_ids'] == []
    assert sparse['zone'] is None and sparse['tencentcloud_tags'] == {}


def test_host_variables_leave_the_instance_alone():
    instance = copy.deepcopy(INSTANCE)
    ci.host_variables(instance, 'ap-guangzhou')
    assert instance == INSTANCE


# OsName values as the CVM API and image list return them. Sources: TKE's DescribeClusterInstances and
# CVM DescribeImages responses quoted in public code (TencentOS 3.1/3.3 (TK4), 3.1 for ARM64, 4 for x86_64,
# 3.2 with Driver, 4.0), CVM DescribeImages examples ("CentOS 7.3 64位", "CentOS 7.2 64位"), TencentOS
# Server 2.4 image names (facts sheet, section 1), the public image list (Ubuntu, Windows, OpenCloudOS).
@pytest.mark.parametrize('os_name, expected', [
    ('TencentOS Server 3.1 (TK4)', ('tencentos', '3.1', '3', 'TK4')),
    ('TencentOS Server 3.3 (TK4)', ('tencentos', '3.3', '3', 'TK4')),
    ('TencentOS Server 3.1 for ARM64 (TK4)', ('tencentos', '3.1', '3', 'TK4')),
    ('TencentOS Server 3.2 with Driver', ('tencentos', '3.2', '3', 'TK4')),
    ('TencentOS Server 2.4', ('tencentos', '2.4', '2', 'TK3')),
    ('TencentOS Server 2.4 (TK4)', ('tencentos', '2.4', '2', 'TK4')),
    ('Tencent Linux release 2.4 (Final)', ('tencentos', '2.4', '2', 'TK3')),
    ('TencentOS Server 4.0', ('tencentos', '4.0', '4', None)),
    ('TencentOS Server 4 for x86_64', ('tencentos', '4', '4', None)),
    ('CentOS 7.3 64位', ('centos', '7.3', '7', None)),
    ('CentOS  7.2 64位', ('centos', '7.2', '7', None)),
    ('Ubuntu Server 22.04 LTS 64位', ('ubuntu', '22.04', '22', None)),
    ('OpenCloudOS 8.6', ('opencloudos', '8.6', '8', None)),
    ('Windows Server 2019 数据中心版 64位中文版', ('windows', '2019', '2019', None)),
])
def test_os_name_gives_a_release_hint(os_name, expected):
    hint = ci.os_release(os_name)
    assert (hint['id'], hint['version'], hint['major'], hint['kernel']) == expected


@pytest.mark.parametrize('os_name', [None, '', 'my golden image', '7.9'])
def test_an_unknown_os_name_gives_no_hint(os_name):
    assert ci.os_release(os_name) == {'id': None, 'name': None, 'version': None, 'major': None, 'kernel': None}


def test_names_come_from_each_source():
    variables = ci.host_variables(dict(INSTANCE, PublicIpAddresses=['203.0.113.7']), 'ap-guangzhou')
    assert ci.hostname_from_source('private_ip', variables) == '10.0.1.10'
    assert ci.hostname_from_source('public_ip', variables) == '203.0.113.7'
    assert ci.hostname_from_source('instance_id', variables) == 'ins-r8hr2upy'
    assert ci.hostname_from_source('instance_name', variables) == 'tke_cls-abc_worker'


def test_a_source_without_a_value_gives_no_name():
    variables = ci.host_variables(dict(INSTANCE, InstanceName=''), 'ap-guangzhou')
    assert ci.hostname_from_source('public_ip', variables) is None
    assert ci.hostname_from_source('instance_name', variables) is None


def test_filters_become_the_api_list():
    assert ci.api_filters({'zone': 'ap-guangzhou-3', 'project-id': 1002189, 'tag:env': ['prod', 'dev']}) == [
        {'Name': 'project-id', 'Values': ['1002189']},
        {'Name': 'tag:env', 'Values': ['prod', 'dev']},
        {'Name': 'zone', 'Values': ['ap-guangzhou-3']},
    ]


def test_filter_limits_and_types_are_checked():
    assert ci.filter_problems('filters', {'zone': ['a', 'b']}) == []
    assert ci.filter_problems('filters', ['zone']) == ['filters must be a dict of filter name to value(s), got list']
    too_many = {'f%d' % index: 'x' for index in range(11)}
    assert ci.filter_problems('filters', too_many) == ['filters has 11 filters; DescribeInstances takes at most 10 a request']
    problems = ci.filter_problems('include_filters[1]', {'zone': list('abcdef'), 'tag:env': [], 'vpc-id': None})
    assert problems == [
        'include_filters[1].zone has 6 values; DescribeInstances takes at most 5 a filter (split it into include_filters)',
        'include_filters[1].tag:env has no value',
        'include_filters[1].vpc-id: None is not a string or number',
    ]


def test_the_state_filter_joins_each_query_unless_it_has_its_own():
    assert ci.with_states({'zone': 'z'}, ['RUNNING']) == {'zone': 'z', 'instance-state': ['RUNNING']}
    assert ci.with_states({'instance-state': 'STOPPED'}, ['RUNNING']) == {'instance-state': 'STOPPED'}
    assert ci.with_states({'zone': 'z'}, []) == {'zone': 'z'}


def test_variable_names_follow_the_api_fields():
    names = ci.variable_names(['InstanceId', 'IPv6Addresses', 'Tags', 'Password'], all_fields=True)
    assert {'instance_id', 'ipv6_addresses', 'zone', 'vpc_id', 'region', 'tencentcloud_tags', 'os_release'} <= names
    assert 'tags' not in names and 'password' not in names

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CVM API double, driven by the official SDK the way the inventory plugin drives the real API."""

import datetime
import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import types
import warnings

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign
from tencentcloud.cvm.v20170312 import cvm_client, models

from cvm_api_double import (
    IMAGES, INSTANCE_FIELDS, TEST_SECRET_ID, TEST_SECRET_KEY, TEST_TOKEN, TEST_TOKEN_SECRET_ID, TEST_TOKEN_SECRET_KEY, CvmApiDouble,
)

HERE = os.path.dirname(os.path.abspath(__file__))
# Two assignments, not one: ansible-lint reads files below plugins/ for a plugin's documentation and warns at a tuple.
GZ = 'ap-guangzhou'
SH = 'ap-shanghai'


@pytest.fixture
def double():
    with CvmApiDouble(regions=(GZ, SH)) as served:
        yield served
        assert not served.errors, served.errors[0]


def client(double, region=GZ, secret_id=TEST_SECRET_ID, secret_key=TEST_SECRET_KEY, token=None, method='POST', language='zh-CN'):
    """An SDK client without a retryer: every error reaches the test."""
    http = HttpProfile(endpoint=double.endpoint, protocol='http', reqMethod=method, reqTimeout=10)
    return cvm_client.CvmClient(credential.Credential(secret_id, secret_key, token), region, ClientProfile(httpProfile=http, language=language))


def api_filter(name, *values):
    item = models.Filter()
    item.Name = name
    item.Values = list(values)
    return item


def describe(cvm, **fields):
    request = models.DescribeInstancesRequest()
    for name, value in fields.items():
        setattr(request, name, value)
    return cvm.DescribeInstances(request)


def ids_of(response):
    return [instance.InstanceId for instance in response.InstanceSet]


def error_code(call, *args, **kwargs):
    with pytest.raises(TencentCloudSDKException) as caught:
        call(*args, **kwargs)
    return caught.value.code


def sdk_signed(cvm, action, params):
    """The headers and body the SDK would send for ``action``, signed by the SDK, not sent."""
    request = RequestInternal(cvm._get_endpoint(), 'POST', '/', header={})
    cvm._build_req_inter(action, params, request)
    return dict(request.header), request.data


def hand_signed(double, body, timestamp=None, date=None, service='cvm', signed=('content-type', 'host')):
    """A POST DescribeRegions signed by the test itself, so that it can sign things the SDK never would."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    date = date or datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime('%Y-%m-%d')
    headers = {'Content-Type': 'application/json', 'Host': double.endpoint}
    canonical_headers = ''.join('%s:%s\n' % (name, headers[name.title()]) for name in signed)
    canonical = '\n'.join(['POST', '/', '', canonical_headers, ';'.join(signed), hashlib.sha256(body.encode()).hexdigest()])
    to_sign = '\n'.join(['TC3-HMAC-SHA256', str(timestamp), '%s/%s/tc3_request' % (date, service), hashlib.sha256(canonical.encode()).hexdigest()])
    signature = Sign.sign_tc3(TEST_SECRET_KEY, date, service, to_sign)
    headers.update({
        'X-TC-Action': 'DescribeRegions', 'X-TC-Version': '2017-03-12', 'X-TC-Timestamp': str(timestamp),
        'Authorization': 'TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=%s, Signature=%s'
                         % (TEST_SECRET_ID, date, service, ';'.join(signed), signature),
    })
    return headers


def send_raw(double, headers, body):
    """POST as given; (status, Content-Type, the Response object)."""
    connection = http.client.HTTPConnection('127.0.0.1', double.port, timeout=10)
    try:
        connection.request('POST', '/', body=body.encode(), headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.getheader('Content-Type'), json.loads(answer.read())['Response']
    finally:
        connection.close()


# --- Signature and credentials ---------------------------------------------------------------


def test_describe_regions_answers_a_correctly_signed_request(double):
    answer = client(double).DescribeRegions(models.DescribeRegionsRequest())
    assert answer.TotalCount == 2
    assert [(region.Region, region.RegionName, region.RegionState) for region in answer.RegionSet] == [
        (GZ, '华南地区(广州)', 'AVAILABLE'), (SH, '华东地区(上海)', 'AVAILABLE')]
    assert re.match(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$', answer.RequestId)
    english = client(double, region='', language='en-US').DescribeRegions(models.DescribeRegionsRequest())
    assert [region.RegionName for region in english.RegionSet] == ['South China(Guangzhou)', 'East China(Shanghai)']
    assert double.calls == [('DescribeRegions', GZ, {}), ('DescribeRegions', None, {})]


def test_a_wrong_secret_key_is_a_signature_failure(double):
    cvm = client(double, secret_key=TEST_SECRET_KEY + 'x')
    assert error_code(cvm.DescribeRegions, models.DescribeRegionsRequest()) == 'AuthFailure.SignatureFailure'
    assert double.calls == [] and double.requests_seen == 1


def test_an_unknown_secret_id_is_not_found(double):
    cvm = client(double, secret_id='AKIDunknown', secret_key=TEST_SECRET_KEY)
    assert error_code(cvm.DescribeRegions, models.DescribeRegionsRequest()) == 'AuthFailure.SecretIdNotFound'


def test_a_key_with_a_token_needs_that_token(double):
    request = models.DescribeRegionsRequest()
    assert client(double, secret_id=TEST_TOKEN_SECRET_ID, secret_key=TEST_TOKEN_SECRET_KEY, token=TEST_TOKEN).DescribeRegions(request).TotalCount == 2
    assert error_code(client(double, secret_id=TEST_TOKEN_SECRET_ID, secret_key=TEST_TOKEN_SECRET_KEY).DescribeRegions, request) == 'AuthFailure.TokenFailure'
    wrong = client(double, secret_id=TEST_TOKEN_SECRET_ID, secret_key=TEST_TOKEN_SECRET_KEY, token=TEST_TOKEN + 'x')
    assert error_code(wrong.DescribeRegions, request) == 'AuthFailure.TokenFailure'


def test_a_timestamp_more_than_five_minutes_off_has_expired(double):
    request = models.DescribeRegionsRequest()
    double.clock = lambda: time.time() + 240
    assert client(double).DescribeRegions(request).TotalCount == 2
    double.clock = lambda: time.time() + 360
    assert error_code(client(double).DescribeRegions, request) == 'AuthFailure.SignatureExpire'
    double.clock = lambda: time.time() - 360
    assert error_code(client(double).DescribeRegions, request) == 'AuthFailure.SignatureExpire'


def test_the_credential_scope_must_be_the_timestamps_date_and_cvm(double):
    now = int(time.time())
    assert send_raw(double, hand_signed(double, '{}', timestamp=now), '{}')[2]['TotalCount'] == 2  # the hand signer is right
    yesterday = datetime.datetime.fromtimestamp(now - 86400, datetime.timezone.utc).strftime('%Y-%m-%d')
    assert send_raw(double, hand_signed(double, '{}', timestamp=now, date=yesterday), '{}')[2]['Error']['Code'] == 'AuthFailure.SignatureFailure'
    assert send_raw(double, hand_signed(double, '{}', service='cbs'), '{}')[2]['Error']['Code'] == 'AuthFailure.SignatureFailure'


def test_host_must_be_signed(double):
    headers = hand_signed(double, '{}', signed=('content-type',))
    assert send_raw(double, headers, '{}')[2]['Error']['Code'] == 'AuthFailure.SignatureFailure'


def test_a_body_other_than_the_signed_one_is_refused(double):
    headers, body = sdk_signed(client(double), 'DescribeInstances', {'Limit': 1})
    status, content_type, response = send_raw(double, headers, body)
    assert (status, content_type, response['TotalCount']) == (200, 'application/json', 0)
    status, content_type, response = send_raw(double, headers, body.replace('1', '2'))
    assert (status, content_type) == (200, 'application/json')  # the SDK reads errors only from exactly this type
    assert response['Error']['Code'] == 'AuthFailure.SignatureFailure'
    assert set(response) == {'Error', 'RequestId'} and set(response['Error']) == {'Code', 'Message'}
    assert [call[0] for call in double.calls] == ['DescribeInstances']


def test_version_action_and_region_are_checked(double):
    cvm = client(double)
    assert error_code(cvm.call_json, 'DescribeZones', {}) == 'InvalidAction'
    cvm._apiVersion = '2020-01-01'
    assert error_code(cvm.DescribeRegions, models.DescribeRegionsRequest()) == 'NoSuchVersion'
    assert error_code(describe, client(double, region='ap-nowhere')) == 'UnsupportedRegion'
    assert error_code(describe, client(double, region='')) == 'MissingParameter'
    assert error_code(client(double).call_json, 'DescribeInstances', {'Region': GZ}) == 'UnknownParameter'


# --- DescribeInstances -----------------------------------------------------------------------


def test_describe_instances_answers_what_was_added(double):
    first = double.add_instance(GZ, InstanceName='web-1', Zone='ap-guangzhou-3', Tags={'env': 'prod'}, PublicIpAddresses=['203.0.113.7'])
    double.add_instance(SH)
    answer = describe(client(double))
    assert (answer.TotalCount, ids_of(answer)) == (1, [first])
    instance = answer.InstanceSet[0]
    assert (instance.InstanceName, instance.Placement.Zone, instance.PublicIpAddresses) == ('web-1', 'ap-guangzhou-3', ['203.0.113.7'])
    assert [(tag.Key, tag.Value) for tag in instance.Tags] == [('env', 'prod')]
    assert (instance.InstanceState, instance.OsName, instance.DefaultLoginUser, instance.DefaultLoginPort) == ('RUNNING', IMAGES[0][0], 'root', 22)
    assert re.match(r'^ins-[0-9a-z]{8}$', instance.InstanceId) and re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', instance.CreatedTime)
    assert double.calls == [('DescribeInstances', GZ, {})]


def test_instances_deserialise_into_the_sdk_model_without_unknown_fields(double):
    double.generate(GZ, 120, seed=3)
    found = client(double).call_json('DescribeInstances', {'Limit': 100})['Response']['InstanceSet']
    assert len(found) == 100
    assert all(set(item) == set(INSTANCE_FIELDS) for item in found)  # every field, null where unset, as the API sends
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')  # the SDK silences its own UserWarnings
        for item in found:
            models.Instance()._deserialize(item)
        assert caught == []
        models.Instance()._deserialize({'Bogus': 1})  # and the check sees an unknown field
        assert 'Bogus fileds are useless' in str(caught[0].message)


def test_pages_of_100_over_250_instances(double):
    added = double.generate(GZ, 250, seed=1)
    cvm = client(double)
    pages = [describe(cvm, Offset=offset, Limit=100) for offset in (0, 100, 200, 300)]
    assert [page.TotalCount for page in pages] == [250] * 4
    assert [len(page.InstanceSet) for page in pages] == [100, 100, 50, 0]
    assert sum((ids_of(page) for page in pages), []) == added
    assert ids_of(describe(cvm)) == added[:20]  # default Limit
    assert describe(client(double, region=SH)).TotalCount == 0


def test_a_limit_over_100_is_refused(double):
    double.generate(GZ, 150)
    cvm = client(double)
    assert len(describe(cvm, Limit=100).InstanceSet) == 100
    assert error_code(describe, cvm, Limit=101) == 'InvalidParameterValue.LimitExceeded'
    assert error_code(cvm.call_json, 'DescribeInstances', {'Limit': '50'}) == 'InvalidParameter'


def test_filters_or_within_and_across(double):
    one = double.add_instance(GZ, Zone='ap-guangzhou-1', Tags={'env': 'prod', 'team': 'web'}, ProjectId=7)
    two = double.add_instance(GZ, Zone='ap-guangzhou-2', InstanceState='STOPPED', Tags={'env': 'dev'}, PublicIpAddresses=['198.18.0.9'])
    three = double.add_instance(GZ, Zone='ap-guangzhou-3', InstanceName='db-1', Tags={'team': 'prod'})
    cvm = client(double)

    def found(*filters):
        return ids_of(describe(cvm, Filters=list(filters)))

    assert found(api_filter('zone', 'ap-guangzhou-2')) == [two]
    assert found(api_filter('zone', 'ap-guangzhou-1', 'ap-guangzhou-3')) == [one, three]
    assert found(api_filter('instance-state', 'RUNNING')) == [one, three]
    assert found(api_filter('instance-state', 'RUNNING'), api_filter('zone', 'ap-guangzhou-2', 'ap-guangzhou-3')) == [three]
    assert found(api_filter('tag:env', 'prod')) == [one]  # team=prod does not count
    assert found(api_filter('tag:env', 'prod', 'dev')) == [one, two]
    assert found(api_filter('tag-key', 'team')) == [one, three]
    assert found(api_filter('tag-value', 'prod')) == [one, three]
    assert found(api_filter('instance-name', 'db-1')) == [three]
    assert found(api_filter('project-id', '7')) == [one]
    assert found(api_filter('public-ip-address', '198.18.0.9')) == [two]
    private = double.instances(GZ)[2]['PrivateIpAddresses'][0]
    assert found(api_filter('private-ip-address', private)) == [three]
    assert found(api_filter('instance-id', one, three), api_filter('tag:team', 'web')) == [one]
    answer = describe(cvm, InstanceIds=[three, one, 'ins-00000000'])
    assert (answer.TotalCount, ids_of(answer)) == (2, [one, three])


def test_filter_mistakes_get_the_apis_error_codes(double):
    cvm = client(double)
    instance = double.add_instance(GZ)
    assert error_code(describe, cvm, Filters=[api_filter('colour', 'red')]) == 'InvalidFilter'
    assert error_code(describe, cvm, InstanceIds=[instance], Filters=[api_filter('zone', 'ap-guangzhou-1')]) == 'InvalidParameterCombination'
    assert error_code(describe, cvm, Filters=[api_filter('zone', *'abcdef')]) == 'InvalidFilterValue.LimitExceeded'
    assert error_code(describe, cvm, Filters=[api_filter('zone', 'x')] * 11) == 'InvalidParameterValue.LimitExceeded'
    assert error_code(describe, cvm, InstanceIds=['ins-1']) == 'InvalidInstanceId.Malformed'
    assert ids_of(describe(cvm, Filters=[api_filter('zone', 'a', 'b', 'c', 'd', 'ap-guangzhou-1')] * 10)) == [instance]  # the limits themselves


def test_get_requests_work_like_post(double):
    double.generate(GZ, 60, seed=2)
    filters = [api_filter('instance-state', 'RUNNING', 'STOPPED'), api_filter('tag-key', 'env')]
    by_post = describe(client(double), Filters=filters, Offset=5, Limit=30)
    by_get = describe(client(double, method='GET'), Filters=filters, Offset=5, Limit=30)
    assert by_get.TotalCount == by_post.TotalCount > 30
    assert ids_of(by_get) == ids_of(by_post) and len(ids_of(by_get)) == 30
    assert double.calls[-1] == ('DescribeInstances', GZ, {
        'Filters': [{'Name': 'instance-state', 'Values': ['RUNNING', 'STOPPED']}, {'Name': 'tag-key', 'Values': ['env']}], 'Offset': '5', 'Limit': '30'})


# --- Control knobs ---------------------------------------------------------------------------


def test_throttle_then_success(double):
    double.add_instance(GZ)
    double.throttle(2)
    cvm = client(double)
    assert client(double).DescribeRegions(models.DescribeRegionsRequest()).TotalCount == 2  # another action
    assert [error_code(describe, cvm) for unused in range(2)] == ['RequestLimitExceeded'] * 2
    assert describe(cvm).TotalCount == 1
    assert [call[0] for call in double.calls] == ['DescribeRegions'] + ['DescribeInstances'] * 3
    double.throttle(1, region=SH)
    assert describe(cvm).TotalCount == 1
    assert error_code(describe, client(double, region=SH)) == 'RequestLimitExceeded'


def test_fail_region(double):
    double.fail_region(SH)
    with pytest.raises(TencentCloudSDKException) as caught:
        describe(client(double, region=SH))
    assert (caught.value.code, caught.value.message) == ('UnauthorizedOperation', 'You are not authorized to perform this operation in region ap-shanghai.')
    assert describe(client(double)).TotalCount == 0
    double.fail_region(SH, code='UnsupportedRegion', message='not enabled')
    assert error_code(describe, client(double, region=SH)) == 'UnsupportedRegion'
    double.restore_region(SH)
    assert describe(client(double, region=SH)).TotalCount == 0


def test_a_dropped_connection_is_a_client_network_error(double):
    double.drop_connections(1)
    cvm = client(double)
    with pytest.raises(TencentCloudSDKException) as caught:
        describe(cvm)
    assert caught.value.code == 'ClientNetworkError' and 'Remote end closed connection' in caught.value.message
    assert describe(cvm).TotalCount == 0
    assert (double.requests_seen, len(double.calls)) == (2, 1)
    double.reset_calls()
    assert (double.requests_seen, double.calls) == (0, [])


def test_a_slow_answer_meets_the_clients_timeout(double):
    double.slow_down(2.0)
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=double.endpoint, protocol='http', reqTimeout=1))
    impatient = cvm_client.CvmClient(credential.Credential(TEST_SECRET_ID, TEST_SECRET_KEY), GZ, profile)
    with pytest.raises(TencentCloudSDKException) as caught:
        describe(impatient)
    assert caught.value.code == 'ClientNetworkError' and 'timed out' in caught.value.message
    assert describe(impatient).TotalCount == 0   # one slow answer only


def test_a_stopped_double_refuses_connections(double):
    cvm = client(double)
    assert describe(cvm).TotalCount == 0
    double.stop()
    assert error_code(describe, cvm) == 'ClientNetworkError'


# --- Instances -------------------------------------------------------------------------------


def test_generate_is_deterministic_and_varied():
    first, second, other = CvmApiDouble(regions=(GZ,)), CvmApiDouble(regions=(GZ,)), CvmApiDouble(regions=(GZ,))
    first.generate(GZ, 600, seed=7)
    second.generate(GZ, 600, seed=7)
    other.generate(GZ, 600, seed=8)
    fleet = first.instances(GZ)
    assert fleet == second.instances(GZ) and fleet != other.instances(GZ)
    assert len(set(item['InstanceId'] for item in fleet)) == 600
    assert set(item['OsName'] for item in fleet) == set(image[0] for image in IMAGES)
    assert set(item['Placement']['Zone'] for item in fleet) == set('ap-guangzhou-%d' % number for number in (1, 2, 3))
    states = [item['InstanceState'] for item in fleet]
    assert states.count('RUNNING') > 400 and states.count('STOPPED') > 30
    public = [item for item in fleet if item['PublicIpAddresses']]
    assert 100 < len(public) < 300 and all(item['InternetAccessible']['PublicIpAssigned'] for item in public)
    assert set(len(item['SecurityGroupIds']) for item in fleet) == {1, 2}
    tags = [dict((tag['Key'], tag['Value']) for tag in item['Tags']) for item in fleet]
    nodes = [tag for tag in tags if 'tke-clusterId' in tag]
    assert 60 < len(nodes) < 200 and all(re.match(r'^np-[0-9a-z]{8}$', tag['tke-nodepool-id']) for tag in nodes)
    assert sum(1 for tag in tags if {'env', 'team', 'role'} <= set(tag)) > 300 and {} in tags
    assert len(set(item['VirtualPrivateCloud']['SubnetId'] for item in fleet)) == 6


def test_add_instance_refuses_unknown_fields():
    double = CvmApiDouble(regions=(GZ,))
    with pytest.raises(TypeError):
        double.add_instance(GZ, Bogus=1)
    with pytest.raises(TypeError):
        double.add_instance(GZ, Placement={'Zonee': 'ap-guangzhou-1'})
    with pytest.raises(ValueError):
        double.add_instance(SH)
    assert double.instances(GZ) == []


# --- Command line ----------------------------------------------------------------------------


def test_the_command_line_serves_until_sigterm(tmp_path):
    port_file = tmp_path / 'port'
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, 'cvm_api_double.py'), '--regions', 'ap-guangzhou,ap-shanghai,ap-beijing',
         '--instances', '31', '--port-file', str(port_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        port = int(port_file.read_text())
        assert line == 'cvm api double on 127.0.0.1:%d: 31 instances in 3 regions\n' % port
        served = types.SimpleNamespace(endpoint='127.0.0.1:%d' % port)
        assert [describe(client(served, region=region)).TotalCount for region in ('ap-guangzhou', 'ap-shanghai', 'ap-beijing')] == [11, 10, 10]
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (process.returncode, out, err) == (0, '', '')
    assert os.listdir(str(tmp_path)) == ['port']

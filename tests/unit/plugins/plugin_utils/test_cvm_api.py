# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credentials, endpoints, back-off and paged queries of plugin_utils/cvm_api.py, without a network."""

from __future__ import annotations

import json

import pytest

from ansible_collections.tencentos.fleet.plugins.plugin_utils import cvm_api

SECRET_ID = 'AKIDunitTESTsecretID0000000000000000'
SECRET_KEY = 'unitTESTsecretKEY000000000000000'


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home of its own, no credential variables, and no instance metadata service or TKE role to find."""
    monkeypatch.setenv('HOME', str(tmp_path))
    for name in ('TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cvm_api.sdk_credential.CVMRoleCredential, 'get_credential', lambda self: None)
    monkeypatch.setattr(cvm_api.sdk_credential.DefaultTkeOIDCRoleArnProvider, 'get_credential', lambda self: None)
    return tmp_path


def test_options_come_first(home):
    credential, source = cvm_api.resolve_credential(SECRET_ID, SECRET_KEY, 'a-token', profile='ignored')
    assert (credential.secret_id, credential.secret_key, credential.token) == (SECRET_ID, SECRET_KEY, 'a-token')
    assert source == 'the plugin options'


@pytest.mark.parametrize('secret_id, secret_key, missing', [(SECRET_ID, None, 'secret_key'), (None, SECRET_KEY, 'secret_id')])
def test_half_a_key_is_refused_without_showing_the_other_half(home, secret_id, secret_key, missing):
    with pytest.raises(cvm_api.CredentialError) as caught:
        cvm_api.resolve_credential(secret_id, secret_key)
    assert str(caught.value) == 'secret_id and secret_key go together: %s is not set' % missing
    assert SECRET_ID not in str(caught.value) and SECRET_KEY not in str(caught.value)


def write_profile(home, name, data):
    (home / '.tccli').mkdir(exist_ok=True)
    (home / '.tccli' / ('%s.credential' % name)).write_text(data if isinstance(data, str) else json.dumps(data))


def test_a_tccli_profile_is_read(home):
    write_profile(home, 'prod', {'secretId': SECRET_ID, 'secretKey': SECRET_KEY, 'token': 'sts-token'})
    credential, source = cvm_api.resolve_credential(profile='prod')
    assert (credential.secret_id, credential.secret_key, credential.token) == (SECRET_ID, SECRET_KEY, 'sts-token')
    assert source == "TCCLI profile 'prod'"


@pytest.mark.parametrize('content, reason', [
    (None, 'No such file or directory'),
    ('{"secretId": "%s", "secretKey": ' % SECRET_ID, 'not valid JSON'),
    ({'secretId': SECRET_ID}, 'has no secretId and secretKey'),
])
def test_a_bad_tccli_profile_is_named_without_its_secrets(home, content, reason):
    if content is not None:
        write_profile(home, 'prod', content)
    with pytest.raises(cvm_api.CredentialError) as caught:
        cvm_api.resolve_credential(profile='prod')
    message = str(caught.value)
    assert message.startswith("TCCLI profile 'prod': ") and reason in message
    assert str(home / '.tccli' / 'prod.credential') in message
    assert SECRET_ID not in message


def test_the_sdk_chain_reads_its_credentials_file(home):
    (home / '.tencentcloud').mkdir()
    (home / '.tencentcloud' / 'credentials').write_text('[default]\nsecret_id = %s\nsecret_key = %s\n' % (SECRET_ID, SECRET_KEY))
    credential, source = cvm_api.resolve_credential()
    assert (credential.secret_id, credential.secret_key) == (SECRET_ID, SECRET_KEY)
    assert source == "the SDK's default chain"


def test_no_credentials_anywhere_says_where_to_put_them(home):
    with pytest.raises(cvm_api.CredentialError) as caught:
        cvm_api.resolve_credential()
    assert str(caught.value).startswith('no credentials: set secret_id and secret_key')


@pytest.mark.parametrize('endpoint, expected', [
    ('cvm.tencentcloudapi.com', ('https', 'cvm.tencentcloudapi.com')),
    ('http://127.0.0.1:8080', ('http', '127.0.0.1:8080')),
    ('https://cvm.private.example:8443/', ('https', 'cvm.private.example:8443')),
])
def test_endpoints_are_hosts_or_urls(endpoint, expected):
    assert cvm_api.parse_endpoint(endpoint) == expected


@pytest.mark.parametrize('endpoint', ['ftp://x', 'https://x/path', 'https://x?a=1', 'https://'])
def test_other_endpoints_are_refused(endpoint):
    with pytest.raises(ValueError):
        cvm_api.parse_endpoint(endpoint)


def test_backoff_doubles_with_jitter_and_is_capped():
    sleep = cvm_api.backoff(1.0)
    for attempt, top in ((0, 1.0), (1, 2.0), (3, 8.0), (10, cvm_api.MAX_BACKOFF_SECONDS)):
        for _sample in range(20):
            assert top / 2 <= sleep(attempt) <= top
    assert cvm_api.backoff(0.0)(5) == 0.0


def test_credential_errors_are_told_apart():
    assert cvm_api.CvmApiError('AuthFailure.SignatureFailure', 'm').about_credentials
    assert not cvm_api.CvmApiError('UnauthorizedOperation', 'm').about_credentials
    assert str(cvm_api.CvmApiError('RequestLimitExceeded', 'too fast', 'req-1')) == 'RequestLimitExceeded: too fast (RequestId req-1)'


class FakeConnection(cvm_api.Connection):
    """A Connection whose API calls answer from a list of instances per region, and are recorded."""

    def __init__(self, fleet, failing=None, total_drift=0):
        super().__init__(credential=None)
        self.fleet, self.failing, self.total_drift, self.calls = fleet, failing or {}, total_drift, []

    def call(self, region, action, params):
        self.calls.append((region, action, params))
        if region in self.failing:
            raise self.failing[region]
        selected = [item for item in self.fleet[region] if self.matches(item, params.get('Filters', []))]
        page = selected[params['Offset']:params['Offset'] + params['Limit']]
        return {'TotalCount': len(selected) + self.total_drift, 'InstanceSet': page}

    @staticmethod
    def matches(item, filters):
        return all(item.get(each['Name']) in each['Values'] for each in filters)


def instances(count, **fields):
    return [dict({'InstanceId': 'ins-%05d' % number}, **fields) for number in range(count)]


def test_pages_of_100_until_the_total():
    connection = FakeConnection({'r': instances(250)})
    found = connection.instances('r', [])
    assert [item['InstanceId'] for item in found] == ['ins-%05d' % number for number in range(250)]
    assert [params['Offset'] for _region, _action, params in connection.calls] == [0, 100, 200]
    assert {params['Limit'] for _region, _action, params in connection.calls} == {100}


def test_a_short_page_ends_the_query_even_if_the_total_says_more():
    """Instances removed while paging make TotalCount stale: the loop must not ask forever."""
    connection = FakeConnection({'r': instances(150)}, total_drift=500)
    assert len(connection.instances('r', [])) == 150
    assert len(connection.calls) == 2


def test_an_exact_multiple_of_the_page_asks_no_empty_page():
    connection = FakeConnection({'r': instances(200)})
    assert len(connection.instances('r', [])) == 200
    assert len(connection.calls) == 2


def test_filters_are_sent_only_when_there_are_some():
    connection = FakeConnection({'r': instances(3)})
    connection.instances('r', [])
    connection.instances('r', [{'Name': 'zone', 'Values': ['z']}])
    assert 'Filters' not in connection.calls[0][2] and connection.calls[1][2]['Filters'] == [{'Name': 'zone', 'Values': ['z']}]


def test_a_region_is_the_union_of_queries_minus_the_exclusions():
    fleet = {'r': instances(4, zone='a') + [{'InstanceId': 'ins-b%d' % n, 'zone': 'b', 'role': 'db'} for n in range(2)]}
    fleet['r'][0]['role'] = 'db'
    connection = FakeConnection(fleet)
    found = cvm_api.region_instances(connection, 'r', [{'zone': 'a'}, {'role': 'db'}], [{'role': 'db', 'zone': 'b'}])
    assert [item['InstanceId'] for item in found] == ['ins-00000', 'ins-00001', 'ins-00002', 'ins-00003']


def test_a_failing_region_is_reported_and_the_others_answer():
    error = cvm_api.CvmApiError('UnauthorizedOperation', 'region not enabled')
    connection = FakeConnection({'a': instances(2), 'b': instances(1), 'c': instances(3)}, failing={'b': error})
    found, failures = cvm_api.fleet_instances(connection, ['a', 'b', 'c'], [{}], [])
    assert sorted(found) == ['a', 'c'] and len(found['c']) == 3
    assert failures == {'b': error}


def test_a_credential_error_ends_the_fleet_query():
    error = cvm_api.CvmApiError('AuthFailure.SecretIdNotFound', 'unknown key')
    connection = FakeConnection({'a': instances(2), 'b': instances(1)}, failing={'b': error})
    with pytest.raises(cvm_api.CvmApiError) as caught:
        cvm_api.fleet_instances(connection, ['a', 'b'], [{}], [])
    assert caught.value is error


def test_the_sdk_missing_message_names_the_packages(monkeypatch):
    assert cvm_api.sdk_missing_message() is None
    monkeypatch.setattr(cvm_api, 'SDK_IMPORT_ERROR', ImportError("No module named 'tencentcloud'"))
    message = cvm_api.sdk_missing_message()
    assert 'tencentcloud-sdk-python-common and tencentcloud-sdk-python-cvm' in message
    assert 'meta/ee-requirements.txt' in message


class Attempts:
    """A request that fails with the given codes in turn, then answers 'answer'."""

    def __init__(self, *codes):
        self.codes, self.made = list(codes), 0

    def __call__(self):
        self.made += 1
        if self.codes:
            raise cvm_api.TencentCloudSDKException(self.codes.pop(0), 'try later')
        return 'answer'


def retryer(max_attempts=5):
    slept = []
    return cvm_api.Retryer(max_attempts, lambda attempt: 2 ** attempt, sleep=slept.append), slept


def test_a_request_that_succeeds_after_failures_is_an_answer():
    """The SDK's StandardRetryer raises the first error even when a later attempt succeeded."""
    retry, slept = retryer()
    send = Attempts('ClientNetworkError', 'RequestLimitExceeded', 'RequestLimitExceeded.UinLimitExceeded', 'ServerNetworkError')
    assert retry.send_request(send) == 'answer'
    assert send.made == 5 and slept == [1, 2, 4, 8]


def test_other_errors_are_not_retried():
    retry, slept = retryer()
    send = Attempts('UnauthorizedOperation')
    with pytest.raises(cvm_api.TencentCloudSDKException):
        retry.send_request(send)
    assert send.made == 1 and slept == []


def test_retries_end_at_max_attempts_with_the_last_error():
    retry, slept = retryer(max_attempts=3)
    send = Attempts('RequestLimitExceeded', 'RequestLimitExceeded', 'ClientNetworkError', 'RequestLimitExceeded')
    with pytest.raises(cvm_api.TencentCloudSDKException) as caught:
        retry.send_request(send)
    assert caught.value.get_code() == 'ClientNetworkError' and send.made == 3 and slept == [1, 2]


@pytest.mark.parametrize('code, retried', [('RequestLimitExceeded', True), ('RequestLimitExceeded.GlobalRegionUinLimitExceeded', True),
                                           ('RequestLimitExceededX', False), ('InternalError', False), ('', False)])
def test_which_codes_are_worth_another_attempt(code, retried):
    assert cvm_api.worth_retrying(code) is retried


def test_a_connection_signs_times_out_and_retries_as_told():
    connection = cvm_api.Connection('a credential', endpoint='http://127.0.0.1:9', timeout=7, max_attempts=3, retry_backoff=0.5)
    client = connection.client('ap-guangzhou')
    http = client.profile.httpProfile
    assert (http.scheme, http.endpoint, http.reqTimeout) == ('http', '127.0.0.1:9', 7)
    assert client.profile.signMethod == 'TC3-HMAC-SHA256' and client.region == 'ap-guangzhou'
    retry = client.profile.retryer
    assert retry.max_attempts == 3 and 0.25 <= retry.sleep_seconds(0) <= 0.5 and 0.5 <= retry.sleep_seconds(1) <= 1.0
    assert connection.client(None).region == ''


@pytest.mark.parametrize('field', ['secret_id', 'secret_key', 'token'])
def test_a_credential_with_a_newline_is_refused_without_showing_it(home, field):
    values = dict(secret_id=SECRET_ID, secret_key=SECRET_KEY, token='a-token')
    values[field] += '\n'
    with pytest.raises(cvm_api.CredentialError) as caught:
        cvm_api.resolve_credential(**values)
    assert str(caught.value) == 'the plugin options: %s holds whitespace or a control character (a pasted newline?)' % field
    assert SECRET_ID not in str(caught.value) and SECRET_KEY not in str(caught.value)


def test_a_malformed_sdk_credentials_file_is_named_without_its_lines(home):
    (home / '.tencentcloud').mkdir()
    # No [default] header: configparser's error quotes the first line.
    (home / '.tencentcloud' / 'credentials').write_text('secret_key = %s\n' % SECRET_KEY)
    with pytest.raises(cvm_api.CredentialError) as caught:
        cvm_api.resolve_credential()
    assert "the SDK's default chain" in str(caught.value) and SECRET_KEY not in str(caught.value)


def test_errors_that_quote_a_secret_are_redacted(monkeypatch):
    connection = cvm_api.Connection(cvm_api.sdk_credential.Credential(SECRET_ID, SECRET_KEY, 'tok-123'), max_attempts=1)

    class Client:
        def call_json(self, action, params):
            raise cvm_api.TencentCloudSDKException('ClientNetworkError', 'bad header value: %s and tok-123' % SECRET_KEY)

    monkeypatch.setattr(connection, 'client', lambda region: Client())
    with pytest.raises(cvm_api.CvmApiError) as caught:
        connection.call('r', 'DescribeInstances', {})
    assert str(caught.value) == 'ClientNetworkError: bad header value: *** and ***'


def test_an_answer_that_is_not_the_apis_is_an_api_error(monkeypatch):
    connection = cvm_api.Connection(None, max_attempts=1)

    class Client:
        def call_json(self, action, params):
            return {'html': 'captive portal'}

    monkeypatch.setattr(connection, 'client', lambda region: Client())
    with pytest.raises(cvm_api.CvmApiError) as caught:
        connection.call('r', 'DescribeInstances', {})
    assert caught.value.code == 'InvalidResponse' and not caught.value.about_credentials


def test_a_cam_denial_is_not_a_credential_error():
    assert not cvm_api.CvmApiError('AuthFailure.UnauthorizedOperation', 'denied').about_credentials

# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CVM API through the official Tencent Cloud SDK: credentials, clients, paged queries.

Only ``tencentcloud-sdk-python-common`` and ``tencentcloud-sdk-python-cvm`` are used. Requests are
signed (TC3-HMAC-SHA256) by the SDK and retried by ``Retryer``; responses are read as JSON, without building the
SDK's model objects, which would cost more than the whole rest of an inventory run on a large fleet.

Secrets are never put in an error message, a warning or a log line: errors name the option, the
file or the API error code, never a value of a credential.
"""

from __future__ import annotations

import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ansible_collections.tencentos.fleet.plugins.plugin_utils.cvm_instances import api_filters

try:
    from tencentcloud.common import credential as sdk_credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.cvm.v20170312 import cvm_client, models as cvm_models
except ImportError as error:
    SDK_IMPORT_ERROR = error
    # Stand-in so that ``except TencentCloudSDKException`` below stays valid without the SDK.
    TencentCloudSDKException = type('TencentCloudSDKException', (Exception,), {})
else:
    SDK_IMPORT_ERROR = None

# The packages, as pip names them, that the SDK's import needs.
SDK_PACKAGES = ('tencentcloud-sdk-python-common', 'tencentcloud-sdk-python-cvm')

DEFAULT_ENDPOINT = 'cvm.tencentcloudapi.com'
# DescribeInstances returns at most 100 instances a page.
PAGE_SIZE = 100
# Regions are queried in parallel, a few at a time: the API limits requests per second per account.
MAX_PARALLEL_REGIONS = 4
# A back-off never sleeps longer than this, however many attempts.
MAX_BACKOFF_SECONDS = 30.0
# Errors that concern the credentials, not a region: they end the whole inventory. Not every
# AuthFailure.* does: AuthFailure.UnauthorizedOperation is a CAM denial, which may concern one region.
CREDENTIAL_ERRORS = frozenset(('AuthFailure.SignatureFailure', 'AuthFailure.SecretIdNotFound', 'AuthFailure.SignatureExpire',
                               'AuthFailure.TokenFailure', 'AuthFailure.InvalidSecretId', 'AuthFailure.InvalidAuthorization',
                               'AuthFailure.MFAFailure'))


class CvmApiError(Exception):
    """An API call that failed, told without any secret: code, message and request id."""

    def __init__(self, code, message, request_id=None):
        self.code = code
        self.message = message
        self.request_id = request_id
        text = '%s: %s' % (code, message)
        if request_id:
            text += ' (RequestId %s)' % request_id
        super().__init__(text)

    @property
    def about_credentials(self):
        return self.code in CREDENTIAL_ERRORS


class CredentialError(Exception):
    """Credentials that cannot be used; the message names where they came from, never a value."""


def sdk_missing_message():
    """The error to show when the SDK cannot be imported, naming the packages to install; or None."""
    if SDK_IMPORT_ERROR is None:
        return None
    return ('the tencentos.fleet.cvm inventory plugin needs the Tencent Cloud SDK packages %s on the controller '
            '(pip install %s; in an execution environment they come from meta/ee-requirements.txt): %s'
            % (' and '.join(SDK_PACKAGES), ' '.join(SDK_PACKAGES), SDK_IMPORT_ERROR))


def instance_fields():
    """The field names of the SDK's Instance model (what DescribeInstances may return per instance)."""
    return [name[1:] for name in vars(cvm_models.Instance()) if name.startswith('_')]


def tccli_profile_credential(profile):
    """The credential of a TCCLI profile: ``~/.tccli/<profile>.credential`` (JSON: secretId, secretKey, token)."""
    path = os.path.join(os.path.expanduser('~'), '.tccli', '%s.credential' % profile)
    try:
        with open(path) as stream:
            data = json.load(stream)
    except (OSError, ValueError) as error:
        # The error says what went wrong with the file; a JSON error's text may quote part of it.
        reason = error.strerror if isinstance(error, OSError) else 'not valid JSON'
        raise CredentialError('TCCLI profile %r: cannot read %s: %s' % (profile, path, reason)) from None
    secret_id, secret_key = data.get('secretId'), data.get('secretKey')
    if not secret_id or not secret_key:
        raise CredentialError('TCCLI profile %r: %s has no secretId and secretKey' % (profile, path))
    check_credential_values('TCCLI profile %r' % profile, secretId=secret_id, secretKey=secret_key, token=data.get('token'))
    return sdk_credential.Credential(secret_id, secret_key, data.get('token') or None)


def check_credential_values(source, **values):
    """Refuse credential values with whitespace or control characters, naming the field, never the value.

    Such a value (a pasted token ending in a newline) would make the HTTP library fail with an error
    that quotes the header, and so the value, in every message after it.
    """
    for field, value in values.items():
        if value and (value != value.strip() or any(ord(char) < 32 or char.isspace() for char in value)):
            raise CredentialError('%s: %s holds whitespace or a control character (a pasted newline?)' % (source, field))


def resolve_credential(secret_id=None, secret_key=None, token=None, profile=None):
    """The credential to sign with, and where it came from (for messages).

    In order: the plugin's options (or their environment variables), a TCCLI profile, then the SDK's
    default chain (``~/.tencentcloud/credentials``, ``/etc/tencentcloud/credentials``, the CVM role of
    the instance the controller runs on, a TKE OIDC role).
    """
    if secret_id or secret_key:
        if not (secret_id and secret_key):
            missing = 'secret_key' if secret_id else 'secret_id'
            raise CredentialError('secret_id and secret_key go together: %s is not set' % missing)
        check_credential_values('the plugin options', secret_id=secret_id, secret_key=secret_key, token=token)
        return sdk_credential.Credential(secret_id, secret_key, token or None), 'the plugin options'
    if profile:
        return tccli_profile_credential(profile), 'TCCLI profile %r' % profile
    try:
        return sdk_credential.DefaultCredentialProvider().get_credentials(), "the SDK's default chain"
    except TencentCloudSDKException:
        raise CredentialError(
            'no credentials: set secret_id and secret_key (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), '
            "a TCCLI profile, or the SDK's ~/.tencentcloud/credentials, or run on a CVM with a CAM role") from None
    except Exception as error:  # e.g. a malformed credentials file: its parser's message quotes the file's lines
        raise CredentialError("the SDK's default chain (~/.tencentcloud/credentials, /etc/tencentcloud/credentials, "
                              'the instance metadata service) failed: %s' % type(error).__name__) from None


def parse_endpoint(endpoint):
    """``cvm.example.com`` or ``http://127.0.0.1:8080`` as (scheme, host[:port]); ValueError if neither."""
    parts = urlsplit(endpoint if '://' in endpoint else 'https://' + endpoint)
    if parts.scheme not in ('http', 'https') or not parts.netloc or parts.path not in ('', '/') or parts.query:
        raise ValueError('endpoint %r is not a host name or an http(s):// URL without a path' % endpoint)
    return parts.scheme, parts.netloc


# Error codes worth another attempt: the SDK's for a network failure or a non-200 answer, and throttling
# (RequestLimitExceeded and its sub-codes, e.g. RequestLimitExceeded.UinLimitExceeded).
RETRIED_CODES = ('ClientNetworkError', 'ServerNetworkError')
RETRIED_PREFIX = 'RequestLimitExceeded'


def worth_retrying(code):
    return code in RETRIED_CODES or code == RETRIED_PREFIX or code.startswith(RETRIED_PREFIX + '.')


class Retryer:
    """Tries an SDK request again after a network error or throttling, with back-off.

    Given to the SDK as its ``retryer``. The SDK's own StandardRetryer (3.1.x) keeps the first error
    across attempts and so reports a failure even when a later attempt succeeded.
    """

    def __init__(self, max_attempts, sleep_seconds, log=None, sleep=time.sleep, redact=str):
        self.max_attempts = max_attempts
        self.sleep_seconds = sleep_seconds
        self.log = log
        self.sleep = sleep
        self.redact = redact

    def send_request(self, send):
        for attempt in range(self.max_attempts):
            try:
                return send()
            except TencentCloudSDKException as error:
                if attempt + 1 >= self.max_attempts or not worth_retrying(error.get_code() or ''):
                    raise
                pause = self.sleep_seconds(attempt)
                if self.log:
                    self.log.debug('attempt %d of %d failed (%s: %s), next in %.1f s', attempt + 1, self.max_attempts,
                                   error.get_code(), self.redact(str(error.get_message())), pause)
                self.sleep(pause)
        raise ValueError('max_attempts must be 1 or more')


def backoff(base):
    """The SDK retryer's sleep before retry ``n`` (0-based): ``base * 2**n`` with jitter, capped."""
    def sleep_seconds(attempt):
        return min(MAX_BACKOFF_SECONDS, base * (2 ** attempt)) * random.uniform(0.5, 1.0)
    return sleep_seconds


class Connection:
    """How to reach the API: credential, endpoint, timeout, retries. Makes one client per region."""

    def __init__(self, credential, endpoint=DEFAULT_ENDPOINT, timeout=30, max_attempts=5, retry_backoff=1.0, log=None):
        self.credential = credential
        self.scheme, self.host = parse_endpoint(endpoint)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff
        self.log = log
        # The values no message may show, should an error ever quote one.
        self._secrets = [value for value in (getattr(credential, name, None) for name in ('secret_id', 'secret_key', 'token'))
                         if isinstance(value, str) and value]
        # One client a region, kept for all its pages: its HTTP session keeps the connection open. Each
        # region is queried by one thread, so no client is shared between threads.
        self._clients = {}

    def redact(self, text):
        for secret in self._secrets:
            text = text.replace(secret, '***')
        return text

    def client(self, region):
        """The CvmClient of ``region`` (None: no region, for DescribeRegions)."""
        if region not in self._clients:
            self._clients[region] = self._new_client(region)
        return self._clients[region]

    def _new_client(self, region):
        http = HttpProfile(protocol=self.scheme, endpoint=self.host, reqTimeout=self.timeout)
        retryer = Retryer(self.max_attempts, backoff(self.retry_backoff), self.log, redact=self.redact)
        profile = ClientProfile(httpProfile=http, language='en-US', retryer=retryer)
        return cvm_client.CvmClient(self.credential, region or '', profile)

    def call(self, region, action, params):
        """The ``Response`` of one API call; CvmApiError when it fails after the retries."""
        try:
            return self.client(region).call_json(action, params)['Response']
        except TencentCloudSDKException as error:
            message = error.get_message()
            if isinstance(message, bytes):  # ServerNetworkError carries the raw body of a non-200 answer
                message = message.decode('utf-8', 'replace')[:200]
            raise CvmApiError(error.get_code() or 'ClientError', self.redact(str(message)), error.get_request_id()) from None
        except (ValueError, KeyError, TypeError) as error:  # an answer that is not the API's JSON (a proxy's page)
            raise CvmApiError('InvalidResponse', 'not an answer of the CVM API (%s)' % type(error).__name__) from None

    def regions(self):
        """The regions the account can use (DescribeRegions, state AVAILABLE), sorted."""
        response = self.call(None, 'DescribeRegions', {})
        return sorted(item['Region'] for item in response.get('RegionSet') or () if item.get('RegionState') == 'AVAILABLE')

    def instances(self, region, filters):
        """Every instance of ``region`` that ``filters`` (the API's Filters list) selects, page by page."""
        found, offset = [], 0
        while True:
            params = {'Offset': offset, 'Limit': PAGE_SIZE}
            if filters:
                params['Filters'] = filters
            response = self.call(region, 'DescribeInstances', params)
            page = response.get('InstanceSet') or []
            found.extend(page)
            offset += len(page)
            # TotalCount may move while paging (instances created or removed): an empty or short page ends it.
            if not page or len(page) < PAGE_SIZE or offset >= response.get('TotalCount', 0):
                return found


def region_instances(connection, region, queries, exclusions):
    """The instances of one region: the union of ``queries``, minus those any of ``exclusions`` selects.

    ``queries`` and ``exclusions`` are filter sets (dicts of filter name to values). Instances come
    back as the API's dicts, in the API's order, each once.
    """
    selected = {}
    for filters in queries:
        for instance in connection.instances(region, api_filters(filters)):
            selected.setdefault(instance['InstanceId'], instance)
    for filters in exclusions:
        for instance in connection.instances(region, api_filters(filters)):
            selected.pop(instance['InstanceId'], None)
    return list(selected.values())


def fleet_instances(connection, regions, queries, exclusions):
    """Every region's instances, queried a few regions at a time.

    Returns ``(instances, failures)``: ``{region: [api instance, ...]}`` for the regions that
    answered, ``{region: CvmApiError}`` for those that did not. A credential error is raised instead,
    since every region would fail the same way.
    """
    def one_region(region):
        try:
            return region, region_instances(connection, region, queries, exclusions), None
        except CvmApiError as error:
            return region, None, error

    instances, failures = {}, {}
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_REGIONS, len(regions)))) as pool:
        for region, found, error in pool.map(one_region, regions):
            if error is None:
                instances[region] = found
            elif error.about_credentials:
                raise error
            else:
                failures[region] = error
    return instances, failures

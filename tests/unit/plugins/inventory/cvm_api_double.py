# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local test double of the Tencent Cloud CVM API, version 2017-03-12. For tests only.

It serves ``DescribeRegions`` and ``DescribeInstances`` over plain HTTP on 127.0.0.1, in the
real protocol, so that code using the official SDK (``CvmClient`` with
``HttpProfile(endpoint="127.0.0.1:PORT", protocol="http")``) runs against it unchanged: the
same headers, the same ``{"Response": {...}}`` envelope, the same error codes.

What it checks, on every request:

* The TC3-HMAC-SHA256 signature, verified by its own code written from the public
  specification (not the SDK's), so that a client that signs wrongly is caught:
  the ``Authorization`` header (``AuthFailure.InvalidAuthorization`` when it cannot be read),
  the SecretId (``AuthFailure.SecretIdNotFound``), ``X-TC-Timestamp`` within 300 seconds of
  the double's clock (``AuthFailure.SignatureExpire``), the credential scope (date = the
  timestamp's UTC date, service ``cvm``), the signed headers (``content-type`` and ``host``
  at least, names sorted, values lowercased and trimmed as the specification says), the
  SHA256 of the body as received, and the signature itself (all ``AuthFailure.SignatureFailure``).
  A key configured with a token also needs ``X-TC-Token`` (``AuthFailure.TokenFailure``).
* ``X-TC-Version`` (``NoSuchVersion``), ``X-TC-Action`` (``InvalidAction``), ``X-TC-Region``
  (``UnsupportedRegion``; ``MissingParameter`` where the action needs one).
* The parameters: unknown ones (``UnknownParameter``), wrong types (``InvalidParameter``),
  the documented limits of DescribeInstances (Limit at most 100, 100 InstanceIds, 10 Filters
  of 5 Values each), InstanceIds together with Filters (``InvalidParameterCombination``),
  unknown filter names (``InvalidFilter``).

What it does not do: no IAM/CAM policies (every known key may do everything), no real rate
limits (``throttle()`` injects ``RequestLimitExceeded`` on demand), no TLS, no signature
method v1 (HmacSHA1/HmacSHA256), no multipart bodies, no other actions, no
``creation-start-time``/``creation-end-time`` filters, and ``instance-name`` matches whole names.

Instances are built as the installed SDK's own ``models.Instance`` (default fields that an older
model lacks are left out) and serialised once, when added, with
``_serialize(allow_none=True)``: the real API sends every field, ``null`` where it has no value,
and so does the double (``include_nulls=False`` drops them, as the SDK's ``_serialize()`` does
by default). A page of instances is then a join of ready JSON texts.

Use from a test::

    with CvmApiDouble(regions=("ap-guangzhou",)) as double:
        double.generate("ap-guangzhou", 250, seed=1)
        ...  # CvmClient(Credential(TEST_SECRET_ID, TEST_SECRET_KEY), "ap-guangzhou", profile)

or as a process (for benchmarks)::

    python tests/unit/plugins/inventory/cvm_api_double.py --regions ap-guangzhou,ap-shanghai --instances 5000 --port-file PATH
"""

import argparse
import datetime
import functools
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qsl

from tencentcloud.cvm.v20170312 import models

API_VERSION = '2017-03-12'
SERVICE = 'cvm'
ALGORITHM = 'TC3-HMAC-SHA256'
MAX_CLOCK_SKEW = 300  # seconds between X-TC-Timestamp and the server's clock

# Test credentials: distinctive, so that a test can grep output for a leaked secret.
TEST_SECRET_ID = 'AKIDCVMDOUBLETESTSECRETID00000001'
TEST_SECRET_KEY = 'CvmDoubleTestSecretKey000000001'
TEST_TOKEN_SECRET_ID = 'AKIDCVMDOUBLETESTTOKENID000000002'
TEST_TOKEN_SECRET_KEY = 'CvmDoubleTestTokenSecretKey0002'
TEST_TOKEN = 'CvmDoubleTestSessionToken0000000000000000000000000003'
DEFAULT_CREDENTIALS = {
    TEST_SECRET_ID: (TEST_SECRET_KEY, None),
    TEST_TOKEN_SECRET_ID: (TEST_TOKEN_SECRET_KEY, TEST_TOKEN),
}
DEFAULT_REGIONS = ('ap-guangzhou', 'ap-shanghai')

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_INSTANCE_IDS = 100
MAX_FILTERS = 10
MAX_FILTER_VALUES = 5

# RegionName as the API gives it, by X-TC-Language (zh-CN, the SDK's default, or en-US).
REGION_NAMES = {
    'ap-guangzhou': ('华南地区(广州)', 'South China(Guangzhou)'),
    'ap-shanghai': ('华东地区(上海)', 'East China(Shanghai)'),
    'ap-nanjing': ('华东地区(南京)', 'East China(Nanjing)'),
    'ap-beijing': ('华北地区(北京)', 'North China(Beijing)'),
    'ap-chengdu': ('西南地区(成都)', 'Southwest China(Chengdu)'),
    'ap-chongqing': ('西南地区(重庆)', 'Southwest China(Chongqing)'),
    'ap-hongkong': ('港澳台地区(中国香港)', 'Hong Kong, Macau and Taiwan (China)(Hong Kong, China)'),
    'ap-singapore': ('亚太东南(新加坡)', 'Southeast Asia(Singapore)'),
}

# Filter name -> where its values are in a serialised instance. tag-key, tag-value and
# tag:<key> are computed from Tags.
FILTER_FIELDS = {
    'zone': ('Placement', 'Zone'),
    'project-id': ('Placement', 'ProjectId'),
    'host-id': ('Placement', 'HostId'),
    'dedicated-cluster-id': ('DedicatedClusterId',),
    'vpc-id': ('VirtualPrivateCloud', 'VpcId'),
    'subnet-id': ('VirtualPrivateCloud', 'SubnetId'),
    'instance-id': ('InstanceId',),
    'uuid': ('Uuid',),
    'security-group-id': ('SecurityGroupIds',),
    'instance-name': ('InstanceName',),
    'instance-charge-type': ('InstanceChargeType',),
    'instance-state': ('InstanceState',),
    'private-ip-address': ('PrivateIpAddresses',),
    'public-ip-address': ('PublicIpAddresses',),
    'ipv6-address': ('IPv6Addresses',),
    'image-id': ('ImageId',),
}
UNIMPLEMENTED_FILTERS = ('creation-start-time', 'creation-end-time')

# add_instance() shortcuts for nested fields.
SHORTCUTS = {
    'Zone': ('Placement', 'Zone'),
    'ProjectId': ('Placement', 'ProjectId'),
    'VpcId': ('VirtualPrivateCloud', 'VpcId'),
    'SubnetId': ('VirtualPrivateCloud', 'SubnetId'),
}

# The generated fleet: (OsName, weight, default login user, hostname suffix).
IMAGES = (
    ('TencentOS Server 3.1 (TK4)', 30, 'root', 'tencentos'),
    ('TencentOS Server 2.4 (TK4)', 12, 'root', 'tencentos'),
    ('TencentOS Server 2.4', 8, 'root', 'tencentos'),
    ('TencentOS Server 3.2 (Final)', 15, 'root', 'tencentos'),
    ('TencentOS Server 4.4', 10, 'root', 'tencentos'),
    ('CentOS 7.9 64位', 13, 'root', 'centos'),
    ('Ubuntu Server 22.04 LTS 64位', 12, 'ubuntu', 'ubuntu'),
)
INSTANCE_TYPES = (
    ('S5.MEDIUM4', 2, 4), ('S5.LARGE8', 4, 8), ('S5.2XLARGE16', 8, 16),
    ('SA5.MEDIUM4', 2, 4), ('SA5.LARGE8', 4, 8), ('M5.LARGE32', 4, 32),
)
STATES = (('RUNNING', 85), ('STOPPED', 12), ('STARTING', 1), ('STOPPING', 1), ('REBOOTING', 1))
CHARGE_TYPES = (('POSTPAID_BY_HOUR', 80), ('PREPAID', 15), ('SPOTPAID', 5))
ENVIRONMENTS = (('prod', 50), ('staging', 25), ('dev', 25))
TEAMS = ('infra', 'payments', 'search', 'data', 'web')
ROLES = ('web', 'api', 'db', 'cache', 'batch')
# TKE marks what it creates with the tag key tke-clusterId (its CLBs, CBS disks and EIPs, per
# TKE's documentation and its CBS provisioner); tke-nodepool-id follows a TKE how-to that finds a
# node pool's CVMs with the filter tag:tke-nodepool-id. Neither key is documented for CVM nodes.
TKE_CLUSTER_TAG = 'tke-clusterId'
TKE_NODEPOOL_TAG = 'tke-nodepool-id'

_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
INSTANCE_FIELDS = tuple(models.Instance()._serialize(allow_none=True))


class ApiError(Exception):
    """An answer in the API's error shape: ``{"Error": {"Code": code, "Message": message}}``."""

    def __init__(self, code, message):
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.message = message


class Authorization(NamedTuple):
    secret_id: str
    date: str
    service: str
    signed_headers: tuple
    signature: str


class RawJson(bytes):
    """A JSON text that goes into a response as it is."""


class Record(NamedTuple):
    """One instance: its JSON text, ready for any page, and what the filters look at."""
    instance_id: str
    text: RawJson
    keys: dict  # filter name -> frozenset of str
    tags: dict  # tag key -> tag value


# --- TC3-HMAC-SHA256 -------------------------------------------------------------------------


def parse_authorization(value):
    """``TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX``."""
    if not value:
        raise ApiError('AuthFailure.InvalidAuthorization', 'The request has no Authorization header.')
    algorithm, rest = (value.strip().split(' ', 1) + [''])[:2]
    if algorithm != ALGORITHM:
        raise ApiError('AuthFailure.InvalidAuthorization', 'Authorization must use %s, not %r.' % (ALGORITHM, algorithm))
    fields = {}
    for part in rest.split(','):
        key, equals, item = part.strip().partition('=')
        if not equals:
            raise ApiError('AuthFailure.InvalidAuthorization', 'Authorization has a malformed part %r.' % part.strip())
        fields[key] = item
    missing = [key for key in ('Credential', 'SignedHeaders', 'Signature') if not fields.get(key)]
    if missing:
        raise ApiError('AuthFailure.InvalidAuthorization', 'Authorization lacks %s.' % ', '.join(missing))
    scope = fields['Credential'].split('/')
    if len(scope) != 4 or not scope[0] or scope[3] != 'tc3_request':
        raise ApiError('AuthFailure.InvalidAuthorization', 'Credential must be SecretId/Date/Service/tc3_request.')
    return Authorization(scope[0], scope[1], scope[2], tuple(fields['SignedHeaders'].split(';')), fields['Signature'])


def canonical_request(method, path, query, headers, signed_headers, body):
    """The canonical request of the specification, from the request exactly as received."""
    # The specification makes content-type and host mandatory and the names sorted; a client
    # that signs anything else is not signing as the API expects.
    if 'content-type' not in signed_headers or 'host' not in signed_headers:
        raise ApiError('AuthFailure.SignatureFailure', 'SignedHeaders must include content-type and host.')
    if list(signed_headers) != sorted(set(signed_headers)) or any(name != name.lower() for name in signed_headers):
        raise ApiError('AuthFailure.SignatureFailure', 'SignedHeaders must be lowercase names in ascending order.')
    lines = []
    for name in signed_headers:
        value = headers.get(name)
        if value is None:
            raise ApiError('AuthFailure.SignatureFailure', 'The signed header %r is not in the request.' % name)
        lines.append('%s:%s\n' % (name, value.strip().lower()))
    if headers.get('X-TC-Content-SHA256') == 'UNSIGNED-PAYLOAD':
        body = b'UNSIGNED-PAYLOAD'  # the specification's opt-out for large bodies
    return '\n'.join([method, path, query, ''.join(lines), ';'.join(signed_headers), hashlib.sha256(body).hexdigest()])


def _hmac_sha256(key, message):
    return hmac.new(key, message.encode('utf-8'), hashlib.sha256)


def tc3_signature(secret_key, date, service, string_to_sign):
    """Derive the signing key (TC3+key -> date -> service -> tc3_request) and sign."""
    key = _hmac_sha256(('TC3' + secret_key).encode('utf-8'), date).digest()
    key = _hmac_sha256(key, service).digest()
    key = _hmac_sha256(key, 'tc3_request').digest()
    return _hmac_sha256(key, string_to_sign).hexdigest()


def _timestamp(headers):
    raw = headers.get('X-TC-Timestamp')
    if raw is None:
        raise ApiError('MissingParameter', 'The request is missing the required header X-TC-Timestamp.')
    try:
        return raw, int(raw)
    except ValueError:
        raise ApiError('InvalidParameter', 'X-TC-Timestamp must be an integer, not %r.' % raw)


def verify_signature(method, path, query, headers, body, credentials, now):
    """Check the request's TC3-HMAC-SHA256 signature; return its SecretId or raise ApiError.

    ``headers`` is case-insensitive (an ``http.client.HTTPMessage``); ``credentials`` maps a
    SecretId to ``(secret_key, token or None)``; ``now`` is the server's clock (seconds).
    """
    auth = parse_authorization(headers.get('Authorization'))
    if auth.secret_id not in credentials:
        raise ApiError('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.')
    secret_key, token = credentials[auth.secret_id]
    raw_timestamp, timestamp = _timestamp(headers)
    if abs(now - timestamp) > MAX_CLOCK_SKEW:
        raise ApiError('AuthFailure.SignatureExpire',
                       'Signature expired: X-TC-Timestamp %d and the server time %d differ by more than %d seconds.'
                       % (timestamp, int(now), MAX_CLOCK_SKEW))
    if auth.service != SERVICE:
        raise ApiError('AuthFailure.SignatureFailure', 'The credential scope names service %r, not %r.' % (auth.service, SERVICE))
    utc_date = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime('%Y-%m-%d')
    if auth.date != utc_date:
        raise ApiError('AuthFailure.SignatureFailure',
                       'The credential scope date %r is not the UTC date of X-TC-Timestamp (%s).' % (auth.date, utc_date))
    digest = hashlib.sha256(canonical_request(method, path, query, headers, auth.signed_headers, body).encode('utf-8')).hexdigest()
    string_to_sign = '\n'.join([ALGORITHM, raw_timestamp, '%s/%s/tc3_request' % (auth.date, auth.service), digest])
    expected = tc3_signature(secret_key, auth.date, auth.service, string_to_sign)
    if not hmac.compare_digest(expected, auth.signature):
        raise ApiError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.')
    if token is not None and not hmac.compare_digest(token, headers.get('X-TC-Token') or ''):
        raise ApiError('AuthFailure.TokenFailure', 'Token verification failed, please check if your Token is correct.')
    return auth.secret_id


# --- Request parameters ----------------------------------------------------------------------


def _unflatten(pairs):
    """GET parameters (``Filters.0.Values.1=x``) back into the JSON structure POST sends."""
    root = {}
    for key, value in pairs:
        node = root
        parts = key.split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ApiError('InvalidParameter', 'The parameter %r conflicts with another.' % key)
        if parts[-1] in node:
            raise ApiError('InvalidParameter', 'The parameter %r is given twice.' % key)
        node[parts[-1]] = value
    return _listify(root, '')


def _listify(node, name):
    if not isinstance(node, dict):
        return node
    items = dict((key, _listify(value, name + key + '.')) for key, value in node.items())
    if items and all(key.isdigit() for key in items):
        if sorted(int(key) for key in items) != list(range(len(items))):
            raise ApiError('InvalidParameter', 'The indexes of %r are not 0..N-1.' % name.rstrip('.'))
        return [items[str(index)] for index in range(len(items))]
    return items


def request_params(method, headers, query, body):
    """The action's parameters: the JSON body of a POST, the query string of a GET."""
    if method == 'GET':
        params = _unflatten(parse_qsl(query, keep_blank_values=True))
        if not isinstance(params, dict):
            raise ApiError('InvalidParameter', 'The query string does not name parameters.')
        return params
    content_type = (headers.get('Content-Type') or '').split(';')[0].strip().lower()
    if content_type != 'application/json':
        raise ApiError('InvalidParameter', 'The double takes POST bodies of Content-Type application/json only, not %r.' % content_type)
    try:
        params = json.loads(body.decode('utf-8') or '{}')
    except ValueError as error:
        raise ApiError('InvalidParameter', 'The request body is not JSON: %s.' % error)
    if not isinstance(params, dict):
        raise ApiError('InvalidParameter', 'The request body must be a JSON object.')
    return params


def _check_known(params, known, prefix=''):
    for name in params:
        if name not in known:
            raise ApiError('UnknownParameter', 'The parameter `%s%s` is not recognized.' % (prefix, name))


def _integer(params, name, default, lenient):
    value = params.get(name, default)
    if lenient and isinstance(value, str) and value.isdigit():
        value = int(value)  # a GET query has only strings
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError('InvalidParameter', 'The parameter `%s` must be an Integer.' % name)
    return value


def _string_list(value, name):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError('InvalidParameter', 'The parameter `%s` must be an Array of String.' % name)
    return value


def parse_filters(value):
    """``[{"Name": ..., "Values": [...]}]`` -> ``[(name, frozenset(values))]``, checked."""
    if not isinstance(value, list):
        raise ApiError('InvalidParameter', 'The parameter `Filters` must be an Array of Filter.')
    if len(value) > MAX_FILTERS:
        raise ApiError('InvalidParameterValue.LimitExceeded', 'At most %d Filters are allowed, got %d.' % (MAX_FILTERS, len(value)))
    filters = []
    for index, item in enumerate(value):
        where = 'Filters.%d' % index
        if not isinstance(item, dict):
            raise ApiError('InvalidParameter', 'The parameter `%s` must be a Filter.' % where)
        _check_known(item, ('Name', 'Values'), where + '.')
        name = item.get('Name')
        if not isinstance(name, str) or not name:
            raise ApiError('MissingParameter', 'The parameter `%s.Name` is missing.' % where)
        values = _string_list(item.get('Values'), where + '.Values')
        if len(values) > MAX_FILTER_VALUES:
            raise ApiError('InvalidFilterValue.LimitExceeded', 'Filter %r has %d values, at most %d are allowed.' % (name, len(values), MAX_FILTER_VALUES))
        if name in UNIMPLEMENTED_FILTERS:
            raise ApiError('UnsupportedOperation', 'The CVM API double does not implement the filter %r.' % name)
        if name not in FILTER_FIELDS and name not in ('tag-key', 'tag-value') and not (name.startswith('tag:') and len(name) > 4):
            raise ApiError('InvalidFilter', 'The filter %r is not valid.' % name)
        filters.append((name, frozenset(values)))
    return filters


def matches(record, filters):
    """Values OR-ed within a filter, filters AND-ed."""
    for name, values in filters:
        if name.startswith('tag:'):
            if record.tags.get(name[4:]) not in values:
                return False
        elif not record.keys[name] & values:
            return False
    return True


# --- Instances -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def short_id(prefix, *parts):
    """A deterministic resource id like ``ins-1a2b3c4d`` (8 characters of [0-9a-z])."""
    number = int.from_bytes(hashlib.sha256('/'.join((prefix,) + parts).encode('utf-8')).digest()[:8], 'big')
    chars = []
    for unused in range(8):
        number, digit = divmod(number, 36)
        chars.append(_ID_ALPHABET[digit])
    return '%s-%s' % (prefix, ''.join(chars))


def is_instance_id(value):
    return len(value) == 12 and value.startswith('ins-') and all(char in _ID_ALPHABET for char in value[4:])


def _tag_list(tags):
    """Tags given as a dict, as (key, value) pairs, as dicts or as models.Tag -> [{"Key", "Value"}]."""
    if isinstance(tags, dict):
        tags = list(tags.items())
    result = []
    for tag in tags or ():
        if isinstance(tag, models.Tag):
            tag = {'Key': tag.Key, 'Value': tag.Value}
        elif isinstance(tag, (tuple, list)):
            tag = {'Key': tag[0], 'Value': tag[1]}
        result.append(dict(tag))
    return result


def _dig(data, path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def filter_keys(data):
    """What each filter compares with, as sets of strings, computed once per instance."""
    keys = {}
    for name, path in FILTER_FIELDS.items():
        value = _dig(data, path)
        values = value if isinstance(value, list) else [value]
        keys[name] = frozenset(str(item) for item in values if item is not None)
    tags = dict((tag['Key'], tag['Value']) for tag in data.get('Tags') or ())
    keys['tag-key'] = frozenset(tags)
    keys['tag-value'] = frozenset(tags.values())
    return keys, tags


def build_instance(data, include_nulls):
    """``data`` (the API's JSON shape) through the SDK's models.Instance and back.

    Building through the model rejects what the SDK does not know (it would warn "fileds are
    useless" when deserialising a response) and gives the fields the model's order.
    """
    instance = models.Instance()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        instance._deserialize(data)
    if caught:
        raise TypeError('not fields of models.Instance: %s' % caught[0].message)
    return instance._serialize(allow_none=include_nulls)


def _private_ip(number):
    return '10.%d.%d.%d' % ((number // 64000) % 256, (number // 250) % 256, number % 250 + 2)


def _public_ip(number):
    # 198.18.0.0/15 is set aside for benchmarks (RFC 2544): realistic, yet nobody's address.
    return '198.%d.%d.%d' % (18 + (number // 64516) % 2, (number // 254) % 254 + 1, number % 254 + 1)


def _utc(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def _weighted(rng, choices):
    return rng.choices([choice[0] for choice in choices], weights=[choice[1] for choice in choices])[0]


class RegionLayout(NamedTuple):
    """A region's networks, security groups and TKE clusters, the same for any seed."""
    vpcs: tuple
    subnets: dict  # (vpc, zone) -> subnet id
    security_groups: tuple
    clusters: dict  # cluster id -> node pool ids


@functools.lru_cache(maxsize=None)
def region_layout(region):
    zones = ['%s-%d' % (region, number) for number in (1, 2, 3)]
    vpcs = tuple(short_id('vpc', region, str(number)) for number in range(2))
    subnets = dict(((vpc, zone), short_id('subnet', vpc, zone)) for vpc in vpcs for zone in zones)
    groups = tuple(short_id('sg', region, str(number)) for number in range(4))
    clusters = dict((short_id('cls', region, str(number)), tuple(short_id('np', region, str(number), str(pool)) for pool in range(2)))
                    for number in range(2))
    return RegionLayout(vpcs, subnets, groups, clusters)


# --- The double ------------------------------------------------------------------------------


class CvmApiDouble:
    """The CVM API on 127.0.0.1. ``start()``/``stop()`` or ``with``; control knobs are thread-safe."""

    def __init__(self, regions=DEFAULT_REGIONS, credentials=None, host='127.0.0.1', port=0, clock=time.time, include_nulls=True):
        self.regions = tuple(regions)
        self.credentials = dict(DEFAULT_CREDENTIALS if credentials is None else credentials)
        self.host = host
        self.port = port
        self.clock = clock  # the server's time, for AuthFailure.SignatureExpire
        self.include_nulls = include_nulls
        self.errors = []  # tracebacks of the double's own failures (answered InternalError)
        self._lock = threading.Lock()
        self._records = dict((region, []) for region in self.regions)
        self._by_id = {}
        self._sequence = dict((region, 0) for region in self.regions)
        self._addresses = 0
        self._calls = []
        self._requests_seen = 0
        self._throttles = []  # [remaining, region or None, action or None]
        self._failed_regions = {}  # region -> (code, message)
        self._drops = 0
        self._delays = []  # seconds to wait before each of the next answers
        self._server = None
        self._thread = None

    # Lifecycle.

    @property
    def endpoint(self):
        return '%s:%d' % (self.host, self.port)

    def start(self):
        if self._server is not None:
            raise RuntimeError('the CVM API double is already running')
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='cvm-api-double', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()  # keep-alive connections would otherwise outlive the server
        server.server_close()
        self._thread.join(5)

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc_info):
        self.stop()

    # Instances.

    def add_instance(self, region, **overrides):
        """Add one instance to ``region``; return its id.

        ``overrides`` are fields of ``models.Instance`` (``InstanceName='web-1'``,
        ``InstanceState='STOPPED'``, ``PublicIpAddresses=[...]``; nested ones as dicts merged into
        the defaults, ``Placement={'ProjectId': 7}``), ``Tags`` as a dict, and the shortcuts
        ``Zone``, ``ProjectId``, ``VpcId``, ``SubnetId``. They are taken as given: nothing else is
        adjusted to agree with them.
        """
        if region not in self._records:
            raise ValueError('%r is not one of the double\'s regions %s' % (region, ', '.join(self.regions)))
        with self._lock:
            instance_id = overrides.get('InstanceId') or self._new_id(region)
            if not is_instance_id(instance_id) or instance_id in self._by_id:
                raise ValueError('instance id %r is malformed or taken' % instance_id)
            data = self._defaults(region, instance_id, self._addresses)
            self._addresses += 1
            self._sequence[region] += 1
            _apply_overrides(data, overrides)
            serialised = build_instance(data, self.include_nulls)
            keys, tags = filter_keys(serialised)
            text = RawJson(json.dumps(serialised, ensure_ascii=False, separators=(',', ':')).encode('utf-8'))
            record = Record(instance_id, text, keys, tags)
            self._records[region].append(record)
            self._by_id[instance_id] = record
        return instance_id

    def generate(self, region, count, seed=0):
        """Add ``count`` varied instances to ``region``, the same ones for the same seed; return their ids."""
        rng = random.Random('%s/%s' % (seed, region))
        layout = region_layout(region)
        return [self.add_instance(region, **self._fleet_spec(rng, region, layout)) for unused in range(count)]

    def instances(self, region):
        """The serialised instances of ``region`` (copies), in the order the API pages them."""
        with self._lock:
            return [json.loads(record.text) for record in self._records[region]]

    def _new_id(self, region):
        number = self._sequence[region]
        instance_id = short_id('ins', region, str(number))
        while instance_id in self._by_id:  # a hash collision: vanishingly rare, still handled
            number += 1000003
            instance_id = short_id('ins', region, str(number))
        return instance_id

    def _defaults(self, region, instance_id, address):
        """Every field of models.Instance, with the values of a plain running TencentOS VM."""
        data = dict.fromkeys(INSTANCE_FIELDS)
        layout = region_layout(region)
        zone = '%s-1' % region
        private_ip = _private_ip(address)
        data.update({
            'Placement': {'Zone': zone, 'ProjectId': 0},
            'InstanceId': instance_id,
            'InstanceType': 'S5.MEDIUM4', 'CPU': 2, 'Memory': 4,
            'RestrictState': 'NORMAL',
            'InstanceName': 'test-%s' % instance_id[4:],
            'InstanceChargeType': 'POSTPAID_BY_HOUR',
            'SystemDisk': {'DiskType': 'CLOUD_BSSD', 'DiskId': short_id('disk', instance_id, 'system'), 'DiskSize': 50},
            'DataDisks': [],
            'PrivateIpAddresses': [private_ip],
            'InternetAccessible': {'InternetChargeType': 'TRAFFIC_POSTPAID_BY_HOUR', 'InternetMaxBandwidthOut': 0, 'PublicIpAssigned': False},
            'VirtualPrivateCloud': {'VpcId': layout.vpcs[0], 'SubnetId': layout.subnets[(layout.vpcs[0], zone)], 'AsVpcGateway': False},
            'ImageId': short_id('img', IMAGES[0][0]),
            'CreatedTime': '2024-05-01T08:00:00Z',
            'OsName': IMAGES[0][0],
            'SecurityGroupIds': [layout.security_groups[0]],
            'LoginSettings': {'KeyIds': [short_id('skey', region)]},
            'InstanceState': 'RUNNING',
            'Tags': [],
            'StopChargingMode': 'NOT_APPLICABLE',
            'Uuid': str(uuid.uuid5(uuid.NAMESPACE_URL, 'cvm-api-double/' + instance_id)),
            'LatestOperation': 'RunInstances', 'LatestOperationState': 'SUCCESS',
            'LatestOperationRequestId': str(uuid.uuid5(uuid.NAMESPACE_URL, 'cvm-api-double/run/' + instance_id)),
            'DisasterRecoverGroupId': '', 'CamRoleName': '', 'HpcClusterId': '', 'DedicatedClusterId': '',
            'IsolatedSource': 'NOTISOLATED', 'LicenseType': 'TencentCloud', 'DisableApiTermination': False,
            'HostName': 'VM-%s-%s-tencentos' % tuple(private_ip.split('.')[2:]),
            'DefaultLoginUser': 'root', 'DefaultLoginPort': 22,
            'EnableJumboFrame': False,
        })
        return _known_fields(data)

    def _fleet_spec(self, rng, region, layout):
        """The overrides of one generated instance: the next draws of ``rng``."""
        number = self._sequence[region]
        zone = '%s-%d' % (region, rng.randint(1, 3))
        os_name, unused, login_user, host_suffix = rng.choices(IMAGES, weights=[image[1] for image in IMAGES])[0]
        instance_type, cpu, memory = rng.choice(INSTANCE_TYPES)
        state = _weighted(rng, STATES)
        charge = _weighted(rng, CHARGE_TYPES)
        env = _weighted(rng, ENVIRONMENTS)
        created = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=rng.randrange(900 * 86400))
        spec = {
            'Zone': zone, 'OsName': os_name, 'ImageId': short_id('img', os_name),
            'DefaultLoginUser': login_user, 'InstanceType': instance_type, 'CPU': cpu, 'Memory': memory,
            'InstanceState': state, 'InstanceChargeType': charge, 'CreatedTime': _utc(created),
            'ProjectId': rng.choice((0, 0, 0, 1002189)),
            'SecurityGroupIds': rng.sample(layout.security_groups, rng.randint(1, 2)),
            'SystemDisk': {'DiskType': rng.choice(('CLOUD_BSSD', 'CLOUD_PREMIUM', 'CLOUD_SSD')), 'DiskSize': rng.choice((50, 100))},
            'DataDisks': [{'DiskType': 'CLOUD_PREMIUM', 'DiskId': short_id('disk', region, str(number), str(disk)), 'DiskSize': rng.choice((100, 200, 500)),
                           'DeleteWithInstance': True, 'Encrypt': False} for disk in range(rng.choice((0, 0, 1, 2)))],
        }
        private_ip = _private_ip(self._addresses)
        spec['HostName'] = 'VM-%s-%s-%s' % (private_ip.split('.')[2], private_ip.split('.')[3], host_suffix)
        if charge == 'PREPAID':
            spec['ExpiredTime'] = _utc(created + datetime.timedelta(days=365))
            spec['RenewFlag'] = rng.choice(('NOTIFY_AND_AUTO_RENEW', 'NOTIFY_AND_MANUAL_RENEW'))
        if state == 'STOPPED':
            spec.update(StopChargingMode='KEEP_CHARGING', LatestOperation='StopInstances')
        if rng.random() < 0.3:
            bandwidth = rng.choice((1, 5, 10, 100))
            spec['PublicIpAddresses'] = [_public_ip(self._addresses)]
            spec['InternetAccessible'] = {'InternetMaxBandwidthOut': bandwidth, 'PublicIpAssigned': True}
        if rng.random() < 0.3:
            spec['LoginSettings'] = {'KeyIds': None}  # logs in with a password, which the API never returns
        spec.update(self._fleet_identity(rng, number, env, zone, layout))
        return _known_fields(spec)

    @staticmethod
    def _fleet_identity(rng, number, env, zone, layout):
        """Name, tags and network: a TKE node (a fifth), an untagged VM (a few) or a tagged one."""
        draw = rng.random()
        if draw < 0.2:
            cluster = rng.choice(sorted(layout.clusters))
            vpc = layout.vpcs[0]
            return {'InstanceName': 'tke_%s_worker' % cluster, 'VpcId': vpc, 'SubnetId': layout.subnets[(vpc, zone)],
                    'Tags': {TKE_CLUSTER_TAG: cluster, TKE_NODEPOOL_TAG: rng.choice(layout.clusters[cluster]), 'env': env}}
        vpc = rng.choice(layout.vpcs)
        network = {'VpcId': vpc, 'SubnetId': layout.subnets[(vpc, zone)]}
        if draw < 0.25:
            return dict(network, InstanceName='未命名', Tags={})  # the console's default name: names repeat
        role = rng.choice(ROLES)
        return dict(network, InstanceName='%s-%s-%04d' % (role, env, number), Tags={'env': env, 'team': rng.choice(TEAMS), 'role': role})

    # Control knobs.

    def throttle(self, times, region=None, action='DescribeInstances'):
        """The next ``times`` requests for ``action`` (None: any) in ``region`` (None: any) answer RequestLimitExceeded."""
        with self._lock:
            self._throttles.append([times, region, action])

    def fail_region(self, region, code='UnauthorizedOperation', message=None):
        """Every request in ``region`` answers ``code`` (e.g. a region not enabled for the account)."""
        if message is None:
            message = 'You are not authorized to perform this operation in region %s.' % region
        with self._lock:
            self._failed_regions[region] = (code, message)

    def restore_region(self, region):
        with self._lock:
            self._failed_regions.pop(region, None)

    def drop_connections(self, times):
        """The next ``times`` requests get no answer: the connection is closed after reading them."""
        with self._lock:
            self._drops += times

    def slow_down(self, seconds, times=1):
        """The next ``times`` requests are answered only after ``seconds``: a slow API, for client timeouts."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def clear_faults(self):
        """Forget pending throttles, failed regions, connection drops and delays."""
        with self._lock:
            self._throttles = []
            self._failed_regions = {}
            self._drops = 0
            self._delays = []

    @property
    def calls(self):
        """``(action, region, params)`` of every request whose signature held, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    @property
    def requests_seen(self):
        """Every request received, dropped and refused ones included."""
        with self._lock:
            return self._requests_seen

    def reset_calls(self):
        with self._lock:
            self._calls = []
            self._requests_seen = 0

    # Serving (called by the handler's threads).

    def count_arrival(self):
        """Count a request; True when it is to be dropped. Waits first when it is to be slow."""
        with self._lock:
            self._requests_seen += 1
            delay = self._delays.pop(0) if self._delays else 0
            dropped = self._drops > 0
            if dropped:
                self._drops -= 1
        if delay:
            time.sleep(delay)
        return dropped

    def answer(self, method, path, query, headers, body):
        """The response body for a request: a success or an error, always in the API's envelope."""
        request_id = str(uuid.uuid4())
        try:
            verify_signature(method, path, query, headers, body, self.credentials, self.clock())
            action = headers.get('X-TC-Action') or None
            region = headers.get('X-TC-Region') or None
            params = None
            try:
                params = request_params(method, headers, query, body)
            finally:
                with self._lock:
                    self._calls.append((action, region, params))
            response = self._dispatch(action, region, params, headers, from_query=method == 'GET')
        except ApiError as error:
            return _envelope({'Error': {'Code': error.code, 'Message': error.message}}, request_id)
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
            return _envelope({'Error': {'Code': 'InternalError', 'Message': 'The CVM API double failed; see its errors.'}}, request_id)
        return _envelope(response, request_id)

    def _dispatch(self, action, region, params, headers, from_query):
        version = headers.get('X-TC-Version')
        if not version:
            raise ApiError('MissingParameter', 'The request is missing the required header X-TC-Version.')
        if version != API_VERSION:
            raise ApiError('NoSuchVersion', 'The API version %r of service cvm does not exist.' % version)
        handlers = {'DescribeRegions': self._describe_regions, 'DescribeInstances': self._describe_instances}
        if action not in handlers:
            raise ApiError('InvalidAction', 'The action %r is not found for service cvm (the double knows %s).' % (action, ', '.join(handlers)))
        with self._lock:
            failure = self._failed_regions.get(region)
        if failure:
            raise ApiError(*failure)
        if region is not None and region not in self._records:
            raise ApiError('UnsupportedRegion', 'The region %r is not supported by service cvm.' % region)
        if self._take_throttle(region, action):
            raise ApiError('RequestLimitExceeded', 'Your request rate for %s in %s exceeds the limit; retry later.' % (action, region))
        return handlers[action](region, params, headers, from_query)

    def _take_throttle(self, region, action):
        with self._lock:
            for rule in self._throttles:
                if rule[0] > 0 and rule[1] in (None, region) and rule[2] in (None, action):
                    rule[0] -= 1
                    self._throttles = [item for item in self._throttles if item[0] > 0]
                    return True
        return False

    def _describe_regions(self, region, params, headers, from_query):
        _check_known(params, ())
        english = (headers.get('X-TC-Language') or '').lower() == 'en-us'
        regions = []
        for name in self.regions:
            info = models.RegionInfo()
            info.Region = name
            info.RegionName = REGION_NAMES.get(name, (name, name))[1 if english else 0]
            info.RegionState = 'AVAILABLE'
            regions.append(info._serialize())
        return {'TotalCount': len(regions), 'RegionSet': regions}

    def _describe_instances(self, region, params, headers, from_query):
        if region is None:
            raise ApiError('MissingParameter', 'The request is missing the required parameter `Region`.')
        _check_known(params, ('InstanceIds', 'Filters', 'Offset', 'Limit'))
        offset = _integer(params, 'Offset', 0, from_query)
        limit = _integer(params, 'Limit', DEFAULT_LIMIT, from_query)
        if offset < 0:
            raise ApiError('InvalidParameterValue', 'Offset must not be negative, got %d.' % offset)
        if limit < 1:
            raise ApiError('InvalidParameterValue', 'Limit must be between 1 and %d, got %d.' % (MAX_LIMIT, limit))
        if limit > MAX_LIMIT:
            raise ApiError('InvalidParameterValue.LimitExceeded', 'Limit must be between 1 and %d, got %d.' % (MAX_LIMIT, limit))
        ids = _string_list(params.get('InstanceIds', []), 'InstanceIds')
        filters = parse_filters(params.get('Filters', []))
        if ids and filters:
            raise ApiError('InvalidParameterCombination', 'InstanceIds and Filters cannot be specified at the same time.')
        with self._lock:
            records = self._records[region]  # appended to only: a snapshot of its length is enough
            records = records[:len(records)]
        if ids:
            records = _select_ids(records, ids)
        elif filters:
            records = [record for record in records if matches(record, filters)]
        page = RawJson(b'[' + b','.join(record.text for record in records[offset:offset + limit]) + b']')
        return {'TotalCount': len(records), 'InstanceSet': page}


def _select_ids(records, ids):
    if len(ids) > MAX_INSTANCE_IDS:
        raise ApiError('InvalidParameterValue.LimitExceeded', 'At most %d InstanceIds are allowed, got %d.' % (MAX_INSTANCE_IDS, len(ids)))
    for instance_id in ids:
        if not is_instance_id(instance_id):
            raise ApiError('InvalidInstanceId.Malformed', 'The instance id %r is malformed; it looks like ins-xxxxxxxx.' % instance_id)
    wanted = set(ids)
    return [record for record in records if record.instance_id in wanted]  # unknown ids are left out, as the API does


def _known_fields(fields):
    """Leave out what the installed SDK's models.Instance lacks (SDK 3.1.1 has no HostName, no EnableJumboFrame):
    the double answers in the shape of the model its client deserialises into."""
    return dict((name, value) for name, value in fields.items() if name in INSTANCE_FIELDS or name in SHORTCUTS or name == 'Tags')


def _apply_overrides(data, overrides):
    for name, value in overrides.items():
        if name in SHORTCUTS:
            parent, field = SHORTCUTS[name]
            data[parent] = dict(data[parent] or {}, **{field: value})
        elif name == 'Tags':
            data['Tags'] = _tag_list(value)
        elif name in data:
            if hasattr(value, '_serialize'):
                value = value._serialize()
            if isinstance(value, dict) and isinstance(data[name], dict):
                value = dict(data[name], **value)
            data[name] = value
        else:
            raise TypeError('%r is not a field of models.Instance nor a shortcut (%s)' % (name, ', '.join(SHORTCUTS)))


def _envelope(fields, request_id):
    """``{"Response": {...fields, "RequestId": ...}}`` as bytes; RawJson values go in as they are."""
    parts = []
    for key, value in dict(fields, RequestId=request_id).items():
        text = value if isinstance(value, RawJson) else json.dumps(value, ensure_ascii=False).encode('utf-8')
        parts.append(json.dumps(key).encode('utf-8') + b':' + text)
    return b'{"Response":{' + b','.join(parts) + b'}}'


# --- HTTP ------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes the live connections itself

    def __init__(self, address, double):
        self.double = double
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind() looks up the host's FQDN, which can stall on a bad resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # a client hanging up mid-request; the double's own failures are in double.errors


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the SDK's requests session expects
    server_version = 'cvm-api-double'
    sys_version = ''
    timeout = 60  # an idle keep-alive connection is closed after a minute

    def do_POST(self):
        self._serve()

    def do_GET(self):
        self._serve()

    def log_message(self, format, *args):
        pass  # quiet: the benchmark's output is its own

    def _serve(self):
        length = self.headers.get('Content-Length')
        if self.headers.get('Transfer-Encoding') or (length is not None and not length.isdigit()):
            self._send(411, b'{"message": "Content-Length required"}')
            return
        body = self.rfile.read(int(length or 0))
        double = self.server.double
        if double.count_arrival():
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all: a network error for the client
            return
        path, query = (self.path.split('?', 1) + [''])[:2]
        if path != '/':
            self._send(404, b'{"message": "not found"}')
            return
        self._send(200, double.answer(self.command, path, query, self.headers, body))

    def _send(self, status, body):
        self.send_response(status)
        # Exactly application/json: the SDK looks for an Error only when Content-Type is
        # 'application/json' or 'text/plain', and takes anything else (even with '; charset=utf-8')
        # for a success with empty fields.
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# --- Command line ----------------------------------------------------------------------------


def spread(total, regions):
    """``total`` instances over ``regions``: equal shares, the first ones taking the remainder."""
    share, extra = divmod(total, len(regions))
    return [(region, share + (1 if index < extra else 0)) for index, region in enumerate(regions)]


def write_port_file(path, port):
    """Write then rename, so that a reader never sees a half-written file."""
    partial = '%s.%d.tmp' % (path, os.getpid())
    with open(partial, 'w') as handle:
        handle.write('%d\n' % port)
    os.replace(partial, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description='Serve a local double of the Tencent Cloud CVM API until SIGTERM or SIGINT.')
    parser.add_argument('--regions', default=','.join(DEFAULT_REGIONS), help='comma-separated regions')
    parser.add_argument('--instances', type=int, default=0, help='instances in all, spread over the regions')
    parser.add_argument('--port', type=int, default=0, help='port on 127.0.0.1 (0: any free one)')
    parser.add_argument('--port-file', help='write the port there once listening')
    parser.add_argument('--seed', type=int, default=0, help='seed of the generated fleet')
    args = parser.parse_args(argv)
    regions = [region.strip() for region in args.regions.split(',') if region.strip()]
    if not regions or args.instances < 0:
        parser.error('give at least one region and a non-negative number of instances')

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *unused: stop.set())
    double = CvmApiDouble(regions=regions, port=args.port)
    for region, count in spread(args.instances, regions):
        double.generate(region, count, seed=args.seed)
    double.start()
    try:
        if args.port_file:
            write_port_file(args.port_file, double.port)
        sys.stdout.write('cvm api double on %s: %d instances in %d regions\n' % (double.endpoint, args.instances, len(regions)))
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        double.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

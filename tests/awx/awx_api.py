# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local double of AWX's REST API v2, for the tests of extensions/awx/apply.yml. It is not AWX.

    python tests/awx/awx_api.py --port 8052 --user admin --password secret

It answers the HTTP calls that the awx.awx collection's modules (24.6.1, plugins/module_utils/controller_api.py)
make to apply definitions: organization, credential_type, credential, execution_environment, project, inventory,
inventory_source, job_template, workflow_job_template, workflow_job_template_node and label. Objects live in
memory, one table per endpoint, with AWX's integer ids (projects, inventory sources, job templates and workflow
job templates share one sequence, as AWX's unified job templates do).

Where it matters to a user's definitions it answers as AWX does, so that what passes here passes there:
- list endpoints page as AWX does ({"count", "next", "previous", "results"}) and filter on any field of the
  objects (`name=`, `or__id=&or__name=`, `organization=None`, `__iexact`, `__icontains`, `__in`, `__isnull`);
  an unknown field is a 400;
- a reference to a missing object is a 400 naming the field ('Invalid pk "9" - object does not exist.'),
  required fields are checked, names are unique where AWX makes them unique, fields unknown to AWX are
  ignored and null in a text field becomes "" (so an object read back may differ from what was sent, as
  with AWX: the module then patches it again on every run);
- secret inputs of a credential (and password defaults of a survey) read back as "$encrypted$";
- a job template takes its organization from its project's; credentials attached to it must be of kind ssh,
  vault, cloud, net or kubernetes, one per credential type; workflow nodes link only within their workflow
  and without cycles;
- a project's update (started on creation, on a change of its source and on POST .../update/) is done at
  once: status "successful".
Authentication: HTTP basic with the user and password given at start, or a token from POST /api/v2/tokens/
(what the modules do); anything else is a 401. Every response carries X-API-Product-Name: AWX and
X-API-Product-Version (24.6.1, the collection's, so the modules print no version warning).

It starts as a fresh AWX: the managed credential types (Machine, Source Control, Vault, Container Registry,
Ansible Galaxy/Automation Hub API Token), the instance groups, the "AWX EE (latest)" execution environment, the
"Default" organization and the admin user (AwxApi(address, user, password, seed=False) starts empty).

It does not run jobs, syncs or updates, check a playbook against the project's files, check an SSH key or an
injector template, enforce roles and permissions (the user is a superuser), serve named URLs (names with
'++'), copy objects, schedules, notifications (lists stay empty), hosts and groups, or the activity stream.
Every request is logged as (method, path), without the query.
"""

import argparse
import base64
import binascii
import copy
import datetime
import json
import threading
import traceback
import uuid

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

API = '/api/v2/'
PRODUCT_NAME = 'AWX'
PRODUCT_VERSION = '24.6.1'
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
ENCRYPTED = '$encrypted$'
# A project update reports this revision: the modules compare it before and after an update.
SCM_REVISION = '0123456789abcdef0123456789abcdef01234567'
UNIFIED = ('projects', 'inventory_sources', 'job_templates', 'workflow_job_templates')
NOTIFICATIONS = ('notification_templates_started', 'notification_templates_success', 'notification_templates_error')
# AWX's JobTemplateCredentialsList.is_valid_relation.
JOB_CREDENTIAL_KINDS = ('ssh', 'vault', 'cloud', 'net', 'kubernetes')
# AWX's JobTemplateSurveySpec.ALLOWED_TYPES: the type a question's default must have.
SURVEY_DEFAULT_TYPES = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
                        'integer': int, 'float': float}


class ApiError(Exception):
    """An answer other than 2xx: its status and AWX-like JSON body."""

    def __init__(self, status, body):
        super().__init__(status, body)
        self.status = status
        self.body = body


def field_errors(errors):
    return ApiError(400, errors)


class Kind:
    """One endpoint's objects: their writable fields with AWX's defaults, and AWX's rules for them."""

    def __init__(self, type_name, fields, references=None, required=('name',), unique=('name', 'organization'),
                 associations=None, ints=(), read_only=()):
        self.type_name = type_name
        self.fields = fields                      # writable field -> default
        self.references = references or {}        # field -> endpoint of the object it names
        self.required = required
        self.unique = unique                      # fields that together name one object, () for none
        self.associations = associations or {}    # sub-list -> endpoint of its members
        self.ints = ints                          # fields that are integers though their default is None
        self.read_only = read_only                # fields shown but not written by a POST or PATCH


def notifications(*extra):
    return dict((name, 'notification_templates') for name in NOTIFICATIONS + extra)


KINDS = {
    'organizations': Kind('organization', {
        'name': '', 'description': '', 'max_hosts': 0, 'custom_virtualenv': None, 'default_environment': None,
    }, references={'default_environment': 'execution_environments'}, unique=('name',), associations=dict(
        notifications('notification_templates_approvals'), instance_groups='instance_groups',
        galaxy_credentials='credentials')),
    'credential_types': Kind('credential_type', {
        'name': '', 'description': '', 'kind': '', 'managed': False, 'namespace': None, 'inputs': {},
        'injectors': {},
    }, required=('name', 'kind'), unique=('name', 'kind'), read_only=('managed', 'namespace')),
    'credentials': Kind('credential', {
        'name': '', 'description': '', 'organization': None, 'credential_type': None, 'managed': False,
        'inputs': {},
    }, references={'organization': 'organizations', 'credential_type': 'credential_types'},
        required=('name', 'credential_type'), unique=('name', 'organization', 'credential_type'),
        read_only=('managed',)),
    'execution_environments': Kind('execution_environment', {
        'name': '', 'description': '', 'organization': None, 'image': '', 'managed': False, 'credential': None,
        'pull': '',
    }, references={'organization': 'organizations', 'credential': 'credentials'}, required=('name', 'image'),
        unique=(), read_only=('managed',)),
    'projects': Kind('project', {
        'name': '', 'description': '', 'local_path': '', 'scm_type': '', 'scm_url': '', 'scm_branch': '',
        'scm_refspec': '', 'scm_clean': False, 'scm_track_submodules': False, 'scm_delete_on_update': False,
        'credential': None, 'timeout': 0, 'scm_revision': '', 'status': 'never updated', 'organization': None,
        'scm_update_on_launch': False, 'scm_update_cache_timeout': 0, 'allow_override': False,
        'custom_virtualenv': None, 'default_environment': None, 'signature_validation_credential': None,
    }, references={'organization': 'organizations', 'credential': 'credentials',
                   'default_environment': 'execution_environments',
                   'signature_validation_credential': 'credentials'},
        associations=notifications(), read_only=('scm_revision', 'status')),
    'inventories': Kind('inventory', {
        'name': '', 'description': '', 'organization': None, 'kind': '', 'host_filter': None, 'variables': '',
        'prevent_instance_group_fallback': False, 'total_hosts': 0, 'has_inventory_sources': False,
    }, references={'organization': 'organizations'}, required=('name', 'organization'),
        associations={'instance_groups': 'instance_groups', 'input_inventories': 'inventories'},
        read_only=('total_hosts', 'has_inventory_sources')),
    'inventory_sources': Kind('inventory_source', {
        'name': '', 'description': '', 'source': '', 'source_path': '', 'source_vars': '', 'scm_branch': '',
        'credential': None, 'enabled_var': '', 'enabled_value': '', 'host_filter': '', 'overwrite': False,
        'overwrite_vars': False, 'custom_virtualenv': None, 'timeout': 0, 'verbosity': 1, 'limit': '',
        'inventory': None, 'update_on_launch': False, 'update_cache_timeout': 0, 'source_project': None,
        'execution_environment': None, 'status': 'never updated',
    }, references={'credential': 'credentials', 'inventory': 'inventories', 'source_project': 'projects',
                   'execution_environment': 'execution_environments'},
        required=('name', 'inventory', 'source'), unique=('name', 'inventory'), associations=notifications(),
        read_only=('status',)),
    'job_templates': Kind('job_template', {
        'name': '', 'description': '', 'job_type': 'run', 'inventory': None, 'project': None, 'playbook': '',
        'scm_branch': '', 'forks': 0, 'limit': '', 'verbosity': 0, 'extra_vars': '', 'job_tags': '',
        'force_handlers': False, 'skip_tags': '', 'start_at_task': '', 'timeout': 0, 'use_fact_cache': False,
        'organization': None, 'execution_environment': None, 'host_config_key': '',
        'ask_scm_branch_on_launch': False, 'ask_diff_mode_on_launch': False, 'ask_variables_on_launch': False,
        'ask_limit_on_launch': False, 'ask_tags_on_launch': False, 'ask_skip_tags_on_launch': False,
        'ask_job_type_on_launch': False, 'ask_verbosity_on_launch': False, 'ask_inventory_on_launch': False,
        'ask_credential_on_launch': False, 'ask_execution_environment_on_launch': False,
        'ask_labels_on_launch': False, 'ask_forks_on_launch': False, 'ask_job_slice_count_on_launch': False,
        'ask_timeout_on_launch': False, 'ask_instance_groups_on_launch': False, 'survey_enabled': False,
        'become_enabled': False, 'diff_mode': False, 'allow_simultaneous': False, 'custom_virtualenv': None,
        'job_slice_count': 1, 'webhook_service': '', 'webhook_credential': None,
        'prevent_instance_group_fallback': False,
    }, references={'inventory': 'inventories', 'project': 'projects', 'organization': 'organizations',
                   'execution_environment': 'execution_environments', 'webhook_credential': 'credentials'},
        associations=dict(notifications(), credentials='credentials', labels='labels',
                          instance_groups='instance_groups')),
    'workflow_job_templates': Kind('workflow_job_template', {
        'name': '', 'description': '', 'extra_vars': '', 'organization': None, 'survey_enabled': False,
        'allow_simultaneous': False, 'ask_variables_on_launch': False, 'inventory': None, 'limit': None,
        'scm_branch': None, 'ask_inventory_on_launch': False, 'ask_scm_branch_on_launch': False,
        'ask_limit_on_launch': False, 'ask_labels_on_launch': False, 'ask_skip_tags_on_launch': False,
        'ask_tags_on_launch': False, 'webhook_service': '', 'webhook_credential': None, 'job_tags': None,
        'skip_tags': None,
    }, references={'organization': 'organizations', 'inventory': 'inventories',
                   'webhook_credential': 'credentials'},
        associations=dict(notifications('notification_templates_approvals'), labels='labels')),
    'workflow_job_template_nodes': Kind('workflow_job_template_node', {
        'extra_data': {}, 'inventory': None, 'scm_branch': None, 'job_type': None, 'job_tags': None,
        'skip_tags': None, 'limit': None, 'diff_mode': None, 'verbosity': None, 'execution_environment': None,
        'forks': None, 'job_slice_count': None, 'timeout': None, 'workflow_job_template': None,
        'unified_job_template': None, 'all_parents_must_converge': False, 'identifier': '',
    }, references={'inventory': 'inventories', 'execution_environment': 'execution_environments',
                   'workflow_job_template': 'workflow_job_templates',
                   'unified_job_template': 'unified_job_templates'},
        required=('workflow_job_template',), unique=('identifier', 'workflow_job_template'),
        associations={'success_nodes': 'workflow_job_template_nodes', 'failure_nodes': 'workflow_job_template_nodes',
                      'always_nodes': 'workflow_job_template_nodes', 'credentials': 'credentials',
                      'labels': 'labels', 'instance_groups': 'instance_groups'},
        ints=('verbosity', 'forks', 'job_slice_count', 'timeout')),
    'labels': Kind('label', {'name': '', 'organization': None}, references={'organization': 'organizations'},
                   required=('name', 'organization')),
    # Read by lookups only: AWX's own instance groups, and nobody else's notifications, users or teams.
    'instance_groups': Kind('instance_group', {'name': '', 'is_container_group': False}, unique=('name',)),
    'notification_templates': Kind('notification_template', {'name': '', 'organization': None}),
    'users': Kind('user', {'username': '', 'is_superuser': False}, required=('username',), unique=('username',)),
    'teams': Kind('team', {'name': '', 'organization': None}),
}
NODE_LINKS = ('success_nodes', 'failure_nodes', 'always_nodes')


def managed_credential_types():
    """The credential types that AWX itself creates (awx/main/models/credential/__init__.py), in short."""
    def field(id_, label, **extra):
        return dict(id=id_, label=label, type='string', **extra)
    secret = dict(secret=True)
    return [
        ('Machine', 'ssh', {'fields': [
            field('username', 'Username'), field('password', 'Password', ask_at_runtime=True, **secret),
            field('ssh_key_data', 'SSH Private Key', format='ssh_private_key', multiline=True, **secret),
            field('ssh_public_key_data', 'Signed SSH Certificate', multiline=True, **secret),
            field('ssh_key_unlock', 'Private Key Passphrase', ask_at_runtime=True, **secret),
            field('become_method', 'Privilege Escalation Method'),
            field('become_username', 'Privilege Escalation Username'),
            field('become_password', 'Privilege Escalation Password', ask_at_runtime=True, **secret)]}),
        ('Source Control', 'scm', {'fields': [
            field('username', 'Username'), field('password', 'Password', **secret),
            field('ssh_key_data', 'SCM Private Key', format='ssh_private_key', multiline=True, **secret),
            field('ssh_key_unlock', 'Private Key Passphrase', **secret)]}),
        ('Vault', 'vault', {'fields': [
            field('vault_password', 'Vault Password', ask_at_runtime=True, **secret),
            field('vault_id', 'Vault Identifier')], 'required': ['vault_password']}),
        ('Container Registry', 'registry', {'fields': [
            field('host', 'Authentication URL'), field('username', 'Username'),
            field('password', 'Password or Token', **secret),
            dict(id='verify_ssl', label='Verify SSL', type='boolean', default=True)], 'required': ['host']}),
        ('Ansible Galaxy/Automation Hub API Token', 'galaxy', {'fields': [
            field('url', 'Galaxy Server URL'), field('auth_url', 'Auth Server URL'),
            field('token', 'API Token', **secret)], 'required': ['url']}),
    ]


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


# ----------------------------------------------------------------------------------------------------------------
# Fields as DRF and AWX's serializers read them


def coerce(kind, field, value):
    """The value AWX stores for a field given `value`, or ApiError: AWX's CharNullField turns null into ""."""
    spec = KINDS[kind]
    default = spec.fields[field]
    if field in spec.references:
        if value is None or value == '':
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            raise field_errors({field: ['Incorrect type. Expected pk value, received {0}.'.format(
                type(value).__name__)]})
        return int(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ('true', '1', 'false', '0'):
            return str(value).lower() in ('true', '1')
        raise field_errors({field: ['Must be a valid boolean.']})
    if isinstance(default, int) or field in spec.ints:
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not str(value).lstrip('-').isdigit():
            raise field_errors({field: ['A valid integer is required.']})
        return int(value)
    if isinstance(default, dict):
        if isinstance(value, str):
            try:
                value = json.loads(value or '{}')
            except ValueError:
                raise field_errors({field: ['Invalid JSON.']})
        if not isinstance(value, dict):
            raise field_errors({field: ['Expected a dictionary of items but got type "{0}".'.format(
                type(value).__name__)]})
        return value
    if value is None:
        return '' if default == '' else None
    if isinstance(value, (dict, list)):
        raise field_errors({field: ['Not a valid string.']})
    return str(value) if not isinstance(value, str) else value


def query_value_matches(actual, wanted):
    """Whether a stored value equals a query-string value, as AWX's FieldLookupBackend converts it."""
    if actual is None:
        return wanted.lower() in ('none', 'null', '')
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower() or (wanted in ('0', '1') and actual == (wanted == '1'))
    return str(actual) == wanted


def lookup_matches(obj, key, wanted):
    field, lookup = key.partition('__')[::2]
    if field not in obj:
        raise ApiError(400, {'detail': 'Invalid field name: {0}'.format(field)})
    actual = obj[field]
    if lookup in ('', 'exact'):
        return query_value_matches(actual, wanted)
    if lookup == 'iexact':
        return actual is not None and str(actual).lower() == wanted.lower()
    if lookup == 'icontains':
        return actual is not None and wanted.lower() in str(actual).lower()
    if lookup == 'contains':
        return actual is not None and wanted in str(actual)
    if lookup == 'startswith':
        return actual is not None and str(actual).startswith(wanted)
    if lookup == 'in':
        return any(query_value_matches(actual, one) for one in wanted.split(','))
    if lookup == 'isnull':
        return (actual is None) == (wanted.lower() in ('true', '1'))
    raise ApiError(400, {'detail': 'Unsupported field lookup: {0}'.format(key)})


def filter_objects(objects, query):
    """AWX's list filtering: every plain condition holds, and one of the `or__` conditions if any is given."""
    plain, either = [], []
    for key, value in query:
        if key in ('page', 'page_size', 'order_by', 'format'):
            continue
        negate = key.startswith('not__')
        key = key[len('not__'):] if negate else key
        if key.startswith('or__'):
            either.append((key[len('or__'):], value))
        else:
            plain.append((key, value, negate))
    kept = []
    for obj in objects:
        if all(lookup_matches(obj, key, value) != negate for key, value, negate in plain) and (
                not either or any(lookup_matches(obj, key, value) for key, value in either)):
            kept.append(obj)
    return kept


def page(path, objects, query):
    """One page of a list endpoint's answer, with AWX's next and previous links (paths with their query)."""
    params = dict(query)
    try:
        number = max(1, int(params.get('page', 1)))
        size = min(MAX_PAGE_SIZE, max(1, int(params.get('page_size', PAGE_SIZE))))
    except ValueError:
        raise ApiError(404, {'detail': 'Invalid page.'})
    start = (number - 1) * size
    if start and start >= len(objects):
        raise ApiError(404, {'detail': 'Invalid page.'})

    def link(to):
        rest = [(key, value) for key, value in query if key != 'page'] + [('page', str(to))]
        return '{0}?{1}'.format(path, urlencode(rest))
    return {
        'count': len(objects),
        'next': link(number + 1) if start + size < len(objects) else None,
        'previous': link(number - 1) if number > 1 else None,
        'results': objects[start:start + size],
    }


# ----------------------------------------------------------------------------------------------------------------
# Survey specs: AWX's JobTemplateSurveySpec._validate_spec_data (awx/api/views/__init__.py), in short


def clean_survey_spec(spec, old_spec):
    """The survey spec AWX stores for a POSTed one (choices without blank lines), or ApiError."""
    def error(message):
        return ApiError(400, {'error': message})
    if not isinstance(spec, dict):
        raise error('Expected a survey spec object.')
    for field, wanted, label in (('name', str, 'string'), ('description', str, 'string'),
                                 ('spec', list, 'list of items')):
        if field not in spec:
            raise error("Field '{0}' is missing from survey spec.".format(field))
        if not isinstance(spec[field], wanted):
            raise error("Expected {0} for field '{1}', received {2} type.".format(
                label, field, type(spec[field]).__name__))
    if not spec['spec']:
        raise error("'spec' doesn't contain any items.")
    spec = copy.deepcopy(spec)
    old_defaults = dict((item.get('variable'), item.get('default')) for item in (old_spec or {}).get('spec', []))
    variables = set()
    for idx, item in enumerate(spec['spec']):
        if not isinstance(item, dict):
            raise error('Survey question {0} is not a json object.'.format(idx))
        for field in ('type', 'question_name', 'variable', 'required'):
            if field not in item:
                raise error("'{0}' missing from survey question {1}".format(field, idx))
            wanted, label = (bool, 'boolean') if field == 'required' else (str, 'string')
            if not isinstance(item[field], wanted):
                raise error("'{0}' in survey question {1} expected to be {2}.".format(field, idx, label))
        if item['variable'] in variables:
            raise error("'variable' '{0}' duplicated in survey question {1}.".format(item['variable'], idx))
        variables.add(item['variable'])
        qtype = item['type']
        if qtype not in SURVEY_DEFAULT_TYPES:
            raise error("'{0}' in survey question {1} is not one of '{2}' allowed question types.".format(
                qtype, idx, ', '.join(SURVEY_DEFAULT_TYPES)))
        default = item.get('default', '')
        if default != '' and (not isinstance(default, SURVEY_DEFAULT_TYPES[qtype]) or isinstance(default, bool)):
            raise error('Default value {0} in survey question {1} expected to be {2}.'.format(
                default, idx, qtype if qtype in ('integer', 'float') else 'string'))
        for key in ('min', 'max'):
            if item.get(key) is not None and (not isinstance(item[key], int) or isinstance(item[key], bool)):
                raise error('The {0} limit in survey question {1} expected to be integer.'.format(key, idx))
        if qtype in ('multiplechoice', 'multiselect'):
            clean_choices(item, idx, error)
        if qtype == 'password' and isinstance(default, str) and default.startswith(ENCRYPTED):
            if item['variable'] not in old_defaults:
                raise error('$encrypted$ is a reserved keyword, may not be used for new default in position '
                            '{0}.'.format(idx))
            item['default'] = old_defaults[item['variable']]
    return spec


def clean_choices(item, idx, error):
    if 'choices' not in item:
        raise error('Survey question {0} of type {1} must specify choices.'.format(idx, item['type']))
    if isinstance(item['choices'], str):
        item['choices'] = '\n'.join(line for line in item['choices'].splitlines() if line.strip() != '')
    if 'default' in item:
        if isinstance(item['default'], str):
            item['default'] = '\n'.join(line for line in item['default'].splitlines() if line.strip() != '')
            defaults = item['default'].splitlines()
        else:
            defaults = item['default']
        if item['type'] == 'multiplechoice' and len(defaults) > 1:
            raise error('Multiple Choice (Single Select) can only have one default value.')
        if any(one not in item['choices'] for one in defaults):
            raise error('Default choice must be answered from the choices listed.')


def displayed_survey_spec(spec):
    """A survey spec as GET shows it: password defaults hidden."""
    spec = copy.deepcopy(spec or {})
    for item in spec.get('spec', []):
        if item.get('type') == 'password' and item.get('default'):
            item['default'] = ENCRYPTED
    return spec


# ----------------------------------------------------------------------------------------------------------------
# The objects


class Awx:
    """AWX's objects and the rules of its API, without HTTP: `call` answers one request."""

    def __init__(self, user, password, seed=True):
        self.user = user
        self.password = password
        self.lock = threading.RLock()
        self.tables = dict((kind, {}) for kind in KINDS)
        self.sequences = {}
        self.links = {}        # (endpoint, id, sub-list) -> ids of the members, in order
        self.surveys = {}      # (endpoint, id) -> survey spec as stored
        self.updates = {}      # project update id -> project update
        self.tokens = {}       # token -> id
        self.started = {}      # project id -> update started by the last write, shown once as current_update
        if seed:
            self.seed()

    def seed(self):
        """What a fresh AWX holds before anyone applies definitions."""
        for name in ('controlplane', 'default'):
            self.insert('instance_groups', {'name': name})
        for name, kind, inputs in managed_credential_types():
            self.insert('credential_types', {'name': name, 'kind': kind, 'managed': True, 'namespace': kind,
                                             'inputs': inputs, 'injectors': {}})
        self.insert('execution_environments', {'name': 'AWX EE (latest)', 'image': 'quay.io/ansible/awx-ee:latest',
                                               'pull': ''})
        self.insert('users', {'username': self.user, 'is_superuser': True})
        # Made by AWX's installers (awx-manage create_preload_data), and what definitions default to.
        self.insert('organizations', {'name': 'Default'})

    # -- storage

    def next_id(self, kind):
        space = 'unified_job_templates' if kind in UNIFIED else kind
        self.sequences[space] = self.sequences.get(space, 0) + 1
        return self.sequences[space]

    def insert(self, kind, fields):
        obj = dict(KINDS[kind].fields)
        obj.update(fields)
        obj['id'] = self.next_id(kind)
        obj['created'] = obj['modified'] = now()
        self.tables[kind][obj['id']] = obj
        return obj

    def get(self, kind, id_):
        if kind == 'unified_job_templates':
            for one in UNIFIED:
                if id_ in self.tables[one]:
                    return one, self.tables[one][id_]
            return None, None
        return kind, self.tables[kind].get(id_)

    def exists(self, kind, id_):
        return self.get(kind, id_)[1] is not None

    def objects(self, kind):
        """Every object of an endpoint as GET shows it, by id."""
        with self.lock:
            if kind == 'unified_job_templates':
                found = [self.render(one, obj) for one in UNIFIED for obj in self.tables[one].values()]
            else:
                found = [self.render(kind, obj) for obj in self.tables[kind].values()]
            return sorted(found, key=lambda obj: obj['id'])

    def url(self, kind, id_):
        return '{0}{1}/{2}/'.format(API, kind, id_)

    # -- what GET shows

    def render(self, kind, obj):
        spec = KINDS[kind]
        url = self.url(kind, obj['id'])
        shown = {'id': obj['id'], 'type': spec.type_name, 'url': url, 'related': {}, 'summary_fields': {},
                 'created': obj['created'], 'modified': obj['modified']}
        for field in spec.fields:
            shown[field] = copy.deepcopy(obj[field])
        for field, target in spec.references.items():
            target_kind, target_obj = self.get(target, obj[field]) if obj[field] is not None else (None, None)
            if target_obj is not None:
                shown['related'][field] = self.url(target_kind, target_obj['id'])
                shown['summary_fields'][field] = {
                    'id': target_obj['id'], 'name': target_obj.get('name', target_obj.get('identifier')),
                    'description': target_obj.get('description', '')}
                if target == 'unified_job_templates':
                    shown['summary_fields'][field]['unified_job_type'] = KINDS[target_kind].type_name
        for sub in spec.associations:
            shown['related'][sub] = url + sub + '/'
        shown['summary_fields']['user_capabilities'] = {'edit': True, 'delete': True, 'copy': True}
        getattr(self, 'render_' + kind, lambda shown, obj: None)(shown, obj)
        return shown

    def render_credentials(self, shown, obj):
        credential_type = self.get('credential_types', obj['credential_type'])[1]
        secret = set(field['id'] for field in credential_type['inputs'].get('fields', []) if field.get('secret'))
        for key, value in shown['inputs'].items():
            if key in secret and value not in ('', None):
                shown['inputs'][key] = ENCRYPTED
        shown['kind'] = credential_type['namespace']
        shown['cloud'] = credential_type['kind'] == 'cloud'

    def render_projects(self, shown, obj):
        shown['related']['update'] = shown['url'] + 'update/'
        shown['related']['project_updates'] = shown['url'] + 'project_updates/'
        updates = [update for update in self.updates.values() if update['project'] == obj['id']]
        if updates:
            shown['summary_fields']['last_update'] = self.update_summary(updates[-1])
        if obj['id'] in self.started:
            shown['summary_fields']['current_update'] = self.update_summary(self.updates[self.started[obj['id']]])

    def update_summary(self, update):
        return {'id': update['id'], 'name': update['name'], 'status': update['status'], 'failed': False}

    def render_job_templates(self, shown, obj):
        shown['related']['survey_spec'] = shown['url'] + 'survey_spec/'
        shown['related']['launch'] = shown['url'] + 'launch/'
        credentials = [self.tables['credentials'][id_] for id_ in self.members('job_templates', obj, 'credentials')]
        shown['summary_fields']['credentials'] = [
            {'id': one['id'], 'name': one['name'], 'description': one['description'],
             'kind': self.tables['credential_types'][one['credential_type']]['namespace'],
             'cloud': self.tables['credential_types'][one['credential_type']]['kind'] == 'cloud'}
            for one in credentials]
        self.show_labels(shown, 'job_templates', obj)

    def render_workflow_job_templates(self, shown, obj):
        shown['related']['survey_spec'] = shown['url'] + 'survey_spec/'
        shown['related']['workflow_nodes'] = shown['url'] + 'workflow_nodes/'
        self.show_labels(shown, 'workflow_job_templates', obj)

    def show_labels(self, shown, kind, obj):
        labels = [self.tables['labels'][id_] for id_ in self.members(kind, obj, 'labels')]
        shown['summary_fields']['labels'] = {'count': len(labels),
                                             'results': [{'id': one['id'], 'name': one['name']} for one in labels]}

    def render_workflow_job_template_nodes(self, shown, obj):
        for sub in NODE_LINKS:
            shown[sub] = list(self.members('workflow_job_template_nodes', obj, sub))

    def members(self, kind, obj, sub):
        return self.links.get((kind, obj['id'], sub), [])

    # -- writes

    def write(self, kind, data, old=None, partial=False):
        """Create (old None) or change an object from a request's body, with AWX's checks; the stored object."""
        spec = KINDS[kind]
        if not isinstance(data, dict):
            raise ApiError(400, {'detail': 'JSON parse error - expected an object.'})
        if old is not None and old.get('managed') and kind == 'credential_types':
            raise ApiError(403, {'detail': 'Modifications not allowed for managed credential types'})
        new = dict(old if (old is not None and partial) else spec.fields)
        if old is not None:
            new.update((key, old[key]) for key in ('id', 'created') + spec.read_only)
        for field, value in data.items():
            if field in spec.fields and field not in spec.read_only:
                new[field] = coerce(kind, field, value)
        errors = {}
        for field in spec.required:
            if new.get(field) in (None, '') and (old is None or not partial or field in data):
                errors[field] = ['This field is required.' if field not in data else 'This field may not be null.'
                                 if data[field] is None else 'This field may not be blank.']
        for field, target in spec.references.items():
            if new[field] is not None and not self.exists(target, new[field]):
                errors.setdefault(field, []).append('Invalid pk "{0}" - object does not exist.'.format(new[field]))
        if errors:
            raise field_errors(errors)
        getattr(self, 'check_' + kind, lambda new, old: None)(new, old)
        self.check_unique(kind, new)
        if old is None:
            stored = self.insert(kind, new)
        else:
            stored = old
            stored.update(new)
            stored['modified'] = now()
        getattr(self, 'after_' + kind, lambda stored, old: None)(stored, old)
        return stored

    def check_unique(self, kind, new):
        fields = KINDS[kind].unique
        if not fields:
            return
        for other in self.tables[kind].values():
            if other['id'] != new.get('id') and all(other[field] == new[field] for field in fields):
                label = KINDS[kind].type_name.replace('_', ' ').title()
                names = ' and '.join(field.replace('_', ' ').title() for field in fields)
                message = '{0} with this {1} already exists.'.format(label, names)
                raise field_errors({fields[0]: [message]} if len(fields) == 1 else {'__all__': [message]})

    def check_credential_types(self, new, old):
        if new['kind'] not in ('cloud', 'net'):
            raise field_errors({'kind': ["Must be 'cloud' or 'net', not {0}".format(new['kind'])]})
        fields = new['inputs'].get('fields', [])
        if not isinstance(fields, list):
            raise field_errors({'inputs': {'fields': ['must be a list of input fields']}})
        ids = []
        for position, field in enumerate(fields):
            if not isinstance(field, dict) or 'id' not in field or 'label' not in field:
                raise field_errors({'inputs': ["'id' and 'label' are required in inputs.fields[{0}]".format(
                    position)]})
            if field.get('type', 'string') not in ('string', 'boolean'):
                raise field_errors({'inputs': ["{0!r} is not one of ['string', 'boolean']".format(field['type'])]})
            if field['id'] in ids:
                raise field_errors({'inputs': ['field IDs must be unique ({0})'.format(field['id'])]})
            ids.append(field['id'])
        for required in new['inputs'].get('required', []):
            if required not in ids:
                raise field_errors({'inputs': ['required field {0} is not an input field'.format(required)]})
        unknown = set(new['injectors']) - {'env', 'extra_vars', 'file'}
        if unknown:
            raise field_errors({'injectors': ['Additional properties are not allowed ({0} unexpected)'.format(
                ', '.join(sorted(unknown)))]})

    def check_credentials(self, new, old):
        credential_type = self.tables['credential_types'][new['credential_type']]
        fields = dict((field['id'], field) for field in credential_type['inputs'].get('fields', []))
        unknown = sorted(set(new['inputs']) - set(fields))
        if unknown:
            raise field_errors({'inputs': dict((key, ['Additional properties are not allowed ({0!r} was '
                                                      'unexpected)'.format(key)]) for key in unknown)})
        previous = old['inputs'] if old is not None else {}
        for key, value in list(new['inputs'].items()):
            if fields[key].get('secret') and value == ENCRYPTED:
                if key not in previous:
                    raise field_errors({'inputs': {key: ['$encrypted$ is a reserved keyword and cannot be used']}})
                new['inputs'][key] = previous[key]
        missing = [key for key in credential_type['inputs'].get('required', []) if new['inputs'].get(key) in
                   (None, '')]
        if missing:
            raise field_errors({'inputs': dict((key, ['required for {0}'.format(credential_type['name'])])
                                               for key in missing)})

    def check_projects(self, new, old):
        if new['scm_type'] not in ('', 'git', 'svn', 'insights', 'archive'):
            raise field_errors({'scm_type': ['"{0}" is not a valid choice.'.format(new['scm_type'])]})
        if new['scm_type'] and not new['scm_url']:
            raise field_errors({'scm_url': ['SCM URL is required.']})
        if new['credential'] is not None:
            credential = self.tables['credentials'][new['credential']]
            kind = self.tables['credential_types'][credential['credential_type']]['namespace']
            wanted = 'insights' if new['scm_type'] == 'insights' else 'scm'
            if kind != wanted:
                raise field_errors({'credential': ["Credential kind must be '{0}'.".format(wanted)]})

    def check_inventories(self, new, old):
        if new['kind'] not in ('', 'smart', 'constructed'):
            raise field_errors({'kind': ['"{0}" is not a valid choice.'.format(new['kind'])]})
        if new['kind'] == 'smart' and not new['host_filter']:
            raise field_errors({'host_filter': ['Smart inventories must specify host_filter']})

    def check_inventory_sources(self, new, old):
        if new['source'] == 'scm':
            if new['source_project'] is None:
                raise field_errors({'source_project': ['Project required for scm type sources.']})
            if not self.tables['projects'][new['source_project']]['scm_type']:
                raise field_errors({'source_project': ['Cannot use manual project for SCM-based inventory.']})
            if not new['source_path']:
                raise field_errors({'source_path': ['An inventory file in the project is required for scm type '
                                                    'sources.']})
        else:
            redundant = [field for field in ('source_project', 'source_path') if new[field]]
            if redundant:
                raise ApiError(400, {'detail': 'Cannot set {0} if not SCM type.'.format(','.join(redundant))})

    def check_job_templates(self, new, old):
        if new['job_type'] not in ('run', 'check'):
            raise field_errors({'job_type': ['"{0}" is not a valid choice.'.format(new['job_type'])]})
        if new['project'] is None:
            raise field_errors({'project': ['Job Templates must have a project assigned.']})
        if new['inventory'] is None and not new['ask_inventory_on_launch']:
            raise field_errors({'inventory': ['You must either set a default value or ask to prompt on launch.']})
        if not new['playbook']:
            raise field_errors({'playbook': ['Must select playbook for project.']})
        if new['job_slice_count'] < 1:
            raise field_errors({'job_slice_count': ['Ensure this value is greater than or equal to 1.']})
        # AWX's JobTemplate.save(): a job template belongs to its project's organization.
        organization = self.tables['projects'][new['project']]['organization']
        if organization is not None:
            new['organization'] = organization

    def check_workflow_job_template_nodes(self, new, old):
        if not new['identifier']:
            new['identifier'] = str(uuid.uuid4())
        if new['unified_job_template'] is not None:
            kind = self.get('unified_job_templates', new['unified_job_template'])[0]
            if kind == 'workflow_job_templates' and new['unified_job_template'] == new['workflow_job_template']:
                raise field_errors({'unified_job_template': ['A workflow cannot run itself.']})

    def after_projects(self, stored, old):
        source = ('scm_type', 'scm_url', 'scm_branch', 'scm_refspec', 'credential')
        if stored['scm_type'] and (old is None or any(old[field] != stored[field] for field in source)):
            self.start_update(stored)

    def after_inventory_sources(self, stored, old):
        self.tables['inventories'][stored['inventory']]['has_inventory_sources'] = True

    def start_update(self, project):
        """A project update, done at once: AWX would clone the repository here."""
        id_ = len(self.updates) + 1
        stamp = now()
        self.updates[id_] = {
            'id': id_, 'type': 'project_update', 'url': '{0}project_updates/{1}/'.format(API, id_),
            'name': project['name'], 'project': project['id'], 'status': 'successful', 'failed': False,
            'started': stamp, 'finished': stamp, 'elapsed': 0.0, 'event_processing_finished': True,
            'scm_revision': SCM_REVISION, 'launch_type': 'manual', 'job_explanation': '',
        }
        project['status'] = 'successful'
        project['scm_revision'] = SCM_REVISION
        self.started[project['id']] = id_
        return self.updates[id_]

    def delete(self, kind, obj):
        """AWX's deletions: a workflow's nodes and an inventory's sources go with it, other references empty."""
        del self.tables[kind][obj['id']]
        for key in [key for key in self.links if key[:2] == (kind, obj['id'])]:
            del self.links[key]
        for (owner, _id, sub), ids in self.links.items():
            if KINDS[owner].associations[sub] == kind and obj['id'] in ids:
                ids.remove(obj['id'])
        self.surveys.pop((kind, obj['id']), None)
        cascades = {('workflow_job_template_nodes', 'workflow_job_template'), ('inventory_sources', 'inventory')}
        for other_kind, spec in KINDS.items():
            for field, target in spec.references.items():
                if target not in (kind, 'unified_job_templates' if kind in UNIFIED else None):
                    continue
                for other in list(self.tables[other_kind].values()):
                    if other[field] == obj['id'] and other['id'] in self.tables[other_kind]:
                        if (other_kind, field) in cascades:
                            self.delete(other_kind, other)
                        else:
                            other[field] = None

    # -- sub-lists: POST {"id": N} attaches, {"id": N, "disassociate": true} detaches

    def associate(self, kind, obj, sub, data):
        target = KINDS[kind].associations[sub]
        if not isinstance(data, dict) or 'id' not in data:
            raise ApiError(400, {'detail': 'This endpoint only attaches and detaches existing objects by "id".'})
        try:
            member_id = int(data['id'])
        except (TypeError, ValueError):
            raise ApiError(400, {'msg': '"id" field must be an integer.'})
        member = self.tables[target].get(member_id)
        if member is None:
            raise ApiError(400, {'detail': 'No {0} with id {1}.'.format(KINDS[target].type_name, member_id)})
        ids = self.links.setdefault((kind, obj['id'], sub), [])
        if data.get('disassociate'):
            if member_id in ids:
                ids.remove(member_id)
            return
        if member_id in ids:
            return
        getattr(self, 'check_link_' + kind, lambda obj, sub, member: None)(obj, sub, member)
        ids.append(member_id)

    def check_link_job_templates(self, obj, sub, member):
        if sub != 'credentials':
            return
        credential_type = self.tables['credential_types'][member['credential_type']]
        if credential_type['kind'] not in JOB_CREDENTIAL_KINDS:
            raise ApiError(400, {'error': 'Cannot assign a Credential of kind `{0}`.'.format(credential_type['kind'])})
        for other_id in self.members('job_templates', obj, 'credentials'):
            other = self.tables['credentials'][other_id]
            same_vault = credential_type['namespace'] != 'vault' or (
                other['inputs'].get('vault_id') == member['inputs'].get('vault_id'))
            if other['credential_type'] == member['credential_type'] and same_vault:
                raise ApiError(400, {'error': 'Cannot assign multiple {0} credentials.'.format(
                    credential_type['name'])})

    def check_link_workflow_job_template_nodes(self, obj, sub, member):
        if sub not in NODE_LINKS:
            return
        if member['workflow_job_template'] != obj['workflow_job_template']:
            raise ApiError(400, {'Error': 'Relationship not allowed: the nodes are in different workflows.'})
        mutex = ('success_nodes', 'failure_nodes') if sub == 'always_nodes' else ('always_nodes',)
        if any(self.members('workflow_job_template_nodes', obj, one) for one in mutex):
            raise ApiError(400, {'Error': 'Relationship not allowed.'})
        if member['id'] == obj['id'] or self.reaches(member['id'], obj['id']):
            raise ApiError(400, {'Error': 'Cycle detected.'})

    def reaches(self, start, goal):
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                for sub in NODE_LINKS:
                    todo.extend(self.links.get(('workflow_job_template_nodes', node, sub), []))
        return False

    # -- authentication

    def authenticated(self, header, basic_only=False):
        scheme, value = (header or '').partition(' ')[::2]
        if scheme.lower() == 'basic':
            try:
                user, password = base64.b64decode(value.strip()).decode('utf-8').partition(':')[::2]
            except (binascii.Error, UnicodeDecodeError):
                return False
            return (user, password) == (self.user, self.password)
        if scheme.lower() == 'bearer' and not basic_only:
            return value.strip() in self.tokens
        return False

    # -- routing

    def call(self, method, path, query, body, authorization):
        """One request: (status, JSON body or None)."""
        with self.lock:
            try:
                return self.route(method, path, query, body, authorization)
            except ApiError as error:
                return error.status, error.body
            except Exception:  # a bug of the double: say so in the answer, as AWX's 500 page does
                return 500, {'detail': traceback.format_exc()}

    def route(self, method, path, query, body, authorization):
        if path in ('/api/', '/api'):
            return 200, {'description': 'AWX REST API', 'current_version': API, 'available_versions': {'v2': API}}
        if not path.startswith(API):
            raise ApiError(404, {'detail': 'Not found.'})
        parts = [part for part in path[len(API):].split('/') if part]
        if parts == ['ping']:
            return 200, {'ha': False, 'version': PRODUCT_VERSION, 'active_node': 'awx-double',
                         'install_uuid': '00000000-0000-0000-0000-000000000000', 'instances': [], 'instance_groups': []}
        if not parts:
            return 200, dict((kind, '{0}{1}/'.format(API, kind)) for kind in sorted(KINDS))
        if parts[:1] == ['tokens']:
            return self.route_tokens(method, parts, authorization)
        if not self.authenticated(authorization):
            raise ApiError(401, {'detail': 'Authentication credentials were not provided.'})
        if parts == ['me']:
            user = self.objects('users')[0]
            return 200, page(path, [user], [])
        if parts == ['config']:
            return 200, {'version': PRODUCT_VERSION, 'time_zone': 'UTC', 'license_info': {}, 'analytics_status': 'off'}
        if parts[0] == 'project_updates' and len(parts) == 2 and parts[1].isdigit():
            self.allow(method, 'GET')
            update = self.updates.get(int(parts[1]))
            if update is None:
                raise ApiError(404, {'detail': 'Not found.'})
            return 200, update
        if parts[0] == 'unified_job_templates' and len(parts) == 1:
            self.allow(method, 'GET')
            return 200, page(path, self.listed('unified_job_templates', query), query)
        if parts[0] not in KINDS:
            raise ApiError(404, {'detail': 'Not found.'})
        kind = parts[0]
        if len(parts) == 1:
            return self.route_list(method, path, kind, query, body)
        if not parts[1].isdigit() or len(parts) > 3:
            raise ApiError(404, {'detail': 'Not found.'})
        obj = self.tables[kind].get(int(parts[1]))
        if obj is None:
            raise ApiError(404, {'detail': 'Not found.'})
        if len(parts) == 2:
            return self.route_detail(method, kind, obj, body)
        return self.route_sub(method, path, kind, obj, parts[2], query, body)

    def allow(self, method, *allowed):
        if method not in allowed:
            raise ApiError(405, {'detail': 'Method "{0}" not allowed.'.format(method)})

    def listed(self, kind, query):
        shown = self.objects(kind)
        if kind == 'unified_job_templates':
            for one in shown:
                one.setdefault('organization', None)
        return filter_objects(shown, query)

    def route_tokens(self, method, parts, authorization):
        if not self.authenticated(authorization, basic_only=len(parts) > 1):
            raise ApiError(401, {'detail': 'Authentication credentials were not provided.'})
        if len(parts) == 1:
            self.allow(method, 'POST')
            token = uuid.uuid4().hex
            self.tokens[token] = len(self.tokens) + 1
            return 201, {'id': self.tokens[token], 'type': 'o_auth2_access_token', 'token': token,
                         'scope': 'write', 'application': None, 'refresh_token': None}
        self.allow(method, 'DELETE')
        for token, id_ in list(self.tokens.items()):
            if str(id_) == parts[1]:
                del self.tokens[token]
                return 204, None
        raise ApiError(404, {'detail': 'Not found.'})

    def route_list(self, method, path, kind, query, body):
        self.allow(method, 'GET', 'POST')
        if method == 'GET':
            return 200, page(path, self.listed(kind, query), query)
        if kind in ('instance_groups', 'users'):
            raise ApiError(405, {'detail': 'Method "POST" not allowed by this double.'})
        return 201, self.written(kind, self.write(kind, body))

    def route_detail(self, method, kind, obj, body):
        self.allow(method, 'GET', 'PATCH', 'PUT', 'DELETE')
        if method == 'GET':
            return 200, self.render(kind, obj)
        if method == 'DELETE':
            self.delete(kind, obj)
            return (202 if kind == 'inventories' else 204), None
        return 200, self.written(kind, self.write(kind, body, old=obj, partial=(method == 'PATCH')))

    def written(self, kind, stored):
        """The answer to a write: a project update that it started shows as current_update here only."""
        shown = self.render(kind, stored)
        if kind == 'projects':
            self.started.pop(stored['id'], None)
        return shown

    def route_sub(self, method, path, kind, obj, sub, query, body):
        if sub == 'survey_spec' and kind in ('job_templates', 'workflow_job_templates'):
            return self.route_survey(method, kind, obj, body)
        if sub == 'update' and kind == 'projects':
            self.allow(method, 'GET', 'POST')
            if method == 'GET':
                return 200, {'can_update': bool(obj['scm_type'])}
            if not obj['scm_type']:
                raise ApiError(405, {'detail': 'Method "POST" not allowed.'})
            update = self.start_update(obj)
            self.started.pop(obj['id'], None)
            return 202, dict(update, project_update=update['id'])
        if sub == 'workflow_nodes' and kind == 'workflow_job_templates':
            self.allow(method, 'GET')
            nodes = [one for one in self.objects('workflow_job_template_nodes')
                     if one['workflow_job_template'] == obj['id']]
            return 200, page(path, filter_objects(nodes, query), query)
        if sub not in KINDS[kind].associations:
            raise ApiError(404, {'detail': 'Not found.'})
        self.allow(method, 'GET', 'POST')
        if method == 'POST':
            self.associate(kind, obj, sub, body)
            return 204, None
        target = KINDS[kind].associations[sub]
        ids = set(self.members(kind, obj, sub))
        return 200, page(path, filter_objects([one for one in self.objects(target) if one['id'] in ids], query),
                         query)

    def route_survey(self, method, kind, obj, body):
        self.allow(method, 'GET', 'POST', 'DELETE')
        key = (kind, obj['id'])
        if method == 'GET':
            return 200, displayed_survey_spec(self.surveys.get(key))
        if method == 'DELETE':
            self.surveys.pop(key, None)
            return 200, None
        self.surveys[key] = clean_survey_spec(body, self.surveys.get(key))
        return 200, None


# ----------------------------------------------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    server_version = 'awx-api-double'

    def answer(self):
        parts = urlsplit(self.path)
        self.server.requests.append((self.command, parts.path))
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        try:
            body = json.loads(raw.decode('utf-8')) if raw.strip() else {}
        except ValueError as error:
            status, payload = 400, {'detail': 'JSON parse error - {0}'.format(error)}
        else:
            status, payload = self.server.awx.call(self.command, parts.path, parse_qsl(parts.query),
                                                   body, self.headers.get('Authorization'))
        data = b'' if payload is None else json.dumps(payload).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('X-API-Product-Name', PRODUCT_NAME)
        self.send_header('X-API-Product-Version', PRODUCT_VERSION)
        if status == 401:
            self.send_header('WWW-Authenticate', 'Basic realm="api"')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = answer

    def log_message(self, *args):
        pass


class AwxApi(ThreadingHTTPServer):
    """The double on an address: .url, .user, .password, .objects(kind), .requests (method, path) in order."""

    daemon_threads = True

    def __init__(self, address, user, password, seed=True):
        super().__init__(address, Handler)
        self.awx = Awx(user, password, seed=seed)
        self.requests = []
        self.user = user
        self.password = password
        host, port = self.server_address[:2]
        self.url = 'http://{0}:{1}'.format(host, port)

    def objects(self, kind):
        return self.awx.objects(kind)

    def writes(self):
        """The requests that change objects, without the modules' logins and logouts (/api/v2/tokens/)."""
        return [(method, path) for method, path in self.requests
                if method not in ('GET', 'HEAD', 'OPTIONS') and not path.startswith(API + 'tokens/')]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0: any free port')
    parser.add_argument('--user', default='admin')
    parser.add_argument('--password', required=True)
    args = parser.parse_args()
    server = AwxApi((args.host, args.port), args.user, args.password)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == '__main__':
    main()

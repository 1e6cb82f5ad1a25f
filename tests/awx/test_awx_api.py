# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX API double itself (awx_api.py), spoken to over HTTP as the awx.awx modules speak to AWX.

The playbook tests trust its answers; these check the ones a wrong definition depends on: it refuses strangers,
refuses references to missing objects, finds objects by name the way the modules look them up, and gives a
survey back as AWX stores it.
"""

import base64
import json
import urllib.error
import urllib.request

import pytest


def call(api, method, path, body=None, auth=True):
    """(status, JSON body) of one request, with the double's basic credentials, no credentials if auth is False,
    or the (user, password) given as auth."""
    headers = {'Content-Type': 'application/json'}
    if auth:
        user, password = (api.user, api.password) if auth is True else auth
        pair = '{0}:{1}'.format(user, password).encode('utf-8')
        headers['Authorization'] = 'Basic ' + base64.b64encode(pair).decode('ascii')
    data = None if body is None else json.dumps(body).encode('utf-8')
    request = urllib.request.Request(api.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def create(api, path, body):
    status, answer = call(api, 'POST', path, body)
    assert status == 201, answer
    return answer


def test_requests_without_credentials_are_refused(awx_api):
    assert call(awx_api, 'GET', '/api/v2/organizations/', auth=False)[0] == 401
    assert call(awx_api, 'GET', '/api/v2/organizations/', auth=(awx_api.user, 'wrong'))[0] == 401
    assert call(awx_api, 'POST', '/api/v2/tokens/', {}, auth=(awx_api.user, 'wrong'))[0] == 401
    assert call(awx_api, 'GET', '/api/v2/organizations/')[0] == 200


def test_a_token_from_basic_credentials_opens_the_api_as_the_modules_log_in(awx_api):
    status, token = call(awx_api, 'POST', '/api/v2/tokens/', {'scope': 'write'})
    assert status == 201
    request = urllib.request.Request(awx_api.url + '/api/v2/me/',
                                     headers={'Authorization': 'Bearer ' + token['token']})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers['X-API-Product-Name'] == 'AWX'
        assert json.loads(response.read())['results'][0]['username'] == awx_api.user


def test_a_reference_to_a_missing_object_is_a_400_naming_the_field(awx_api):
    status, answer = call(awx_api, 'POST', '/api/v2/inventories/', {'name': 'fleet', 'organization': 99})
    assert status == 400
    assert answer == {'organization': ['Invalid pk "99" - object does not exist.']}
    assert awx_api.objects('inventories') == []


def test_a_job_template_needs_a_project_and_an_inventory_or_the_prompt(awx_api):
    org = create(awx_api, '/api/v2/organizations/', {'name': 'Ops'})
    project = create(awx_api, '/api/v2/projects/', {'name': 'p', 'organization': org['id'], 'scm_type': 'git',
                                                    'scm_url': 'https://example.com/p.git'})
    status, answer = call(awx_api, 'POST', '/api/v2/job_templates/', {'name': 'jt', 'playbook': 'site.yml'})
    assert (status, list(answer)) == (400, ['project'])
    status, answer = call(awx_api, 'POST', '/api/v2/job_templates/',
                          {'name': 'jt', 'playbook': 'site.yml', 'project': project['id']})
    assert (status, list(answer)) == (400, ['inventory'])
    created = create(awx_api, '/api/v2/job_templates/', {'name': 'jt', 'playbook': 'site.yml',
                                                         'project': project['id'], 'ask_inventory_on_launch': True})
    assert created['organization'] == org['id']


def test_an_scm_inventory_source_needs_its_project_and_file(awx_api):
    org = create(awx_api, '/api/v2/organizations/', {'name': 'Ops'})
    inventory = create(awx_api, '/api/v2/inventories/', {'name': 'fleet', 'organization': org['id']})
    status, answer = call(awx_api, 'POST', '/api/v2/inventory_sources/',
                          {'name': 'cvm', 'inventory': inventory['id'], 'source': 'scm'})
    assert (status, list(answer)) == (400, ['source_project'])


def test_lists_filter_by_name_and_by_the_modules_or_lookup(awx_api):
    for name in ('Ops', 'Dev', 'ops'):
        create(awx_api, '/api/v2/organizations/', {'name': name})
    status, found = call(awx_api, 'GET', '/api/v2/organizations/?name=Ops')
    assert status == 200
    assert [org['name'] for org in found['results']] == ['Ops']
    assert found['count'] == 1 and found['next'] is None
    dev = [org for org in awx_api.objects('organizations') if org['name'] == 'Dev'][0]
    status, found = call(awx_api, 'GET', '/api/v2/organizations/?or__id={0}&or__name=ops'.format(dev['id']))
    assert sorted(org['name'] for org in found['results']) == ['Dev', 'ops']
    assert call(awx_api, 'GET', '/api/v2/organizations/?colour=red')[0] == 400


def test_a_survey_spec_comes_back_as_posted_with_password_defaults_hidden(awx_api):
    org = create(awx_api, '/api/v2/organizations/', {'name': 'Ops'})
    workflow = create(awx_api, '/api/v2/workflow_job_templates/', {'name': 'wf', 'organization': org['id']})
    questions = [
        {'type': 'multiplechoice', 'question_name': 'Kernel', 'variable': 'kernel', 'required': True,
         'choices': ['5.4', '6.6'], 'default': '6.6'},
        {'type': 'integer', 'question_name': 'Batch', 'variable': 'batch', 'required': False, 'min': 1,
         'max': 50, 'default': 5},
        {'type': 'password', 'question_name': 'Token', 'variable': 'token', 'required': False, 'default': 'x'},
    ]
    spec = {'name': '', 'description': '', 'spec': questions}
    assert call(awx_api, 'POST', workflow['related']['survey_spec'], spec)[0] == 200
    status, shown = call(awx_api, 'GET', workflow['related']['survey_spec'])
    assert shown['spec'][:2] == questions[:2]
    assert shown['spec'][2]['default'] == '$encrypted$'


@pytest.mark.parametrize('question', [
    {'type': 'multiplechoice', 'question_name': 'Kernel', 'variable': 'kernel', 'required': True,
     'choices': ['5.4', '6.6'], 'default': '4.19'},
    {'type': 'integer', 'question_name': 'Batch', 'variable': 'batch', 'required': False, 'default': '5'},
    {'type': 'text', 'question_name': 'Limit', 'variable': 'limit'},
])
def test_a_survey_question_that_awx_refuses_is_a_400(awx_api, question):
    org = create(awx_api, '/api/v2/organizations/', {'name': 'Ops'})
    workflow = create(awx_api, '/api/v2/workflow_job_templates/', {'name': 'wf', 'organization': org['id']})
    status, answer = call(awx_api, 'POST', workflow['related']['survey_spec'],
                          {'name': '', 'description': '', 'spec': [question]})
    assert status == 400 and 'error' in answer
    assert call(awx_api, 'GET', workflow['related']['survey_spec'])[1] == {}


def test_credential_secrets_read_back_encrypted(awx_api):
    machine = [one for one in awx_api.objects('credential_types') if one['name'] == 'Machine'][0]
    created = create(awx_api, '/api/v2/credentials/', {'name': 'ssh', 'credential_type': machine['id'],
                                                       'inputs': {'username': 'root', 'password': 'pw'}})
    assert created['inputs'] == {'username': 'root', 'password': '$encrypted$'}


def test_the_log_tells_reads_from_writes(awx_api):
    call(awx_api, 'POST', '/api/v2/tokens/', {})
    create(awx_api, '/api/v2/organizations/', {'name': 'Ops'})
    call(awx_api, 'GET', '/api/v2/organizations/?name=Ops')
    assert awx_api.requests == [('POST', '/api/v2/tokens/'), ('POST', '/api/v2/organizations/'),
                                ('GET', '/api/v2/organizations/')]
    assert awx_api.writes() == [('POST', '/api/v2/organizations/')]

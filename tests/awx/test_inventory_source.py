# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory source of extensions/awx as an AWX inventory update runs it, against the local CVM API double.

AWX runs ansible-inventory on the project's inventory file with the environment the credential's injectors give it.
Here: the project's inventory/prod.cvm.yml and its group_vars, pointed at the double and without its own regions (so
that the credential's region applies), the credential type's injectors rendered from the credential's inputs.
"""

import json
import os
import subprocess
import sys

import yaml

from awx_model import AWX_PROJECT_DIR, PROJECT, SETTINGS, by_name, injected_environment, load_definitions

# The CVM API double of the cvm plugin's unit tests; appended, so that `conftest` and the like stay this folder's.
sys.path.append(os.path.join(PROJECT, 'tests', 'unit', 'plugins', 'inventory'))
from cvm_api_double import CvmApiDouble, TEST_SECRET_ID, TEST_SECRET_KEY  # noqa: E402

ANSIBLE_INVENTORY = os.path.join(os.path.dirname(sys.executable), 'ansible-inventory')


def test_the_inventory_source_groups_the_fleet_with_the_credential_s_environment(tmp_path):
    definitions = load_definitions(SETTINGS)
    credential_type = by_name(definitions, 'controller_credential_types')['Tencent Cloud API']
    source = by_name(definitions, 'controller_inventory_sources')['CVM API']
    environment = injected_environment(credential_type, {'secret_id': TEST_SECRET_ID, 'secret_key': TEST_SECRET_KEY,
                                                         'region': 'ap-guangzhou,ap-shanghai'})
    with CvmApiDouble(regions=('ap-guangzhou', 'ap-shanghai', 'ap-beijing')) as double:
        double.add_instance('ap-guangzhou', InstanceName='tke-web-1', Tags={'tke-nodepool-id': 'np-web'})
        double.add_instance('ap-shanghai', InstanceName='cvm-db-1', Tags={'env': 'prod'})
        double.add_instance('ap-beijing', InstanceName='elsewhere-1')

        with open(os.path.join(AWX_PROJECT_DIR, source['source_path'])) as handle:
            config = yaml.safe_load(handle)
        del config['regions']
        config['endpoint'] = 'http://%s' % double.endpoint
        inventory_dir = tmp_path / 'inventory'
        inventory_dir.mkdir()
        path = inventory_dir / os.path.basename(source['source_path'])
        path.write_text(yaml.safe_dump(config))
        group_vars = os.path.join(AWX_PROJECT_DIR, os.path.dirname(source['source_path']), 'group_vars')
        os.symlink(os.path.realpath(group_vars), str(inventory_dir / 'group_vars'))
        env = {key: value for key, value in os.environ.items() if not key.startswith('TENCENTCLOUD_')}
        env.update(environment, HOME=str(tmp_path), ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED='1')
        completed = subprocess.run([ANSIBLE_INVENTORY, '-i', str(path), '--list'], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, universal_newlines=True, env=env, check=False, timeout=300)
    assert completed.returncode == 0, completed.stderr
    inventory = json.loads(completed.stdout)
    assert inventory['tke_node']['hosts'] == ['tke-web-1']
    assert inventory['host']['hosts'] == ['cvm-db-1']
    hostvars = inventory['_meta']['hostvars']
    assert sorted(hostvars) == ['cvm-db-1', 'tke-web-1']
    # Each group's desired state, from the project's group_vars.
    assert hostvars['tke-web-1']['tencentos_sysctl_profile'] == 'tke_node'
    assert hostvars['cvm-db-1']['tencentos_sysctl_profile'] == 'host'
    assert TEST_SECRET_KEY not in completed.stdout + completed.stderr

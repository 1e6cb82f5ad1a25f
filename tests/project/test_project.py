# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promises the repository makes about itself stay true."""

import glob
import os
import re

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')


def read(path):
    with open(os.path.join(ROOT, path)) as handle:
        return handle.read()


def load(path):
    return yaml.safe_load(read(path))


def fleet_hosts():
    return [host['name'] for host in load('molecule/resources/fleet.yml')]


def test_the_default_scenario_runs_the_whole_simulated_fleet():
    platforms = [item['name'] for item in load('molecule/default/molecule.yml')['platforms']]
    assert platforms == fleet_hosts()
    assert load('molecule/default/molecule.yml')['verifier']['options']['hosts'].split(',') == fleet_hosts()


def test_every_scenario_names_hosts_of_the_simulated_fleet_and_nothing_else():
    # How a host starts is the shared create step's (.config/molecule/config.yml), not a scenario's.
    for path in sorted(glob.glob(os.path.join(ROOT, 'molecule/*/molecule.yml'))):
        scenario = load(os.path.relpath(path, ROOT))
        assert [platform for platform in scenario['platforms'] if list(platform) != ['name']] == [], path
        assert [platform['name'] for platform in scenario['platforms'] if platform['name'] not in fleet_hosts()] == [], path
        assert 'driver' not in scenario and 'playbooks' not in scenario.get('provisioner', {}), path


def test_every_scenario_creates_and_destroys_its_hosts_with_the_shared_playbooks():
    base = load('.config/molecule/config.yml')
    assert base['driver']['name'] == 'podman'
    shared = {'create': '../resources/playbooks/create.yml', 'destroy': '../resources/playbooks/destroy.yml'}
    assert base['provisioner']['playbooks'] == shared
    assert 'podman-run-options' in read('molecule/resources/playbooks/create.yml')
    assert '"$RESOURCES/podman-run-options"' in read('molecule/resources/scripts/fleet.sh')


# Keywords of a task that are not its module.
TASK_KEYWORDS = {'name', 'register', 'vars', 'when', 'changed_when', 'failed_when', 'check_mode', 'diff', 'args',
                 'delegate_to', 'run_once', 'loop', 'loop_control', 'no_log', 'tags', 'environment'}


def reading_problems(tasks, folder):
    """Tasks that could change a host: each module must read only, a command or shell must say it changes
    nothing, and an included file is read as well."""
    problems = []
    for task in tasks:
        if 'block' in task:
            problems += reading_problems(task['block'] + task.get('rescue', []) + task.get('always', []), folder)
            continue
        module, = set(task) - TASK_KEYWORDS
        args = task[module] or {}
        if module == 'ansible.builtin.include_tasks':
            problems += reading_problems(load(os.path.join(folder, args)), folder)
        elif module in ('ansible.builtin.command', 'ansible.builtin.shell'):
            if task.get('changed_when') is not False:
                problems.append(task['name'])
        elif module == 'tencentos.fleet.stats_isolation':
            # A query (and an audit with expect) reads; state or container_state writes.
            if set(args) - {'cgroups', 'expect'}:
                problems.append(task['name'])
        elif module == 'tencentos.fleet.sysctl_profile':
            # Its check mode returns before the first write, and bridge_netfilter's modprobe is never run in it.
            if task.get('check_mode') is not True:
                problems.append(task['name'])
        elif module not in ('ansible.builtin.slurp', 'ansible.builtin.stat', 'ansible.builtin.find',
                            'ansible.builtin.assert', 'ansible.builtin.set_fact', 'tencentos.fleet.tencentos_facts'):
            problems.append(task['name'])
    return problems


def test_verify_only_reads_and_the_behaviours_run_after_it():
    sequence = load('.config/molecule/config.yml')['scenario']['test_sequence']
    assert sequence[sequence.index('verify'):] == ['verify', 'side_effect', 'destroy']
    verify_playbooks = sorted(glob.glob(os.path.join(ROOT, 'molecule/*/verify.yml')))
    assert len(verify_playbooks) == 5
    for path in verify_playbooks:
        folder = os.path.relpath(os.path.dirname(path), ROOT)
        for play in load(os.path.relpath(path, ROOT)):
            assert set(play) <= {'name', 'hosts', 'gather_facts', 'vars', 'tasks'}, path
            assert reading_problems(play['tasks'], folder) == [], path


def podman_run_options():
    return [line.strip() for line in read('molecule/resources/podman-run-options').splitlines()
            if line.strip() and not line.strip().startswith('#')]


def test_simulated_hosts_keep_their_own_user_and_network_namespaces():
    options = podman_run_options()
    assert '--uidmap=0:100000:65536' in options and '--gidmap=0:100000:65536' in options
    assert [option for option in options if option.startswith('--network=slirp4netns')]
    assert not [option for option in options if option in ('--network=host', '--net=host')]


def test_simulated_hosts_have_no_restart_policy():
    # A simulated reboot happens inside the container (molecule/resources/README.md, "Boot simulation").
    # podman 4.3 cannot apply a restart policy to a container with a user namespace on slirp4netns:
    # its `container cleanup` hangs holding the container's lock (every podman command touching the
    # container then waits) or leaves the container stopped.
    for path in ('molecule/resources/scripts/fleet.sh', 'molecule/resources/playbooks/create.yml'):
        code = [line for line in read(path).splitlines() if not line.lstrip().startswith('#')]
        assert not [line for line in code if '--restart' in line], path
    assert not [option for option in podman_run_options() if option.startswith('--restart')]


def test_action_group_lists_every_module():
    modules = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, 'plugins/modules/*.py'))
                     if not path.endswith('__init__.py'))
    assert sorted(load('meta/runtime.yml')['action_groups']['all']) == modules


def test_requires_the_oldest_supported_controller():
    assert load('meta/runtime.yml')['requires_ansible'] == '>=2.16.0'


def requirement_lines(path):
    with open(os.path.join(ROOT, path)) as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith('#')]


def test_controller_requirements_are_the_execution_environments():
    """pip users and ansible-builder must get the same SDK packages, and no test tool."""
    assert requirement_lines('requirements.txt') == requirement_lines('meta/ee-requirements.txt')
    assert load('meta/execution-environment.yml')['dependencies']['python'] == 'meta/ee-requirements.txt'
    assert [line.split('>=')[0] for line in requirement_lines('requirements.txt')] == [
        'tencentcloud-sdk-python-common', 'tencentcloud-sdk-python-cvm']


def test_the_tests_cover_both_ends_of_the_supported_sdk():
    """The oldest controller gets the lowest SDK requirements.txt allows; the test pins stay inside the range."""
    lowest = {line.split('>=')[0]: line.split('>=')[1].split(',')[0] for line in requirement_lines('requirements.txt')}
    with open(os.path.join(ROOT, 'tools/lib.sh')) as handle:
        oldest = re.search(r'^SDK_OLDEST="([^"]*)"', handle.read(), re.M).group(1).split()
    assert dict(pin.split('==') for pin in oldest) == lowest
    pinned = dict(line.split('==') for line in requirement_lines('requirements-test.txt') if line.startswith('tencentcloud-'))
    assert sorted(pinned) == sorted(lowest)
    for package, version in pinned.items():
        assert version.startswith('3.') and tuple(map(int, version.split('.'))) >= tuple(map(int, lowest[package].split('.')))


def test_sanity_ignore_files_stay_empty():
    files = glob.glob(os.path.join(ROOT, 'tests/sanity/ignore-*.txt'))
    assert files
    for path in files:
        assert os.path.getsize(path) == 0, path


def test_ci_runs_the_test_command_the_readme_gives():
    readme = read('README.md')
    commands = re.findall(r'^\s*(make \w+)\s*$', readme, re.MULTILINE)
    assert commands[:2] == ['make demo', 'make test']
    assert re.search(r'^make test$', read('.ci/run'), re.MULTILINE)


def test_readme_layout_names_every_top_level_entry():
    layout = read('README.md').split('## Layout', 1)[1]
    tracked = set(entry for entry in os.listdir(ROOT) if not entry.startswith('.') or entry == '.ci')
    tracked -= set(['COPYING', 'README.md'])
    for entry in sorted(tracked):
        if entry.startswith('.venv') or entry in ('.ansible', '.cache', '.pytest_cache'):
            continue
        assert entry in layout, entry


def roles():
    return sorted(os.path.basename(os.path.dirname(os.path.dirname(path)))
                  for path in glob.glob(os.path.join(ROOT, 'roles/*/meta/argument_specs.yml')))


def test_there_are_roles_to_check():
    assert 'repos' in roles()


def test_role_defaults_argument_specs_and_readme_agree():
    for role in roles():
        options = load('roles/%s/meta/argument_specs.yml' % role)['argument_specs']['main']['options']
        defaults = load('roles/%s/defaults/main.yml' % role)
        readme = read('roles/%s/README.md' % role)
        assert sorted(options) == sorted(defaults), role
        for name, spec in options.items():
            assert name.startswith('tencentos_%s_' % role), name
            assert spec['default'] == defaults[name], name
            assert spec.get('description'), name
            assert '| `%s` |' % name in readme, '%s missing from the README of %s' % (name, role)
        documented = re.findall(r'^\| `(tencentos_%s_\w+)` \|' % role, readme, re.MULTILINE)
        assert sorted(documented) == sorted(options), role


def test_every_public_default_has_a_comment():
    for role in roles():
        lines = read('roles/%s/defaults/main.yml' % role).splitlines()
        for index, line in enumerate(lines):
            if re.match(r'^tencentos_\w+:', line):
                previous = lines[index - 1]
                assert previous.startswith('#') or re.match(r'^tencentos_\w+:', previous), line


def readme_profile_table(readme, heading):
    """{key: value} of the table under a '### `heading`' of the sysctl role's README."""
    section = readme.split('### `%s`' % heading, 1)[1].split('\n### ', 1)[0]
    return dict(re.findall(r'^\| `([^`]+)` \| `([^`]+)` \|', section, re.MULTILINE))


def test_sysctl_readme_documents_every_profile_key_with_its_value():
    readme = read('roles/sysctl/README.md')
    variables = load('roles/sysctl/vars/main.yml')
    profiles = variables['__tencentos_sysctl_profiles']
    kernel_keys = {}
    for path in glob.glob(os.path.join(ROOT, 'roles/sysctl/vars/kernel_*.yml')):
        kernel_keys.update(load(os.path.relpath(path, ROOT))['__tencentos_sysctl_kernel_keys'])
    documented_host = dict(profiles['host'], **kernel_keys)
    documented_host['kernel.stats_isolated'] = 1
    expected = {
        'host': documented_host,
        'tke_node': dict(profiles['tke_node'], **variables['__tencentos_sysctl_forwarding']),
        'container': profiles['container'],
    }
    for profile, keys in expected.items():
        table = readme_profile_table(readme, profile)
        assert table == dict((key, str(value)) for key, value in keys.items()), profile
    # Every row of the profile tables gives a reason and a source.
    profiles_section = readme.split('## The profiles', 1)[1].split('### Red lines', 1)[0]
    for row in re.findall(r'^\| `[a-z][^`]*` \| `[^`]+` \|.*$', profiles_section, re.MULTILINE):
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        assert len(cells) >= 4 and all(cells[2:4]), row


def test_sysctl_readme_lists_every_red_line():
    readme = read('roles/sysctl/README.md')
    variables = load('roles/sysctl/vars/main.yml')
    section = readme.split('### Red lines', 1)[1]
    documented = dict(re.findall(r'^\| `([^`]+)` \| ([^|]+) \|', section, re.MULTILINE))
    for name in ('always', 'tke_node', 'vpc_cni'):
        for line in variables['__tencentos_sysctl_red_lines_' + name]:
            assert '`%s`' % line['value'] in documented.get(line['key'], ''), line


def task_names(tasks):
    """Every task name in a list of tasks or plays, blocks and their rescue and always sections included."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if 'name' in task:
            yield task['name']
        for section in ('block', 'rescue', 'always', 'tasks', 'pre_tasks', 'post_tasks', 'handlers'):
            yield from task_names(task.get(section))


def test_no_task_name_carries_a_host_s_value():
    """A task's name is templated once, with the first host's variables: in a fleet run it would show that host's
    value on every other (a kernel version on a host that got another one)."""
    paths = [path for pattern in ('roles/*/tasks/*.yml', 'roles/*/handlers/*.yml', 'playbooks/*.yml')
             for path in sorted(glob.glob(os.path.join(ROOT, pattern)))]
    names = [(os.path.relpath(path, ROOT), name) for path in paths
             for name in task_names(yaml.safe_load(open(path)))]
    assert len(names) > 100
    assert [(path, name) for path, name in names if '{{' in str(name)] == []


def test_doc_markup_holds_no_parenthesis_that_would_end_it_early():
    """Ansible's doc markup ends C(...), I(...), B(...) at the first ")": C(uname(2)) renders as uname(2 and a
    stray ")". Every plugin and role argument spec must say such things another way."""
    markup_with_a_parenthesis = re.compile(r'\b[BCIU]\([^)\n]*\(')
    paths = [path for pattern in ('plugins/*/*.py', 'roles/*/meta/argument_specs.yml')
             for path in sorted(glob.glob(os.path.join(ROOT, pattern)))]
    assert len(paths) > 20
    found = [(os.path.relpath(path, ROOT), match.group(0)) for path in paths
             for match in markup_with_a_parenthesis.finditer(open(path).read())]
    assert found == []

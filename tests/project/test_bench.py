# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness (tools/bench.py) and the bench data it reads."""

import importlib.util
import json
import os
import signal
import sys
import textwrap

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
SPEC = importlib.util.spec_from_file_location('bench', os.path.join(ROOT, 'tools', 'bench.py'))
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)
CASES = os.path.join(ROOT, 'tests', 'bench', 'cases.yml')


def write_cases(tmp_path, text):
    path = tmp_path / 'cases.yml'
    path.write_text(textwrap.dedent(text))
    return str(path)


def counts(**per_host):
    """What the bench_counts callback writes, from host=(tasks, module_runs, host_runs, changed, failed, unreachable)."""
    fields = ('tasks', 'module_runs', 'host_runs', 'changed', 'failed', 'unreachable')
    return dict((host, dict(zip(fields, values))) for host, values in per_host.items())


def test_the_project_cases_load_and_compare_with_cases_that_exist():
    environment, fleet_setup, cases = bench.load_cases(CASES)
    names = [case['name'] for case in cases]
    assert [case['baseline'] for case in cases if case.get('baseline')] == [
        'posix-apply', 'posix-noop', 'cvm-script', 'cvm-script', 'cvm-api'] + ['fleet-ping'] * 9
    assert all(case['baseline'] in names[:names.index(case['name'])] for case in cases if case.get('baseline'))
    assert environment['ANSIBLE_CALLBACKS_ENABLED'] == 'bench_counts'
    assert fleet_setup == ['bash molecule/resources/scripts/ssh-fleet.sh up $BENCH_HOSTS']


def test_the_fleet_cases_run_at_every_size_and_provision_starts_from_fresh_hosts():
    _environment, fleet_setup, cases = bench.load_cases(CASES)
    by_name = dict((case['name'], case) for case in cases)
    fleet = [case['name'] for case in cases if case.get('sizes') == 'all']
    roles = ['fleet-role-%s-noop' % role for role in ('repos', 'kernel', 'sysctl', 'hotpatch')]
    assert fleet == ['fleet-ping', 'fleet-ping-x8', 'fleet-site', 'fleet-provision-apply', 'fleet-provision-noop'] + roles + [
        'fleet-audit']
    assert [case['name'] for case in cases if case.get('sizes') == 'one'] == [
        'posix-apply', 'posix-noop', 'profile-apply', 'profile-noop']
    # The same hosts and forks as the floor, and the apply on a fleet started again just before it.
    assert all('-i $BENCH_INVENTORY -f $BENCH_FORKS ' in by_name[name]['command'] for name in fleet)
    assert by_name['fleet-provision-apply']['setup'][0] == fleet_setup[0]
    assert by_name['fleet-provision-apply']['command'].endswith(' playbooks/provision.yml')
    assert by_name['fleet-provision-apply']['expect_changed'] is True
    assert by_name['fleet-provision-noop']['expect_changed'] is False
    # Each role alone re-run on the provisioned hosts, one after the other, changing nothing.
    assert [by_name[name]['after'] for name in roles] == ['fleet-provision-noop'] + roles[:-1]
    assert [by_name[name]['command'].split()[-1] for name in roles] == [
        'tencentos_fleet_test_role=%s' % role for role in ('repos', 'kernel', 'sysctl', 'hotpatch')]
    assert all(by_name[name]['expect_changed'] is False for name in roles)
    # The audit last, on the provisioned fleet, writing its files.
    assert by_name['fleet-audit']['after'] == roles[-1]
    assert ' playbooks/audit.yml -e tencentos_fleet_audit_dir=' in by_name['fleet-audit']['command']


def test_the_bench_profile_is_50_distinct_net_keys():
    with open(os.path.join(ROOT, 'tests', 'bench', 'profile.yml')) as handle:
        profile = yaml.safe_load(handle)['bench_profile']
    assert len(profile) == 50
    assert all(key.startswith('net.') for key in profile)
    assert len(set(key.replace('/', '.') for key in profile)) == 50


def test_every_problem_of_a_cases_file_is_named_at_once(tmp_path):
    path = write_cases(tmp_path, '''
        cases:
          - name: a
            command: [not, a, line]
            repeat: 0
            baseline: nowhere
            colour: red
          - name: a
            command: true
    ''')
    with pytest.raises(ValueError) as error:
        bench.load_cases(path)
    message = str(error.value)
    for part in ('a: command must be one command line', 'a: repeat must be a whole number >= 1',
                 'a: baseline nowhere is not a case', 'a: unknown field(s) colour', 'case names used twice: a'):
        assert part in message


def test_a_case_after_another_must_follow_it_and_has_no_setup_of_its_own(tmp_path):
    path = write_cases(tmp_path, '''
        cases:
          - {name: apply, command: a}
          - {name: other, command: b}
          - {name: noop, command: a, after: apply, setup: [reset]}
    ''')
    with pytest.raises(ValueError) as error:
        bench.load_cases(path)
    assert 'noop: after apply must come right after that case' in str(error.value)
    assert 'noop: a case after another has no setup' in str(error.value)


def test_a_case_after_a_failed_case_is_not_run(tmp_path, capsys):
    logs = str(tmp_path)
    failed = bench.run_case(dict(name='apply', command='false', setup=['true']), 2, dict(os.environ), logs)
    assert failed['problem'] == 'exit code 1' and failed['runs'] == 0
    after = bench.run_case(dict(name='noop', command='true', after='apply'), 2, dict(os.environ), logs, failed)
    assert after['problem'] == 'not run: apply, which it runs after, failed'
    assert not os.path.exists(os.path.join(logs, 'noop-1.log'))
    assert 'noop' in capsys.readouterr().out


def test_a_failed_setup_fails_the_case_before_its_command_runs(tmp_path):
    summary = bench.run_case(dict(name='c', command='true', setup=['false']), 1, dict(os.environ), str(tmp_path))
    assert summary['problem'].startswith('setup failed (exit code 1, log ') and summary['problem'].endswith('): false')
    assert not os.path.exists(str(tmp_path / 'c-1.log'))


def test_command_lines_take_variables_and_quotes_but_no_unset_variable():
    assert bench.command_argv('run -i $INV "two words" ${N}x', {'INV': '/tmp/i.yml', 'N': '10'}) == \
        ['run', '-i', '/tmp/i.yml', 'two words', '10x']
    with pytest.raises(ValueError, match='MISSING'):
        bench.command_argv('run $MISSING', {})


def test_a_run_fails_on_its_exit_code_or_on_a_host_that_failed():
    ok = dict(exit_code=0)
    assert bench.run_problem(dict(exit_code=2), None, None) == 'exit code 2'
    assert bench.run_problem(ok, None, None) is None
    assert bench.run_problem(ok, counts(h1=(1, 1, 1, 1, 0, 0), h2=(1, 1, 1, 0, 1, 0)), None) == 'failed or unreachable on h2'
    assert bench.run_problem(ok, counts(h1=(0, 0, 0, 0, 0, 1)), None) == 'failed or unreachable on h1'


def test_expected_changes_are_checked_on_every_host():
    ok = dict(exit_code=0)
    some = counts(h1=(1, 50, 50, 50, 0, 0), h2=(1, 50, 50, 0, 0, 0))
    assert bench.run_problem(ok, some, True) == 'expected every host to change something'
    assert bench.run_problem(ok, some, False) == 'expected no change, changed on h1'
    assert bench.run_problem(ok, counts(h1=(1, 1, 1, 0, 0, 0)), False) is None
    assert bench.run_problem(ok, None, True) == 'no per-host counts were written'


def test_per_host_counts_show_one_number_or_the_range():
    assert bench.per_host(counts(h1=(1, 50, 50, 50, 0, 0), h2=(1, 50, 50, 50, 0, 0)), 'module_runs') == '50'
    assert bench.per_host(counts(h1=(1, 50, 50, 50, 0, 0), h2=(1, 48, 48, 50, 0, 0)), 'module_runs') == '49.0 (48–50)'
    assert bench.per_host(counts(h1=(2, 2, 2, 0, 0, 0), h2=(1, 1, 1, 0, 0, 0), h3=(2, 2, 2, 0, 0, 0)), 'tasks') == '1.7 (1–2)'
    assert bench.per_host(None, 'tasks') == '-'


def test_the_ratio_says_faster_or_slower_against_the_baseline():
    fast = dict(label='sysctl_profile', median=4.0, tasks='1', module_runs='1', host_runs='1')
    slow = dict(label='posix loop', median=100.0, tasks='1', module_runs='50', host_runs='50')
    assert bench.ratio_line('apply', fast, slow) == (
        'apply: sysctl_profile 4.0 s vs posix loop 100.0 s = 25.0× faster '
        '(tasks per host 1 vs 1, module runs per host 1 vs 50, on the host 1 vs 50)')
    assert ' = 25.0× slower ' in bench.ratio_line('apply', slow, fast)


def test_the_median_of_the_runs_is_reported():
    runs = [dict(wall=wall, max_rss_kb=1024, tree_kb=2048) for wall in (9.0, 1.0, 2.0)]
    summary = bench.summarise(dict(name='c'), runs, None, None)
    assert summary['median'] == 2.0 and summary['label'] == 'c' and summary['tasks'] == '-'


def test_sampling_takes_at_most_a_tenth_of_a_core():
    assert bench.pause_after(0.01) == bench.SAMPLE_SECONDS
    assert bench.pause_after(0.2) == pytest.approx(1.8)


def test_descendants_follow_the_whole_tree():
    assert sorted(bench.descendants(1, {1: [2, 3], 3: [4], 5: [6]})) == [1, 2, 3, 4]


def test_a_command_is_timed_and_its_memory_measured(tmp_path):
    # 64 MiB written (so really resident) and held for 5 s: the sampler backs off to 9 times a slow sample's own time
    # (pause_after), so on a saturated machine a hold of one second could pass between two samples.
    code = 'import time; data = b"x" * (64 << 20); time.sleep(5)'
    run = bench.run_command([sys.executable, '-c', code], str(tmp_path / 'log'), dict(os.environ))
    assert run['exit_code'] == 0
    assert run['wall'] >= 1.0
    assert run['max_rss_kb'] >= 64 * 1024
    assert run['tree_kb'] >= 64 * 1024
    assert (tmp_path / 'log').read_text().startswith('$ %s -c ' % sys.executable)


def test_a_failing_command_reports_its_exit_code(tmp_path):
    run = bench.run_command([sys.executable, '-c', 'raise SystemExit(3)'], str(tmp_path / 'log'), dict(os.environ))
    assert run['exit_code'] == 3


def test_only_selected_cases_run_and_none_without_the_case_it_runs_after():
    _environment, _fleet_setup, cases = bench.load_cases(CASES)
    selected = [case['name'] for case in bench.select_cases(cases, ['cvm-*'])]
    assert selected == ['cvm-script', 'cvm-api', 'cvm-cached', 'cvm-constructed']
    selected = [case['name'] for case in bench.select_cases(cases, ['profile-*', 'cvm-api'])]
    assert selected == ['profile-apply', 'profile-noop', 'cvm-api']
    assert bench.select_cases(cases, []) == cases
    with pytest.raises(ValueError, match='select the case each of these runs after: posix-noop \\(after posix-apply\\)'):
        bench.select_cases(cases, ['posix-noop'])
    with pytest.raises(ValueError, match='no case matches nothing-*'):
        bench.select_cases(cases, ['nothing-*'])


def test_a_ratio_of_commands_without_hosts_shows_their_memory():
    case = dict(label='plugin', median=2.0, tasks='-', module_runs='-', max_rss_kb=204800)
    base = dict(label='script', median=3.0, tasks='-', module_runs='-', max_rss_kb=102400)
    assert bench.ratio_line('list', case, base) == 'list: plugin 2.0 s vs script 3.0 s = 1.5× faster (MAX RSS 200 MB vs 100 MB)'


def test_where_a_case_runs_is_checked_with_the_cases_it_depends_on(tmp_path):
    path = write_cases(tmp_path, '''
        fleet_setup: start the fleet
        colour: red
        cases:
          - {name: floor, command: a, sizes: all}
          - {name: apply, command: b, sizes: one, baseline: floor}
          - {name: noop, command: b, sizes: all, after: apply}
          - {name: other, command: c, sizes: every}
    ''')
    with pytest.raises(ValueError) as error:
        bench.load_cases(path)
    message = str(error.value)
    for part in ('unknown top-level field(s) colour', 'fleet_setup must be a list of command lines',
                 'apply: baseline floor runs on other fleets', 'noop: after apply, which runs on other fleets',
                 'other: sizes must be one or all (or absent: no fleet)'):
        assert part in message


def test_sizes_are_numbers_of_hosts_smallest_first():
    assert bench.parse_sizes('200 50,500') == [50, 200, 500]
    assert bench.parse_sizes('') == []
    for text in ('50 many', '0', '-3', '50 50'):
        with pytest.raises(ValueError):
            bench.parse_sizes(text)


def test_fleets_are_planned_without_a_fleet_first_then_one_then_every_size_with_forks_at_most_the_hosts():
    cases = [dict(name='floor', sizes='all'), dict(name='posix', sizes='one'), dict(name='cvm'),
             dict(name='site', sizes='all')]
    fleets = bench.plan_fleets(cases, [3, 50, 200], 10, 50)
    assert [(f['hosts'], f['forks'], f['every_size'], [c['name'] for c in f['cases']]) for f in fleets] == [
        (None, None, False, ['cvm']), (10, 10, False, ['posix']), (3, 3, True, ['floor', 'site']),
        (50, 50, True, ['floor', 'site']), (200, 50, True, ['floor', 'site'])]
    assert bench.plan_fleets([dict(name='cvm')], [], None, 50) == [
        dict(hosts=None, forks=None, every_size=False, cases=[dict(name='cvm')])]
    with pytest.raises(ValueError, match='floor, site: no --sizes given'):
        bench.plan_fleets(cases, [], 10, 50)
    with pytest.raises(ValueError, match='posix: no --hosts given'):
        bench.plan_fleets(cases, [3], None, 50)


def test_a_run_on_a_fleet_must_count_every_host_of_the_fleet():
    ok = dict(exit_code=0)
    two = counts(h1=(1, 1, 1, 0, 0, 0), h2=(1, 1, 1, 0, 0, 0))
    assert bench.run_problem(ok, two, False, 3) == 'counts for 2 hosts, the fleet has 3'
    assert bench.run_problem(ok, two, False, 2) is None
    assert bench.run_problem(ok, two, False) is None


def test_each_case_is_compared_with_its_baseline_on_the_same_fleet():
    summaries = [dict(name='floor', baseline=None, problem=None, median=2.0, baseline_ratio=None),
                 dict(name='site', baseline='floor', problem=None, median=5.0, baseline_ratio=None),
                 dict(name='broken', baseline='floor', problem='exit code 1', median=None, baseline_ratio=None)]
    bench.add_baseline_ratios(summaries)
    assert [s['baseline_ratio'] for s in summaries] == [None, 2.5, None]


def fleet_of(hosts, *per_case):
    """A fleet of every size with one summary per (name, seconds per host or None for a failed run)."""
    return dict(hosts=hosts, forks=min(hosts, 50), every_size=True, cases=[dict(name=name) for name, _value in per_case],
                summaries=[dict(name=name, seconds_per_host=value) for name, value in per_case])


def test_the_growth_is_the_cost_per_host_at_each_size_against_the_smallest():
    rows = bench.growth([fleet_of(50, ('floor', 0.1), ('site', 0.4)), fleet_of(200, ('floor', 0.05), ('site', 0.6)),
                         fleet_of(500, ('floor', 0.05), ('site', None))])
    assert rows[0] == dict(case='floor', seconds_per_host={50: 0.1, 200: 0.05, 500: 0.05},
                           ratio_to_smallest={50: 1.0, 200: 0.5, 500: 0.5})
    assert rows[1]['ratio_to_smallest'] == {50: 1.0, 200: pytest.approx(1.5), 500: None}
    # Without the smallest size's figure there is nothing to compare with.
    assert bench.growth([fleet_of(3, ('floor', None)), fleet_of(9, ('floor', 0.2))])[0]['ratio_to_smallest'] == {
        3: None, 9: None}
    assert bench.growth([]) == []


def test_the_tables_show_each_size_and_the_growth(capsys):
    fleet = fleet_of(50, ('fleet-ping', 0.1))
    fleet['summaries'][0].update(runs=3, median=5.0, problem=None, baseline_ratio=None, tasks='1', module_runs='1',
                                 host_runs='1', changed='0', max_rss_kb=102400, tree_kb=307200)
    failed = fleet_of(200, ('fleet-ping', None))
    failed['summaries'][0].update(runs=0, problem='exit code 4')
    bench.report_fleets([fleet, failed])
    bench.report_growth(bench.growth([fleet, failed]), [50, 200])
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ['CASE', 'HOSTS', 'FORKS', 'RUNS', 'MEDIAN', 'S/HOST', '×', 'BASELINE', 'TASKS/HOST',
                              'MODULE', 'RUNS/HOST', 'ON', 'HOST/HOST', 'CHANGED/HOST', 'MAX', 'RSS', 'TREE', 'PSS']
    assert out[2].split() == ['fleet-ping', '50', '50', '3', '5.0', 's', '0.100', 's', '-', '1', '1', '1', '0', '100',
                              'MB', '300', 'MB']
    assert out[3].split() == ['fleet-ping', '200', '50', '0', 'FAILED']
    growth_header = [index for index, line in enumerate(out) if line.startswith('CASE')][-1]
    assert out[growth_header].split() == ['CASE', '50', 'HOSTS', '200', 'HOSTS']
    assert out[growth_header + 2].split() == ['fleet-ping', '0.100', 's/host', '(1.00×)', '-']


def test_a_fleet_is_started_with_its_size_before_its_cases(tmp_path):
    fleet = dict(hosts=3, forks=3, every_size=True, cases=[dict(name='floor', command='true'),
                                                           dict(name='site', command='true', baseline='floor')])
    started = str(tmp_path / 'started')
    summaries = bench.run_fleet(fleet, ["sh -c 'echo $BENCH_HOSTS $BENCH_FORKS > %s'" % started], None,
                                dict(os.environ), str(tmp_path))
    assert open(started).read() == '3 3\n'
    assert [(s['name'], s['hosts'], s['forks'], s['problem']) for s in summaries] == [
        ('floor', 3, 3, None), ('site', 3, 3, None)]
    assert summaries[0]['seconds_per_host'] == summaries[0]['median'] / 3
    assert summaries[1]['baseline_ratio'] == summaries[1]['median'] / summaries[0]['median']
    assert os.path.exists(str(tmp_path / '3-hosts' / 'floor-1.log'))


def test_no_case_runs_on_a_fleet_that_did_not_start(tmp_path):
    fleet = dict(hosts=3, forks=3, every_size=True, cases=[dict(name='floor', command='true')])
    summaries = bench.run_fleet(fleet, ['false'], None, dict(os.environ), str(tmp_path))
    assert summaries[0]['problem'].startswith('not run: the fleet did not start (setup failed (exit code 1')
    assert summaries[0]['runs'] == 0
    assert not os.path.exists(str(tmp_path / '3-hosts' / 'floor-1.log'))


def test_an_interrupted_harness_ends_the_whole_command(tmp_path):
    # The command starts a child of its own and waits; an interrupt (here from a timer, once the child
    # is there) must end both.
    pid_file = tmp_path / 'child.pid'
    script = 'sleep 300 & echo $! > %s.tmp && mv %s.tmp %s; wait' % (pid_file, pid_file, pid_file)

    def interrupt(_signum, _frame):
        if not pid_file.exists():
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            return
        raise KeyboardInterrupt()

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(KeyboardInterrupt):
            bench.run_command(['sh', '-c', script], str(tmp_path / 'log'), dict(os.environ))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    child = int(pid_file.read_text())
    try:
        with open('/proc/%d/stat' % child) as handle:
            state = handle.read().rsplit(')', 1)[1].split()[0]
    except FileNotFoundError:
        state = 'gone'
    assert state in ('gone', 'Z', 'X')


def test_the_results_name_the_machine_the_commit_and_every_size(tmp_path):
    once = dict(hosts=10, forks=10, every_size=False, cases=[dict(name='posix')], summaries=[dict(name='posix')])
    fleets = [once, fleet_of(3, ('floor', 0.2)), fleet_of(9, ('floor', 0.1))]
    document = bench.results_document(fleets, '2025-01-01T00:00:00+00:00', (1.0, 2.0, 3.0), (4.0, 5.0, 6.0), [3, 9], 50)
    assert json.loads(json.dumps(document)) == document
    assert document['commit'] and document['nproc'] >= 1
    assert document['load_before'] == [1.0, 2.0, 3.0] and document['load_after'] == [4.0, 5.0, 6.0]
    assert document['once'] == [dict(name='posix')]
    assert sorted(document['by_size']) == ['3', '9']
    assert document['by_size']['9']['cases']['floor']['seconds_per_host'] == 0.1
    assert document['growth'] == [dict(case='floor', seconds_per_host={'3': 0.2, '9': 0.1},
                                       ratio_to_smallest={'3': 1.0, '9': 0.5})]


def load_callback():
    spec = importlib.util.spec_from_file_location(
        'bench_counts', os.path.join(ROOT, 'tests', 'bench', 'callback_plugins', 'bench_counts.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Task(object):
    def __init__(self, action, delegate_to=None):
        self.action, self.delegate_to = action, delegate_to


@pytest.mark.parametrize('task, result, on_host', [
    (Task('tencentos.fleet.livepatch_set'), {'changed': False}, True),
    (Task('ansible.builtin.stat'), {}, True),
    (Task('ansible.builtin.set_fact'), {}, False),
    (Task('assert'), {}, False),
    (Task('ansible.builtin.debug'), {}, False),
    (Task('ansible.builtin.stat', delegate_to='localhost'), {}, False),
    (Task('ansible.builtin.stat'), {'_ansible_delegated_vars': {'ansible_host': '127.0.0.1'}}, False),
    (Task('tencentos.fleet.tencentos_facts'), {'msg': 'gathered release, kernel'}, True),
    (Task('tencentos.fleet.tencentos_facts'),
     {'msg': 'release, kernel already gathered in this play, not gathered again (refresh: true gathers them again)'}, False),
])
def test_host_runs_leave_out_what_runs_on_the_controller(task, result, on_host):
    # ansible-playbook parses the callback's documentation when it loads it.
    assert yaml.safe_load(load_callback().DOCUMENTATION)['name'] == 'bench_counts'
    assert load_callback().runs_on_host(task, result) is on_host

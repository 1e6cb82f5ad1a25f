# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness (tools/bench.py) and the bench data it reads."""

import importlib.util
import os
import sys
import textwrap

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
SPEC = importlib.util.spec_from_file_location('bench', os.path.join(ROOT, 'tools', 'bench.py'))
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def write_cases(tmp_path, text):
    path = tmp_path / 'cases.yml'
    path.write_text(textwrap.dedent(text))
    return str(path)


def counts(**per_host):
    """What the bench_counts callback writes, from host=(tasks, module_runs, changed, failed, unreachable)."""
    fields = ('tasks', 'module_runs', 'changed', 'failed', 'unreachable')
    return dict((host, dict(zip(fields, values))) for host, values in per_host.items())


def test_the_project_cases_load_and_compare_with_cases_that_exist():
    environment, cases = bench.load_cases(os.path.join(ROOT, 'tests', 'bench', 'cases.yml'))
    names = [case['name'] for case in cases]
    assert [case['baseline'] for case in cases if case.get('baseline')] == ['posix-apply', 'posix-noop', 'cvm-script',
                                                                            'cvm-script', 'cvm-api']
    assert all(case['baseline'] in names[:names.index(case['name'])] for case in cases if case.get('baseline'))
    assert environment['ANSIBLE_CALLBACKS_ENABLED'] == 'bench_counts'


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
    assert bench.run_problem(ok, counts(h1=(1, 1, 1, 0, 0), h2=(1, 1, 0, 1, 0)), None) == 'failed or unreachable on h2'
    assert bench.run_problem(ok, counts(h1=(0, 0, 0, 0, 1)), None) == 'failed or unreachable on h1'


def test_expected_changes_are_checked_on_every_host():
    ok = dict(exit_code=0)
    some = counts(h1=(1, 50, 50, 0, 0), h2=(1, 50, 0, 0, 0))
    assert bench.run_problem(ok, some, True) == 'expected every host to change something'
    assert bench.run_problem(ok, some, False) == 'expected no change, changed on h1'
    assert bench.run_problem(ok, counts(h1=(1, 1, 0, 0, 0)), False) is None
    assert bench.run_problem(ok, None, True) == 'no per-host counts were written'


def test_per_host_counts_show_one_number_or_the_range():
    assert bench.per_host(counts(h1=(1, 50, 50, 0, 0), h2=(1, 50, 50, 0, 0)), 'module_runs') == '50'
    assert bench.per_host(counts(h1=(1, 50, 50, 0, 0), h2=(1, 48, 50, 0, 0)), 'module_runs') == '48–50'
    assert bench.per_host(None, 'tasks') == '-'


def test_the_ratio_says_faster_or_slower_against_the_baseline():
    fast = dict(label='sysctl_profile', median=4.0, tasks='1', module_runs='1')
    slow = dict(label='posix loop', median=100.0, tasks='1', module_runs='50')
    assert bench.ratio_line('apply', fast, slow) == (
        'apply: sysctl_profile 4.0 s vs posix loop 100.0 s = 25.0× faster '
        '(tasks per host 1 vs 1, module runs per host 1 vs 50)')
    assert ' = 25.0× slower ' in bench.ratio_line('apply', slow, fast)


def test_the_median_of_the_runs_is_reported():
    runs = [dict(wall=wall, max_rss_kb=1024, tree_kb=2048) for wall in (9.0, 1.0, 2.0)]
    summary = bench.summarise(dict(name='c'), runs, None, None)
    assert summary['median'] == 2.0 and summary['label'] == 'c' and summary['tasks'] == '-'


def test_descendants_follow_the_whole_tree():
    assert sorted(bench.descendants(1, {1: [2, 3], 3: [4], 5: [6]})) == [1, 2, 3, 4]


def test_a_command_is_timed_and_its_memory_measured(tmp_path):
    # 64 MiB written (so really resident) and held for a second: a few samples see it.
    code = 'import time; data = b"x" * (64 << 20); time.sleep(1)'
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
    _environment, cases = bench.load_cases(os.path.join(ROOT, 'tests', 'bench', 'cases.yml'))
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

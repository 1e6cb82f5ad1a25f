# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness behind `make bench` (tools/bench.sh sets up, runs this, takes the fleet down).

    python tools/bench.py CASES.yml [--sizes "50 200 500"] [--hosts N] [--forks N] [--repeat N]
                          [--logs DIR] [--results FILE] [--only PATTERNS] [--print-commands]

Runs the cases of CASES.yml (format: tests/bench/cases.yml) in the project directory, with $CASES_DIR set
to the folder of CASES.yml. Where a case runs is its `sizes`: without it, once and without a fleet;
`one`: once, on a fleet of --hosts hosts; `all`: on a fleet of each size of --sizes in turn, smallest
first. Each fleet is started by the file's `fleet_setup` commands (untimed), and its cases see its size
as $BENCH_HOSTS and $BENCH_FORKS (--forks, never more than the hosts). A case runs `repeat` times its
`setup` commands (untimed), then its `command` (timed); a case `after` another runs right after it, on
the state its last run left.

For each case it reports the median wall time, the largest process's peak RSS, the process tree's peak
memory and, for Ansible commands, what each host executed; against its `baseline` (a case of the same
fleet), the ratio of the two medians, both measured in the same run: on a noisy machine only ratios mean
something. The fleet cases also get seconds per host, and a table of how that changes from the smallest
size to the largest. --results writes all of it as JSON, with the machine's core count and load (the
fields: docs/testing.md, "Benchmarks"). Exits 1 if any command failed.
"""

import argparse
import datetime
import fnmatch
import json
import os
import shlex
import signal
import statistics
import string
import subprocess
import sys
import threading
import time

import yaml

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILE_FIELDS = ('environment', 'fleet_setup', 'cases')
CASE_FIELDS = ('name', 'label', 'command', 'setup', 'after', 'repeat', 'baseline', 'compare', 'expect_changed',
               'sizes')
# `sizes` of a case: where it runs (absent: once, without a fleet).
SIZES = ('one', 'all')
# The per-host counts of the bench_counts callback that the tables show.
COUNTED = ('tasks', 'module_runs', 'host_runs', 'changed')
# Often enough to see the forks of an ansible-playbook come and go; one sample (a scan of /proc, then
# the PSS of the tree) took 6-10 ms on the bench machine, so the sampler costs about 3 % of one core.
# With a large fleet the machine has thousands of processes to scan: a sample that takes longer is
# followed by a longer pause, so that sampling never takes more than a tenth of one core.
SAMPLE_SECONDS = 0.25
SAMPLE_SHARE = 0.1
# How long a command interrupted by the harness's own end gets to stop before it is killed.
STOP_SECONDS = 10

LEGEND = '''MEDIAN, MIN–MAX: wall time of the timed runs. MAX RSS: peak RSS of the largest single process
(wait4). TREE PSS: peak of the summed PSS of the command's processes (sampled). Per host, from the
bench_counts callback (fleet hosts only, not the controller's own plays): tasks executed (ok + failed),
module runs (a loop item is one), ON HOST: those that ran a module on the host (not set_fact, assert,
debug, a task delegated to the controller, a facts call answered from the play's facts), module runs that
changed; one number where every host agrees, else the mean and the range.'''

FLEET_LEGEND = '''S/HOST: median wall time divided by the hosts. × BASELINE: median over the median of the case's
baseline on the same fleet (fleet-ping: the floor, one ansible.builtin.ping per host).'''


# --- the cases file -------------------------------------------------------------------------------

def load_cases(path):
    """(environment, fleet_setup, cases) of a cases file; raises ValueError naming every problem at once."""
    with open(path) as handle:
        data = yaml.safe_load(handle) or {}
    environment = data.get('environment') or {}
    fleet_setup = data.get('fleet_setup') or []
    cases = data.get('cases') or []
    problems = []
    unknown = sorted(set(data) - set(FILE_FIELDS))
    if unknown:
        problems.append('unknown top-level field(s) %s' % ', '.join(unknown))
    if not isinstance(fleet_setup, list) or not all(isinstance(line, str) for line in fleet_setup):
        problems.append('fleet_setup must be a list of command lines')
    by_name = dict((case.get('name'), case) for case in cases if isinstance(case, dict))
    names = [case.get('name') for case in cases if isinstance(case, dict)]
    if not cases:
        problems.append('no cases')
    for index, case in enumerate(cases, 1):
        if not isinstance(case, dict):
            problems.append('case %d is not a mapping' % index)
            continue
        name = case.get('name') or 'case %d' % index
        unknown = sorted(set(case) - set(CASE_FIELDS))
        if unknown:
            problems.append('%s: unknown field(s) %s' % (name, ', '.join(unknown)))
        if not case.get('name'):
            problems.append('%s: no name' % name)
        if not isinstance(case.get('command'), str):
            problems.append('%s: command must be one command line' % name)
        if not isinstance(case.get('setup', []), list):
            problems.append('%s: setup must be a list of command lines' % name)
        if case.get('sizes') is not None and case['sizes'] not in SIZES:
            problems.append('%s: sizes must be %s (or absent: no fleet)' % (name, ' or '.join(SIZES)))
        # Its starting state is what the case before it left: nothing may run in between.
        if case.get('after') and (index < 2 or case['after'] != names[index - 2]):
            problems.append('%s: after %s must come right after that case' % (name, case['after']))
        elif case.get('after') and by_name[case['after']].get('sizes') != case.get('sizes'):
            problems.append('%s: after %s, which runs on other fleets' % (name, case['after']))
        if case.get('after') and case.get('setup'):
            problems.append('%s: a case after another has no setup' % name)
        if not isinstance(case.get('repeat', 1), int) or case.get('repeat', 1) < 1:
            problems.append('%s: repeat must be a whole number >= 1' % name)
        if case.get('baseline') and case['baseline'] not in names:
            problems.append('%s: baseline %s is not a case' % (name, case['baseline']))
        elif case.get('baseline') and by_name[case['baseline']].get('sizes') != case.get('sizes'):
            problems.append('%s: baseline %s runs on other fleets' % (name, case['baseline']))
    duplicates = sorted(set(name for name in names if names.count(name) > 1))
    if duplicates:
        problems.append('case names used twice: %s' % ', '.join(duplicates))
    if problems:
        raise ValueError('%s: %s' % (path, '; '.join(problems)))
    return environment, fleet_setup, cases


def select_cases(cases, patterns):
    """The cases whose names match one of the shell-style ``patterns`` (all if none), in file order.

    A selected case that runs after an unselected one could not start from the state it needs: refused.
    """
    if not patterns:
        return cases
    selected = [case for case in cases if any(fnmatch.fnmatchcase(case['name'], pattern) for pattern in patterns)]
    if not selected:
        raise ValueError('no case matches %s' % ', '.join(patterns))
    names = set(case['name'] for case in selected)
    orphans = ['%s (after %s)' % (case['name'], case['after']) for case in selected
               if case.get('after') and case['after'] not in names]
    if orphans:
        raise ValueError('select the case each of these runs after: %s' % ', '.join(orphans))
    return selected


def parse_sizes(text):
    """Fleet sizes from '50 200 500' (or commas), smallest first; raises ValueError on anything else."""
    words = (text or '').replace(',', ' ').split()
    if not all(word.isdigit() and int(word) > 0 for word in words):
        raise ValueError('sizes must be numbers of hosts, not %r' % text)
    sizes = [int(word) for word in words]
    if len(set(sizes)) != len(sizes):
        raise ValueError('a size given twice in %r' % text)
    return sorted(sizes)


def plan_fleets(cases, sizes, hosts, forks):
    """The fleets the cases run on, in order: dicts of hosts and forks (None: no fleet), every_size, cases.

    First the cases without a fleet, then those of `sizes: one` on ``hosts`` hosts, then those of
    `sizes: all` on each of ``sizes``; each keeps the file's order. Forks: ``forks``, at most the hosts.
    """
    fleets = []
    for kind, counts, given in ((None, [None], True), ('one', [hosts], bool(hosts)), ('all', sizes, bool(sizes))):
        selected = [case for case in cases if case.get('sizes') == kind]
        if not selected:
            continue
        if not given:
            raise ValueError('%s: %s' % (', '.join(case['name'] for case in selected),
                                         'no --sizes given' if kind == 'all' else 'no --hosts given'))
        for count in counts:
            fleets.append(dict(hosts=count, forks=count and min(forks, count), every_size=kind == 'all',
                               cases=selected))
    return fleets


def command_argv(line, environment):
    """A command line as argv: $VARIABLES from ``environment`` (an unset one is an error), split like a shell."""
    try:
        return shlex.split(string.Template(line).substitute(environment))
    except KeyError as error:
        raise ValueError('%s: variable %s is not set' % (line, error))


# --- measuring one command --------------------------------------------------------------------------

def children_by_parent():
    """{ppid: [pid, ...]} of every process now (this kernel has no /proc/PID/task/TID/children)."""
    tree = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: the parent is the 2nd field after the last ')'.
        tree.setdefault(int(stat.rsplit(')', 1)[1].split()[1]), []).append(int(entry))
    return tree


def descendants(root, tree):
    """``root`` and every process below it in ``tree``."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def memory_kb(pid):
    """Proportional set size of a process (shared pages divided among their users), 0 if it is gone."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as handle:
            for line in handle:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; ``peak_kb`` is the largest sum seen.

    PSS, not RSS: the forks of ansible-playbook share most of their pages, and a sum of RSS would count
    them once per fork. Sampled, so a peak shorter than the pause between samples can be missed.
    """

    def __init__(self, root):
        super(TreeSampler, self).__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            started = time.monotonic()
            total = sum(memory_kb(pid) for pid in descendants(self.root, children_by_parent()))
            self.peak_kb = max(self.peak_kb, total)
            self.stopped.wait(pause_after(time.monotonic() - started))


def pause_after(sample_seconds):
    """The pause after a sample that took ``sample_seconds``: SAMPLE_SECONDS, or longer for a slow one."""
    return max(SAMPLE_SECONDS, sample_seconds * (1 - SAMPLE_SHARE) / SAMPLE_SHARE)


def stop_process_group(pid):
    """End the command ``pid`` leads and everything in its process group; returns once all of it is gone."""
    reaped = False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            if not reaped:
                try:
                    reaped = bool(os.waitpid(pid, os.WNOHANG)[0])
                except ChildProcessError:  # already reaped
                    reaped = True
            if reaped and not process_group_alive(pid):
                return
            time.sleep(0.1)


def process_group_alive(pgid):
    """Whether a process of the group still runs (zombies, dead but not reaped yet, do not count)."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp.
        if int(fields[2]) == pgid and fields[0] not in ('Z', 'X'):
            return True
    return False


def run_command(argv, log_path, environment):
    """Run ``argv`` with its output in ``log_path``; returns a dict of what was measured.

    The command gets a process group of its own, so that an interrupted harness can end all of it.
    """
    with open(log_path, 'w') as log:
        log.write('$ %s\n' % ' '.join(shlex.quote(arg) for arg in argv))
        log.flush()
        started = time.monotonic()
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, env=environment,
                                   start_new_session=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        try:
            # wait4, not Popen.wait: its rusage holds the peak RSS of the command and of every descendant it waited for.
            _pid, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            stop_process_group(process.pid)
            process.returncode = -signal.SIGTERM
            raise
        finally:
            sampler.stopped.set()
            sampler.join()
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return dict(wall=wall, exit_code=process.returncode, max_rss_kb=usage.ru_maxrss, tree_kb=sampler.peak_kb)


# --- judging and reporting ---------------------------------------------------------------------------

def run_problem(run, counts, expect_changed, hosts=None):
    """Why a measured run does not count as a success, or None. ``hosts``: how many the fleet has."""
    if run['exit_code'] != 0:
        return 'exit code %d' % run['exit_code']
    if counts is None:
        return 'no per-host counts were written' if expect_changed is not None else None
    broken = sorted(host for host, c in counts.items() if c['failed'] or c['unreachable'])
    if broken:
        return 'failed or unreachable on %s' % ', '.join(broken)
    # A run that left hosts out (a pattern that matched fewer, a play that ended early) is not the fleet's cost.
    if hosts is not None and len(counts) != hosts:
        return 'counts for %d hosts, the fleet has %d' % (len(counts), hosts)
    if expect_changed is True and not all(c['changed'] for c in counts.values()):
        return 'expected every host to change something'
    if expect_changed is False and any(c['changed'] for c in counts.values()):
        return 'expected no change, changed on %s' % ', '.join(sorted(h for h, c in counts.items() if c['changed']))
    return None


def count_range(counts, field):
    """{'min', 'mean', 'max'} of one count over the hosts, or None without counts."""
    if not counts:
        return None
    values = [c[field] for c in counts.values()]
    return dict(min=min(values), mean=round(statistics.mean(values), 2), max=max(values))


def per_host(counts, field):
    """One host's count of ``field`` if every host agrees, else 'mean (min–max)'; '-' without counts."""
    found = count_range(counts, field)
    if found is None:
        return '-'
    if found['min'] == found['max']:
        return str(found['min'])
    return '%.1f (%d–%d)' % (found['mean'], found['min'], found['max'])


def seconds(value):
    return '%.1f s' % value


def megabytes(kb):
    return '%d MB' % round(kb / 1024.0)


def ratio_line(compare, case, base):
    """'apply: A 4.1 s vs B 95.3 s = 23.2× faster (...)' from two case summaries."""
    ratio = base['median'] / case['median']
    verdict = '%.1f× faster' % ratio if ratio >= 1 else '%.1f× slower' % (1 / ratio)
    line = '%s: %s %s vs %s %s = %s' % (compare, case['label'], seconds(case['median']), base['label'],
                                        seconds(base['median']), verdict)
    if case['tasks'] == base['tasks'] == '-':  # not Ansible playbooks: no per-host counts to show
        return '%s (MAX RSS %s vs %s)' % (line, megabytes(case['max_rss_kb']), megabytes(base['max_rss_kb']))
    return '%s (tasks per host %s vs %s, module runs per host %s vs %s, on the host %s vs %s)' % (
        line, case['tasks'], base['tasks'], case['module_runs'], base['module_runs'],
        case.get('host_runs', '-'), base.get('host_runs', '-'))


def table(rows):
    """Rows of strings as left-aligned columns (numbers right-aligned), with a rule under the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) if column == 0 else cell.rjust(width)
                 for column, (cell, width) in enumerate(zip(row, widths))]
        lines.append('  '.join(cells).rstrip())
        if index == 0:
            lines.append('  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def summarise(case, runs, counts, problem, fleet=None):
    """What a case's runs measured; ``fleet``: the hosts and forks it ran with (None: no fleet)."""
    walls = [run['wall'] for run in runs]
    median = statistics.median(walls) if walls else None
    hosts = fleet and fleet['hosts']
    return dict(
        name=case['name'], label=case.get('label', case['name']), problem=problem, runs=len(runs),
        hosts=hosts, forks=fleet and fleet['forks'],
        walls=walls, median=median, seconds_per_host=median / hosts if hosts and median is not None else None,
        max_rss_kb=max([run['max_rss_kb'] for run in runs] or [0]),
        tree_kb=max([run['tree_kb'] for run in runs] or [0]),
        tasks=per_host(counts, 'tasks'), module_runs=per_host(counts, 'module_runs'),
        host_runs=per_host(counts, 'host_runs'), changed=per_host(counts, 'changed'),
        per_host=dict((field, count_range(counts, field)) for field in COUNTED) if counts else None,
        baseline=case.get('baseline'), baseline_ratio=None)


def add_baseline_ratios(summaries):
    """Each summary's median over its baseline's, where both ran (the summaries of one fleet)."""
    by_name = dict((s['name'], s) for s in summaries)
    for s in summaries:
        base = by_name.get(s['baseline'])
        if base and not s['problem'] and not base['problem']:
            s['baseline_ratio'] = s['median'] / base['median']


def growth(fleets):
    """Per case of every size: its seconds per host at each size, and their ratio to the smallest size's.

    ``fleets``: the fleets of every size, each with its 'summaries', smallest first. A failed run is None.
    """
    rows = []
    for index, case in enumerate(fleets[0]['cases'] if fleets else []):
        per_size = dict((fleet['hosts'], fleet['summaries'][index]['seconds_per_host']) for fleet in fleets)
        first = per_size[fleets[0]['hosts']]
        rows.append(dict(case=case['name'], seconds_per_host=per_size,
                         ratio_to_smallest=dict((size, value / first if value is not None and first else None)
                                                for size, value in per_size.items())))
    return rows


def report_once(summaries, cases):
    """The table of the cases that ran once, and their ratio lines."""
    rows = [['CASE', 'HOSTS', 'RUNS', 'MEDIAN', 'MIN–MAX', 'MAX RSS', 'TREE PSS', 'TASKS/HOST', 'MODULE RUNS/HOST',
             'ON HOST/HOST', 'CHANGED/HOST']]
    for s in summaries:
        hosts = str(s['hosts']) if s['hosts'] else '-'
        if s['problem']:
            rows.append([s['name'], hosts, str(s['runs']), 'FAILED', '', '', '', '', '', '', ''])
            continue
        rows.append([s['name'], hosts, str(s['runs']), seconds(s['median']),
                     '%.1f–%.1f s' % (min(s['walls']), max(s['walls'])),
                     megabytes(s['max_rss_kb']), megabytes(s['tree_kb']), s['tasks'], s['module_runs'], s['host_runs'],
                     s['changed']])
    print(table(rows))
    print(LEGEND)
    by_name = dict((s['name'], s) for s in summaries)
    lines = []
    for case in cases:
        if not case.get('baseline') or case['name'] not in by_name:
            continue
        if case['baseline'] not in by_name:  # not selected in this run
            continue
        this, base = by_name[case['name']], by_name[case['baseline']]
        compare = case.get('compare', case['name'])
        if this['problem'] or base['problem']:
            lines.append('%s: no ratio, a run failed' % compare)
        else:
            lines.append(ratio_line(compare, this, base))
    if lines:
        print()
        print('\n'.join(lines))


def report_fleets(fleets):
    """The table of the cases of every size: one row per case and size, the sizes in turn."""
    rows = [['CASE', 'HOSTS', 'FORKS', 'RUNS', 'MEDIAN', 'S/HOST', '× BASELINE', 'TASKS/HOST', 'MODULE RUNS/HOST',
             'ON HOST/HOST', 'CHANGED/HOST', 'MAX RSS', 'TREE PSS']]
    for fleet in fleets:
        for s in fleet['summaries']:
            head = [s['name'], str(fleet['hosts']), str(fleet['forks']), str(s['runs'])]
            if s['problem']:
                rows.append(head + ['FAILED'] + [''] * 8)
                continue
            rows.append(head + [seconds(s['median']), '%.3f s' % s['seconds_per_host'],
                                '%.1f×' % s['baseline_ratio'] if s['baseline_ratio'] else '-',
                                s['tasks'], s['module_runs'], s['host_runs'], s['changed'],
                                megabytes(s['max_rss_kb']), megabytes(s['tree_kb'])])
    print(table(rows))
    print(FLEET_LEGEND)


def report_growth(rows, sizes):
    """Seconds per host of each case at each size, and the ratio to the smallest size."""
    header = ['CASE'] + ['%d HOSTS' % size for size in sizes]
    lines = [header]
    for row in rows:
        lines.append([row['case']] + [
            '-' if row['seconds_per_host'][size] is None else '%.3f s/host (%s)' % (
                row['seconds_per_host'][size],
                '-' if row['ratio_to_smallest'][size] is None else '%.2f×' % row['ratio_to_smallest'][size])
            for size in sizes])
    print(table(lines))
    print('How the cost per host grows: seconds per host at each size (ratio to the %d-host fleet).' % sizes[0])


# --- the run -----------------------------------------------------------------------------------------------

def run_setup(case, number, environment, logs):
    """Run the setup commands before timed run ``number``; returns a problem or None."""
    for index, line in enumerate(case.get('setup', []), 1):
        log_path = os.path.join(logs, '%s-%d-setup%d.log' % (case['name'], number, index))
        code = run_command(command_argv(line, environment), log_path, environment)['exit_code']
        if code != 0:
            return 'setup failed (exit code %d, log %s): %s' % (code, log_path, line)
    return None


def run_timed(case, number, environment, logs):
    """Timed run ``number`` of a case: (what was measured, per-host counts or None, log path)."""
    log_path = os.path.join(logs, '%s-%d.log' % (case['name'], number))
    counts_path = log_path + '.counts.json'
    if os.path.exists(counts_path):
        os.remove(counts_path)
    run = run_command(command_argv(case['command'], environment), log_path,
                      dict(environment, BENCH_COUNTS_FILE=counts_path))
    counts = None
    if os.path.exists(counts_path):
        with open(counts_path) as handle:
            counts = json.load(handle)
    return run, counts, log_path


def run_case(case, repeat, environment, logs, previous=None, fleet=None):
    """Run one case (``previous``: the summary of the case before it; ``fleet``: its hosts and forks)."""
    name, runs, counts = case['name'], [], None
    if case.get('after') and previous['problem']:
        problem = 'not run: %s, which it runs after, failed' % case['after']
        print('  %-22s FAILED: %s' % (name, problem), flush=True)
        return summarise(case, runs, counts, problem, fleet)
    for number in range(1, repeat + 1):
        problem = run_setup(case, number, environment, logs)
        if problem:
            print('  %-22s run %d/%d  FAILED: %s' % (name, number, repeat, problem), flush=True)
            return summarise(case, runs, counts, problem, fleet)
        run, counts, log_path = run_timed(case, number, environment, logs)
        problem = run_problem(run, counts, case.get('expect_changed'), fleet and fleet['hosts'])
        print('  %-22s run %d/%d  %8s  %s' % (name, number, repeat, seconds(run['wall']),
                                              'FAILED: %s (log %s)' % (problem, log_path) if problem else 'ok'),
              flush=True)
        if problem:
            return summarise(case, runs, counts, problem, fleet)
        runs.append(run)
    return summarise(case, runs, counts, None, fleet)


def run_fleet(fleet, fleet_setup, repeat, environment, logs):
    """Start the fleet (``fleet_setup``, untimed), then run its cases; returns their summaries."""
    if fleet['hosts']:
        environment = dict(environment, BENCH_HOSTS=str(fleet['hosts']), BENCH_FORKS=str(fleet['forks']))
        if fleet['every_size']:
            logs = os.path.join(logs, '%d-hosts' % fleet['hosts'])
            os.makedirs(logs, exist_ok=True)
        names = ', '.join(case['name'] for case in fleet['cases'])
        print('\na fleet of %d hosts, %d forks: %s' % (fleet['hosts'], fleet['forks'], names), flush=True)
        setup = dict(name='fleet', command='true', setup=fleet_setup)
        started = time.monotonic()
        problem = run_setup(setup, 1, environment, logs)
        print('  %-22s          %8s  %s' % ('(fleet setup, untimed)', seconds(time.monotonic() - started),
                                            'FAILED: %s' % problem if problem else 'ok'), flush=True)
        if problem:
            return [summarise(case, [], None, 'not run: the fleet did not start (%s)' % problem, fleet)
                    for case in fleet['cases']]
    summaries = []
    for case in fleet['cases']:
        summaries.append(run_case(case, repeat or case.get('repeat', 1), environment, logs,
                                  summaries[-1] if summaries else None, fleet if fleet['hosts'] else None))
    add_baseline_ratios(summaries)
    return summaries


def git_commit():
    """(commit, True if tracked files differ from it), or (None, None) outside a git checkout."""
    try:
        commit = subprocess.check_output(['git', '-C', PROJECT_DIR, 'rev-parse', 'HEAD'], stderr=subprocess.DEVNULL)
        changes = subprocess.check_output(['git', '-C', PROJECT_DIR, 'status', '--porcelain', '--untracked-files=no'],
                                          stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return commit.decode().strip(), bool(changes.strip())


def results_document(fleets, started, load_before, load_after, sizes, forks):
    """The JSON of a bench run (its fields: docs/testing.md, "Benchmarks")."""
    commit, modified = git_commit()
    every_size = [fleet for fleet in fleets if fleet['every_size']]
    return dict(
        date=started, commit=commit, modified=modified, nproc=len(os.sched_getaffinity(0)),
        load_before=list(load_before), load_after=list(load_after), sizes=sizes, forks=forks,
        once=[s for fleet in fleets if not fleet['every_size'] for s in fleet['summaries']],
        by_size=dict((str(fleet['hosts']), dict(hosts=fleet['hosts'], forks=fleet['forks'],
                                                cases=dict((s['name'], s) for s in fleet['summaries'])))
                     for fleet in every_size),
        growth=[dict(row, seconds_per_host=dict((str(k), v) for k, v in row['seconds_per_host'].items()),
                     ratio_to_smallest=dict((str(k), v) for k, v in row['ratio_to_smallest'].items()))
                for row in growth(every_size)])


def terminate(_signum, _frame):
    # SIGTERM (tools/bench.sh interrupted) ends the harness as an exception would: the running command's
    # process group is ended on the way out (run_command).
    raise SystemExit(128 + signal.SIGTERM)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('cases', help='the cases file (YAML)')
    parser.add_argument('--sizes', default='', help='fleet sizes for the cases of `sizes: all` (e.g. "50 200 500")')
    parser.add_argument('--hosts', type=int, help='the fleet size for the cases of `sizes: one`')
    parser.add_argument('--forks', type=int, default=50, help='forks on a fleet, at most its hosts (default 50)')
    parser.add_argument('--repeat', type=int, help='timed runs of every case, instead of each case\'s repeat')
    parser.add_argument('--logs', default=os.path.join(os.environ.get('TENCENTOS_FLEET_WORKDIR', '/tmp'), 'bench', 'logs'),
                        help='directory for the output of every command')
    parser.add_argument('--results', help='also write the results to this JSON file')
    parser.add_argument('--only', help='run only the cases whose names match these comma-separated patterns (e.g. cvm-*)')
    parser.add_argument('--print-commands', action='store_true',
                        help='print the command lines the selected cases need (fleet setup, setup, timed), unexpanded, and exit')
    args = parser.parse_args(argv)
    try:
        file_environment, fleet_setup, cases = load_cases(args.cases)
        cases = select_cases(cases, [pattern for pattern in (args.only or '').split(',') if pattern])
        sizes = parse_sizes(args.sizes)
        if args.forks < 1:
            raise ValueError('--forks must be at least 1')
        fleets = plan_fleets(cases, sizes, args.hosts, args.forks)
    except (OSError, ValueError, yaml.YAMLError) as error:
        parser.error(str(error))
    if args.print_commands:
        lines = fleet_setup if any(fleet['hosts'] for fleet in fleets) else []
        print('\n'.join(lines + [line for case in cases for line in case.get('setup', []) + [case['command']]]))
        return 0
    # $CASES_DIR lets a cases file name its playbooks and plugins wherever it is run from.
    environment = dict(os.environ, CASES_DIR=os.path.dirname(os.path.abspath(args.cases)))
    try:
        environment.update((key, string.Template(str(value)).substitute(environment))
                           for key, value in file_environment.items())
    except KeyError as error:
        parser.error('%s: environment: variable %s is not set' % (args.cases, error))
    signal.signal(signal.SIGTERM, terminate)
    os.makedirs(args.logs, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    load_before = os.getloadavg()
    print('bench: %d case(s) from %s; the output of every command is in %s' % (len(cases), args.cases, args.logs),
          flush=True)
    try:
        for fleet in fleets:
            fleet['summaries'] = run_fleet(fleet, fleet_setup, args.repeat, environment, args.logs)
    except KeyboardInterrupt:
        print('\nbench: interrupted', flush=True)
        return 130
    load_after = os.getloadavg()
    once = [s for fleet in fleets if not fleet['every_size'] for s in fleet['summaries']]
    every_size = [fleet for fleet in fleets if fleet['every_size']]
    if once:
        print()
        report_once(once, cases)
    if every_size:
        print()
        report_fleets(every_size)
        print()
        report_growth(growth(every_size), sizes)
    print('\n%d cores; load average (1, 5, 15 min) %s before, %s after' % (
        len(os.sched_getaffinity(0)), ' '.join('%.2f' % x for x in load_before),
        ' '.join('%.2f' % x for x in load_after)))
    if args.results:
        with open(args.results, 'w') as handle:
            json.dump(results_document(fleets, started, load_before, load_after, sizes, args.forks), handle, indent=1)
    failed = [s['name'] + (' (%d hosts)' % s['hosts'] if s['hosts'] else '')
              for fleet in fleets for s in fleet['summaries'] if s['problem']]
    if failed:
        print('\nbench: FAILED: %s' % ', '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

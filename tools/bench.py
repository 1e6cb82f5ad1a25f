# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness behind `make bench` (tools/bench.sh starts the hosts, then runs this).

    python tools/bench.py CASES.yml [--repeat N] [--logs DIR] [--results FILE] [--only PATTERNS] [--print-commands]

Runs every case of CASES.yml (format: tests/bench/cases.yml) in file order, in the project directory,
with $CASES_DIR set to the folder of CASES.yml: `repeat` times its `setup` commands (untimed), then its
`command` (timed). A case `after` another runs right after it, on the state its last run left. For each case it
reports the median wall time, the largest process's peak RSS, the process tree's peak memory and,
for Ansible commands, what each host executed; then one line per case that has a baseline, with the
ratio of the two medians. Both are measured in the same run: on a noisy machine only ratios mean
something. Exits 1 if any command failed.
"""

import argparse
import fnmatch
import json
import os
import shlex
import statistics
import string
import subprocess
import sys
import threading
import time

import yaml

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE_FIELDS = ('name', 'label', 'command', 'setup', 'after', 'repeat', 'baseline', 'compare', 'expect_changed')
# Often enough to see the forks of an ansible-playbook come and go; one sample (a scan of /proc, then
# the PSS of the tree) took 6-10 ms on the bench machine, so the sampler costs about 3 % of one core.
SAMPLE_SECONDS = 0.25

LEGEND = '''MEDIAN, MIN–MAX: wall time of the timed runs. MAX RSS: peak RSS of the largest single process
(wait4). TREE PSS: peak of the summed PSS of the command's processes (sampled). Per host, from the
bench_counts callback: tasks executed (ok + failed), module runs (a loop item is one), module runs
that changed.'''


# --- the cases file -------------------------------------------------------------------------------

def load_cases(path):
    """(environment, cases) of a cases file; raises ValueError naming every problem at once."""
    with open(path) as handle:
        data = yaml.safe_load(handle) or {}
    environment = data.get('environment') or {}
    cases = data.get('cases') or []
    problems = []
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
        # Its starting state is what the case before it left: nothing may run in between.
        if case.get('after') and (index < 2 or case['after'] != names[index - 2]):
            problems.append('%s: after %s must come right after that case' % (name, case['after']))
        if case.get('after') and case.get('setup'):
            problems.append('%s: a case after another has no setup' % name)
        if not isinstance(case.get('repeat', 1), int) or case.get('repeat', 1) < 1:
            problems.append('%s: repeat must be a whole number >= 1' % name)
        if case.get('baseline') and case['baseline'] not in names:
            problems.append('%s: baseline %s is not a case' % (name, case['baseline']))
    duplicates = sorted(set(name for name in names if names.count(name) > 1))
    if duplicates:
        problems.append('case names used twice: %s' % ', '.join(duplicates))
    if problems:
        raise ValueError('%s: %s' % (path, '; '.join(problems)))
    return environment, cases


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
    them once per fork. Sampled, so a peak shorter than SAMPLE_SECONDS can be missed.
    """

    def __init__(self, root):
        super(TreeSampler, self).__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            total = sum(memory_kb(pid) for pid in descendants(self.root, children_by_parent()))
            self.peak_kb = max(self.peak_kb, total)
            self.stopped.wait(SAMPLE_SECONDS)


def run_command(argv, log_path, environment):
    """Run ``argv`` with its output in ``log_path``; returns a dict of what was measured."""
    with open(log_path, 'w') as log:
        log.write('$ %s\n' % ' '.join(shlex.quote(arg) for arg in argv))
        log.flush()
        started = time.monotonic()
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, env=environment)
        sampler = TreeSampler(process.pid)
        sampler.start()
        # wait4, not Popen.wait: its rusage holds the peak RSS of the command and of every descendant it waited for.
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        sampler.stopped.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    return dict(wall=wall, exit_code=process.returncode, max_rss_kb=usage.ru_maxrss, tree_kb=sampler.peak_kb)


# --- judging and reporting ---------------------------------------------------------------------------

def run_problem(run, counts, expect_changed):
    """Why a measured run does not count as a success, or None."""
    if run['exit_code'] != 0:
        return 'exit code %d' % run['exit_code']
    if counts is None:
        return 'no per-host counts were written' if expect_changed is not None else None
    broken = sorted(host for host, c in counts.items() if c['failed'] or c['unreachable'])
    if broken:
        return 'failed or unreachable on %s' % ', '.join(broken)
    if expect_changed is True and not all(c['changed'] for c in counts.values()):
        return 'expected every host to change something'
    if expect_changed is False and any(c['changed'] for c in counts.values()):
        return 'expected no change, changed on %s' % ', '.join(sorted(h for h, c in counts.items() if c['changed']))
    return None


def per_host(counts, field):
    """One host's count of ``field`` if every host agrees, else 'min–max'; '-' without counts."""
    if not counts:
        return '-'
    values = sorted(c[field] for c in counts.values())
    return str(values[0]) if values[0] == values[-1] else '%d–%d' % (values[0], values[-1])


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
    return '%s (tasks per host %s vs %s, module runs per host %s vs %s)' % (
        line, case['tasks'], base['tasks'], case['module_runs'], base['module_runs'])


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


def summarise(case, runs, counts, problem):
    walls = [run['wall'] for run in runs]
    return dict(
        name=case['name'], label=case.get('label', case['name']), problem=problem, runs=len(runs),
        walls=walls, median=statistics.median(walls) if walls else None,
        max_rss_kb=max([run['max_rss_kb'] for run in runs] or [0]),
        tree_kb=max([run['tree_kb'] for run in runs] or [0]),
        tasks=per_host(counts, 'tasks'), module_runs=per_host(counts, 'module_runs'),
        changed=per_host(counts, 'changed'))


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


def run_case(case, repeat, environment, logs, previous=None):
    """Run one case (``previous``: the summary of the case before it); returns its summary."""
    name, runs, counts = case['name'], [], None
    if case.get('after') and previous['problem']:
        problem = 'not run: %s, which it runs after, failed' % case['after']
        print('  %-16s FAILED: %s' % (name, problem), flush=True)
        return summarise(case, runs, counts, problem)
    for number in range(1, repeat + 1):
        problem = run_setup(case, number, environment, logs)
        if problem:
            print('  %-16s run %d/%d  FAILED: %s' % (name, number, repeat, problem), flush=True)
            return summarise(case, runs, counts, problem)
        run, counts, log_path = run_timed(case, number, environment, logs)
        problem = run_problem(run, counts, case.get('expect_changed'))
        print('  %-16s run %d/%d  %8s  %s' % (name, number, repeat, seconds(run['wall']),
                                              'FAILED: %s (log %s)' % (problem, log_path) if problem else 'ok'),
              flush=True)
        if problem:
            return summarise(case, runs, counts, problem)
        runs.append(run)
    return summarise(case, runs, counts, None)


def report(summaries, cases):
    rows = [['CASE', 'RUNS', 'MEDIAN', 'MIN–MAX', 'MAX RSS', 'TREE PSS', 'TASKS/HOST', 'MODULE RUNS/HOST',
             'CHANGED/HOST']]
    for s in summaries:
        if s['problem']:
            rows.append([s['name'], str(s['runs']), 'FAILED', '', '', '', '', '', ''])
            continue
        rows.append([s['name'], str(s['runs']), seconds(s['median']),
                     '%.1f–%.1f s' % (min(s['walls']), max(s['walls'])),
                     megabytes(s['max_rss_kb']), megabytes(s['tree_kb']), s['tasks'], s['module_runs'], s['changed']])
    print(table(rows))
    print(LEGEND)
    by_name = dict((s['name'], s) for s in summaries)
    lines = []
    for case in cases:
        if not case.get('baseline'):
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('cases', help='the cases file (YAML)')
    parser.add_argument('--repeat', type=int, help='timed runs of every case, instead of each case\'s repeat')
    parser.add_argument('--logs', default=os.path.join(os.environ.get('TENCENTOS_FLEET_WORKDIR', '/tmp'), 'bench', 'logs'),
                        help='directory for the output of every command')
    parser.add_argument('--results', help='also write the summaries to this JSON file')
    parser.add_argument('--only', help='run only the cases whose names match these comma-separated patterns (e.g. cvm-*)')
    parser.add_argument('--print-commands', action='store_true',
                        help='print the setup and timed command lines of the selected cases, unexpanded, and exit')
    args = parser.parse_args(argv)
    try:
        file_environment, cases = load_cases(args.cases)
        cases = select_cases(cases, [pattern for pattern in (args.only or '').split(',') if pattern])
    except (OSError, ValueError, yaml.YAMLError) as error:
        parser.error(str(error))
    if args.print_commands:
        print('\n'.join(line for case in cases for line in case.get('setup', []) + [case['command']]))
        return 0
    # $CASES_DIR lets a cases file name its playbooks and plugins wherever it is run from.
    environment = dict(os.environ, CASES_DIR=os.path.dirname(os.path.abspath(args.cases)))
    try:
        environment.update((key, string.Template(str(value)).substitute(environment))
                           for key, value in file_environment.items())
    except KeyError as error:
        parser.error('%s: environment: variable %s is not set' % (args.cases, error))
    os.makedirs(args.logs, exist_ok=True)
    print('bench: %d case(s) from %s; the output of every command is in %s' % (len(cases), args.cases, args.logs),
          flush=True)
    summaries = []
    for case in cases:
        summaries.append(run_case(case, args.repeat or case.get('repeat', 1), environment, args.logs,
                                  summaries[-1] if summaries else None))
    print()
    report(summaries, cases)
    if args.results:
        with open(args.results, 'w') as handle:
            json.dump(summaries, handle, indent=1)
    failed = [s['name'] for s in summaries if s['problem']]
    if failed:
        print('\nbench: FAILED: %s' % ', '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

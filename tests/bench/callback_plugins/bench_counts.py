# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each host executed during a playbook run, for tools/bench.py.

The PLAY RECAP counts a loop as one task, so a 50-item loop and one module call both show ok=1: this
callback also counts module runs (each loop item is one). Enabled by tests/bench/cases.yml.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
name: bench_counts
type: aggregate
short_description: Count the tasks and module runs of each host for the bench harness
description:
  - Per host, counts tasks executed (ok or failed, as the PLAY RECAP's ok + failed; skipped tasks are
    not executed), module runs (one per task, or one per item of a loop), changed module runs, and
    failed or unreachable results.
  - Also host runs - the module runs that executed a module on the host, leaving out the actions that run on the
    controller alone (set_fact, assert, debug, include_vars and the like, tasks delegated to localhost, and a
    tencentos_facts call that found its subsets gathered earlier in the play). They are what a host costs over SSH.
  - The implicit localhost (a play on the controller, such as a report) is not counted.
  - At the end of the playbook writes them as JSON to the file named by the environment variable
    BENCH_COUNTS_FILE; without it, does nothing.
requirements:
  - enabled in callbacks_enabled (ANSIBLE_CALLBACKS_ENABLED)
'''

import json
import os

from ansible.plugins.callback import CallbackBase

FIELDS = ('tasks', 'module_runs', 'host_runs', 'changed', 'failed', 'unreachable')
# Actions whose work is done on the controller: their results are module runs, not runs on the host.
CONTROLLER_ACTIONS = frozenset(['set_fact', 'assert', 'debug', 'fail', 'include_vars', 'set_stats', 'meta',
                                'validate_argument_spec', 'add_host', 'group_by', 'pause', 'include_role',
                                'include_tasks'])
LOCALHOST = ('localhost', '127.0.0.1')


def runs_on_host(task, result):
    """Whether this result (of a task or a loop item) executed a module on the host."""
    if task.action.split('.')[-1] in CONTROLLER_ACTIONS:
        return False
    delegated = result.get('_ansible_delegated_vars') or {}
    if task.delegate_to in LOCALHOST or delegated.get('ansible_host') in LOCALHOST:
        return False
    # The collection's facts action answers from the facts of the play when they were gathered before.
    if task.action.split('.')[-1] == 'tencentos_facts' and 'not gathered again' in str(result.get('msg', '')):
        return False
    return True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_counts'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.hosts = {}

    def _add(self, result, field):
        # The implicit localhost is the controller running a play of its own (a report), not a host of
        # the fleet: its tasks are in the run's wall time, not in what each host executed.
        if result._host.implicit:
            return
        counts = self.hosts.setdefault(result._host.get_name(), dict((name, 0) for name in FIELDS))
        counts[field] += 1

    def _task_done(self, result, failed):
        self._add(result, 'tasks')
        if failed:
            self._add(result, 'failed')
        # A loop's items were counted one by one as they ran. ('results' alone is not a loop: dnf returns it.)
        if not (result._task.loop and 'results' in result._result):
            self._module_run(result)

    def _item_done(self, result):
        self._module_run(result)

    def _module_run(self, result):
        self._add(result, 'module_runs')
        if runs_on_host(result._task, result._result):
            self._add(result, 'host_runs')
        if result._result.get('changed'):
            self._add(result, 'changed')

    def v2_runner_on_ok(self, result):
        self._task_done(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._task_done(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._add(result, 'unreachable')

    def v2_runner_item_on_ok(self, result):
        self._item_done(result)

    def v2_runner_item_on_failed(self, result):
        self._item_done(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('BENCH_COUNTS_FILE')
        if path:
            with open(path, 'w') as handle:
                json.dump(self.hosts, handle, indent=1, sort_keys=True)

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Holds a playbook run at one task of one wave, so that a fault suite test can break something there.

A fault that lands "in the middle of a run" must land at the same point in every run, or the test asserts
a different host state each time. Ansible announces a task (v2_playbook_on_task_start) in its main process
before it hands the task to any host, so a callback that blocks there holds the run between two tasks: every
host of the wave has finished the previous one, none has started this one. Enabled by tests/faults/conftest.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
name: fault_pause
type: aggregate
short_description: Pause a playbook at one task of one wave and wait for the fault suite
description:
  - Counts play starts (a play of several waves starts once per wave). At the start of the first task (or
    handler) whose name begins with E(TENCENTOS_FAULT_PAUSE_TASK) in the play start numbered
    E(TENCENTOS_FAULT_PAUSE_PLAY) (default 1), writes the task's name to the FIFO E(TENCENTOS_FAULT_PAUSE_DIR)/paused,
    then waits until a line can be read from the FIFO E(TENCENTOS_FAULT_PAUSE_DIR)/resume.
  - The test breaks what it breaks meanwhile (stops sshd of some hosts, the mirror), then resumes the run, or kills
    the controller (its process group) while it waits.
  - Without E(TENCENTOS_FAULT_PAUSE_TASK), does nothing.
requirements:
  - enabled in callbacks_enabled (ANSIBLE_CALLBACKS_ENABLED)
'''

import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'fault_pause'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.task = os.environ.get('TENCENTOS_FAULT_PAUSE_TASK')
        self.play = int(os.environ.get('TENCENTOS_FAULT_PAUSE_PLAY', '1'))
        self.directory = os.environ.get('TENCENTOS_FAULT_PAUSE_DIR', '')
        self.plays = 0
        self.done = False

    def v2_playbook_on_play_start(self, play):
        self.plays += 1

    def _maybe_pause(self, task):
        name = task.name or ''
        if self.done or not self.task or self.plays != self.play or not name.startswith(self.task):
            return
        self.done = True
        with open(os.path.join(self.directory, 'paused'), 'w') as paused:
            paused.write('%s\n' % name)
        with open(os.path.join(self.directory, 'resume')) as resume:
            resume.readline()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._maybe_pause(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._maybe_pause(task)

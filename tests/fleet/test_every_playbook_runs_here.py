# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every playbook the collection ships is run by a test of this folder (on both controllers, as the
others here do): a new playbook without one fails here."""

import glob
import os

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def test_every_shipped_playbook_is_run_by_a_fleet_test():
    tests = ''
    for path in glob.glob(os.path.join(PROJECT, 'tests', 'fleet', 'test_*.py')):
        if os.path.basename(path) != os.path.basename(__file__):
            with open(path) as handle:
                tests += handle.read()
    playbooks = sorted(os.path.basename(path) for path in glob.glob(os.path.join(PROJECT, 'playbooks', '*.yml')))
    assert playbooks, 'no playbook found'
    assert [name for name in playbooks if "'playbooks/%s'" % name not in tests] == []

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of a hot patch transaction that need no kernel: the journal, the entries' own checks, and when
this collection's boot unit goes. The whole transaction runs against the fake kernel in
tests/unit/plugins/modules/test_livepatch_set.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_host import PatchError
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_transaction import Entry, Journal, Transaction

RUNNING = '5.4.119-19-0009.1'
OTHER = '4.14.105-19-0020.1'


def transaction(root, *items):
    return Transaction(None, str(root), RUNNING, list(items), 60)


# ---------------------------------------------------------------------------
# The journal
# ---------------------------------------------------------------------------

def test_the_journal_is_undone_newest_first():
    done = []
    journal = Journal()
    for name in ('a', 'b', 'c'):
        journal.record(name, 'loaded ' + name, lambda name=name: done.append(name))
    undone, left = journal.undo()
    assert done == ['c', 'b', 'a'] and left == []
    assert undone == [('c', 'loaded c'), ('b', 'loaded b'), ('a', 'loaded a')]
    assert journal.undo() == ([], [])


def test_an_undo_that_fails_does_not_stop_the_older_ones():
    done = []

    def stalls():
        raise PatchError('b: the transition to unpatched did not complete in 60 s')

    journal = Journal()
    journal.record('a', 'loaded a', lambda: done.append('a'))
    journal.record('b', 'loaded b', stalls)
    journal.record('c', 'copy of c', lambda: done.append('c'))
    undone, left = journal.undo()
    assert done == ['c', 'a'] and [what for _entry, what in undone] == ['copy of c', 'loaded a']
    assert left == ['loaded b: b: the transition to unpatched did not complete in 60 s']


@pytest.mark.parametrize('error', [IOError(16, 'Device or resource busy'), OSError(28, 'No space left on device')])
def test_file_and_sysfs_errors_of_an_undo_are_reported_too(error):
    def fails():
        raise error

    journal = Journal()
    journal.record('a', 'loaded a', fails)
    assert journal.undo()[1] == ['loaded a: %s' % error]


# ---------------------------------------------------------------------------
# Each entry's own checks
# ---------------------------------------------------------------------------

def test_an_entry_defaults_to_installed_for_the_running_kernel():
    entry = Entry(3, {'name': 'livepatch-fix'}, RUNNING)
    assert (entry.label, entry.name, entry.kernel, entry.state) == ('patches[3] (livepatch-fix)', 'livepatch_fix',
                                                                    RUNNING, 'installed')


def test_a_patch_named_twice_for_one_kernel_is_a_problem_of_the_second_entry(tmpdir):
    made = transaction(tmpdir, {'name': 'livepatch-fix'}, {'name': 'livepatch_fix', 'kernel': RUNNING},
                       {'name': 'livepatch_fix', 'kernel': OTHER})
    made.check_input()
    first, second, third = made.entries
    assert first.problems == [] and third.problems == []
    assert second.problems == ['the same patch as patches[0] (livepatch-fix) for kernel %s (dashes and underscores '
                               'are the same): list it once' % RUNNING]


def test_an_entry_for_another_kernel_is_skipped_and_the_others_planned(tmpdir):
    made = transaction(tmpdir, {'name': 'livepatch_old', 'kernel': OTHER}, {'name': 'livepatch_new'})
    made.check_input()
    assert made.entries[0].skipped == ('livepatch_old skipped: built for kernel %s, the host runs %s'
                                       % (OTHER, RUNNING))
    assert [entry.name for entry in made.planned()] == ['livepatch_new']


def test_a_bad_name_is_a_problem_even_for_another_kernel(tmpdir):
    made = transaction(tmpdir, {'name': 'livepatch fix', 'kernel': OTHER})
    made.check_input()
    assert made.entries[0].problems == ["name: 'livepatch fix' is not a kernel module name (1 to 55 letters, "
                                        'digits, "_" or "-")']
    assert made.entries[0].skipped is None and made.planned() == []


# ---------------------------------------------------------------------------
# This collection's boot unit goes with the last installed patch
# ---------------------------------------------------------------------------

def planned(tmpdir, *steps_and_states):
    made = transaction(tmpdir, *[{'name': 'livepatch_%d' % index, 'state': state}
                                 for index, (_steps, state) in enumerate(steps_and_states)])
    for entry, (steps, _state) in zip(made.entries, steps_and_states):
        entry.steps = list(steps)
    return made


def install(tmpdir, kernel, name):
    tmpdir.join('var', 'lib', 'kpatch', kernel, name + '.ko').write('', ensure=True)


def own_unit(tmpdir):
    tmpdir.join(*livepatch.OWN_UNIT_PATH.strip('/').split('/')).write(livepatch.OWN_UNIT_TEXT, ensure=True)


def test_the_unit_goes_with_the_last_removal_when_nothing_stays_installed(tmpdir):
    own_unit(tmpdir)
    install(tmpdir, RUNNING, 'livepatch_0')
    install(tmpdir, RUNNING, 'livepatch_2')
    made = planned(tmpdir, (['remove'], 'absent'), ([], 'disabled'), (['disable', 'rmmod', 'remove'], 'absent'))
    made.plan_unboot(made.entries)
    assert [entry.steps for entry in made.entries] == [['remove'], [], ['disable', 'rmmod', 'remove', 'unboot']]


@pytest.mark.parametrize('why', ['another kernel', 'installed by the list', 'not ours'])
def test_the_unit_stays_while_a_patch_stays_installed_or_when_it_is_not_ours(tmpdir, why):
    install(tmpdir, RUNNING, 'livepatch_0')
    if why != 'not ours':
        own_unit(tmpdir)
    if why == 'another kernel':
        install(tmpdir, OTHER, 'livepatch_old')
    second = (['insmod', 'copy'], 'installed') if why == 'installed by the list' else ([], 'loaded')
    made = planned(tmpdir, (['remove'], 'absent'), second)
    made.plan_unboot(made.entries)
    assert made.entries[0].steps == ['remove']

# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of tencentos.fleet.tencentos_facts: facts that merge, gathered once per host per play.

Ansible stores a module's ``ansible_facts`` by replacing each top-level key, so a call that gathers fewer
subsets than an earlier one would replace ``ansible_facts.tencentos`` and take the other subsets away (the
repos role's handler, at the end of a play, then found no ``release``). This plugin:

- merges: the subsets gathered now replace the same subsets of the host's ``ansible_facts.tencentos``,
  the others stay;
- gathers the facts once per host per play: a call whose subsets were all gathered in the same play runs
  no module and returns the facts the host has; a call that asks for some more runs the module for those and
  for every other subset the roles read (release, kernel, features, virtualization; not repos, which the repos
  role changes in the same play) not gathered yet in the play, as a module's start on the host costs far more
  than reading them, so that the later calls of the play run none;
- ``refresh: true`` (a task that follows a change of what the facts describe: a reboot, a loaded patch)
  gathers the requested subsets again, and only those; the subsets gathered earlier in the play count as
  not gathered any more, so that the next call that asks for one of them gathers it again;
- records what it gathered, and in which play, in ``ansible_facts.tencentos.gathered``.

The play is told by the uuid of the task's play (``Task.get_play()``, the same on ansible-core 2.16 to
2.21): a new play (the next play of the playbook, another ansible-playbook run, facts from a fact cache)
gathers again.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.tencentos.fleet.plugins.module_utils.host_facts import SUBSETS

# The key of ansible_facts.tencentos that records what was gathered in which play; never a subset of the module.
GATHERED = 'gathered'
# What a run gathers besides the subsets asked for: those the roles read. Not repos: the repos role changes what it
# describes, so gathered early by another call it would be stale for a call after the role (gathered only when asked).
ALONGSIDE = ('release', 'kernel', 'features', 'virtualization')


def requested_subsets(gather_subset):
    """The subsets a gather_subset option asks for, in the module's order; None for a value the module refuses.

    The module reads its option as Ansible reads a list (a comma-separated string is a list too); a value it
    would refuse is handed to it unchanged, so that the module's own message reports it.
    """
    if gather_subset is None:
        return list(SUBSETS)
    if isinstance(gather_subset, str):
        items = [item.strip() for item in gather_subset.split(',')]
    elif isinstance(gather_subset, (list, tuple)):
        items = list(gather_subset)
    else:
        return None
    if any(not isinstance(item, str) or item not in ('all',) + SUBSETS for item in items):
        return None
    if 'all' in items:
        return list(SUBSETS)
    return [subset for subset in SUBSETS if subset in items]


def subsets_gathered_in(facts, play):
    """The subsets that ``facts`` (the host's ansible_facts.tencentos) record as gathered in ``play``."""
    record = facts.get(GATHERED) if isinstance(facts, Mapping) else None
    if play is None or not isinstance(record, Mapping) or record.get('play') != play:
        return []
    subsets = record.get('subsets')
    if not isinstance(subsets, (list, tuple)):
        return []
    return [subset for subset in SUBSETS if subset in subsets]


def plan(requested, known, play, refresh):
    """What a call does: (subsets to gather now, or None to run no module; subsets taken from ``known``).

    ``requested``: requested_subsets(); ``known``: the host's ansible_facts.tencentos; ``play``: the uuid of the
    play, None when it cannot be told (then every call gathers what it asks for).
    """
    already = [] if refresh else subsets_gathered_in(known, play)
    reused = [subset for subset in requested if subset in already]
    if already and len(reused) == len(requested):
        return None, reused
    if refresh or play is None:
        return requested, reused
    # The module's start on the host costs far more than reading the other subsets: a run also gathers those the
    # roles read, so that the later calls of the play (the next roles') run no module.
    return [subset for subset in SUBSETS if subset not in already and (subset in requested or subset in ALONGSIDE)], reused


def merge(known, gathered_facts, subsets, play, refresh):
    """The host's ansible_facts.tencentos after a module run: ``known`` with the subsets of ``gathered_facts``
    replaced, the others kept, and the record of what was gathered in ``play``."""
    merged = dict((key, value) for key, value in (known or {}).items() if key != GATHERED)
    merged.update(gathered_facts)
    before = [] if refresh else subsets_gathered_in(known, play)
    merged[GATHERED] = {'subsets': [subset for subset in SUBSETS if subset in before or subset in subsets],
                        'play': play}
    return merged


def describe(gathered, reused):
    """The msg of a call: what it gathered and what it took from earlier in the play."""
    parts = []
    if gathered is None:
        parts.append('%s already gathered in this play, not gathered again (refresh: true gathers them again)'
                     % (', '.join(reused) or 'no subset'))
    else:
        parts.append('gathered %s' % (', '.join(gathered) or 'no subset (python only)'))
        if reused:
            parts.append('%s already gathered in this play' % ', '.join(reused))
    return '; '.join(parts)


class ActionModule(ActionBase):
    """Runs tencentos_facts once per play for the subsets not gathered yet, and merges what it returns."""

    _supports_check_mode = True
    # An async job returns no facts to merge.
    _supports_async = False

    def _play_id(self):
        """The uuid of the task's play, or None for a task outside a play."""
        try:
            play = self._task.get_play()
        except AttributeError:
            return None
        play_id = getattr(play, '_uuid', None)
        return str(play_id) if play_id else None

    def _known_facts(self, task_vars):
        """The ansible_facts.tencentos of the host the facts are stored for (the delegated one with delegate_facts)."""
        task_vars = task_vars or {}
        facts = task_vars.get('ansible_facts')
        if self._task.delegate_to and self._task.delegate_facts:
            hostvars, delegated, facts = task_vars.get('hostvars'), self._task.delegate_to, None
            if isinstance(hostvars, Mapping) and delegated in hostvars:
                variables = hostvars[delegated]
                facts = variables.get('ansible_facts') if isinstance(variables, Mapping) else None
        known = facts.get('tencentos') if isinstance(facts, Mapping) else None
        return known if isinstance(known, Mapping) else {}

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        module_args = dict(self._task.args)
        try:
            refresh = boolean(module_args.pop('refresh', False), strict=True)
        except TypeError:
            result.update(failed=True, msg='refresh is %r: it must be true or false' % self._task.args.get('refresh'))
            return result

        requested = requested_subsets(module_args.get('gather_subset'))
        play = self._play_id()
        known = self._known_facts(task_vars)
        if requested is None:
            # A gather_subset the module refuses: the module says why.
            to_gather, reused = None, []
        else:
            to_gather, reused = plan(requested, known, play, refresh)
            if to_gather is None:
                result.update(changed=False, ansible_facts={'tencentos': dict(known)}, msg=describe(None, reused))
                return result
            module_args['gather_subset'] = to_gather

        try:
            module_result = self._execute_module(module_args=module_args, task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(module_result)
        gathered_facts = (module_result.get('ansible_facts') or {}).get('tencentos')
        if module_result.get('failed') or not isinstance(gathered_facts, Mapping) or to_gather is None:
            return result
        result['ansible_facts'] = dict(module_result['ansible_facts'],
                                       tencentos=merge(known, gathered_facts, to_gather, play, refresh))
        result['msg'] = describe(to_gather, reused)
        return result

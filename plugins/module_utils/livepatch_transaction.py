# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A list of kernel hot patches applied to the running kernel as one transaction.

1. check: every entry is checked before anything changes, and every problem is collected, so that one
   refusal names them all; entries built for another kernel are skipped, with the reason;
2. apply: the entries are loaded or unloaded in the order given (the kernel runs one transition at a
   time), each action journalled with its undo;
3. verify: the kernel's patches are read once after the list: each patch wanted active is enabled with
   no transition, none wanted gone is registered;
4. persist (only after verify): installed copies in kpatch's layout and the boot unit, copies of absent
   patches removed; every file replaced or removed is saved first (livepatch_backup);
5. undo, on a failure in 2 to 4: the journal in reverse. Saved files are put back, files this run made
   are removed, patches this run activated are disabled and unloaded (newest first), and a kpatch core
   module this run loaded is unloaded if no patch uses it. Patches this run took out as asked stay out:
   loading them again would start another transition that can stall, and needs a module file the entry
   need not name.

Section numbers refer to the facts sheet ``docs/tencentos-facts.md`` (section 4: the sysfs ABI and
kpatch's layout; section 8: the kpatch core module). Target Pythons 2.7 and 3.6 to 3.13, standard
library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.module_utils.features import read_hot_patches
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_backup import Backups, backup_dir_problem
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_host import (
    KMOD_DIRS, OWN_BOOT_UNIT_PATHS, Host, PatchError, boot_unit_paths, enable_boot_unit, kernel_problem, read_source,
    reload_systemd, remove_boot_unit, same_file)

# The steps of livepatch.plan that change files, done in the persist phase; the others change the kernel.
PERSIST_STEPS = ('copy', 'boot', 'remove', 'unboot')
UNIT_PATHS = set(OWN_BOOT_UNIT_PATHS) | set([livepatch.WANTS_DIR + '/' + livepatch.KPATCH_UNIT])


def raise_patch_error(msg):
    """Host's answer to a missing command in a transaction: a failure that the undo handles."""
    raise PatchError(msg)


class Entry:
    """One item of the list: as given, as checked and planned, and what became of it."""

    def __init__(self, index, item, running_kernel, list_name='patches'):
        self.index = index
        self.given_name = item.get('name') or ''
        self.label = '%s[%d] (%s)' % (list_name, index, self.given_name)
        self.name = livepatch.module_name(self.given_name)
        self.kernel = item.get('kernel') or running_kernel
        self.src = item.get('src')
        self.state = item.get('state') or 'installed'
        self.problems = []
        # Why it is left out (built for another kernel), or None.
        self.skipped = None
        self.host = None
        self.status = None
        self.source = None
        self.source_there = False
        self.patch_format = None
        self.unit = None
        self.steps = []

    @property
    def wants_active(self):
        return self.state in livepatch.LOADING_STATES

    @property
    def kernel_steps(self):
        return [step for step in self.steps if step not in PERSIST_STEPS]

    @property
    def persist_steps(self):
        return [step for step in self.steps if step in PERSIST_STEPS]


class Journal:
    """What a run did, in order, each with the function that undoes it."""

    def __init__(self):
        self.done = []

    def record(self, entry, what, undo):
        """``entry``: the list item the action belongs to (None for the kpatch core); ``what``: for messages."""
        self.done.append((entry, what, undo))

    def undo(self):
        """Undo everything, newest first; an undo that fails does not stop the others.

        Returns ``(undone, left)``: the ``(entry, what)`` undone, and a sentence for each one that failed.
        """
        undone, left = [], []
        while self.done:
            entry, what, undo = self.done.pop()
            try:
                undo()
            except Exception as error:  # pylint: disable=broad-except  # the older ones are undone all the same
                left.append('%s: %s' % (what, error))
            else:
                undone.append((entry, what))
        return undone, left


class Transaction:
    """A list of patch entries (dicts with name, kernel, src, state) for the running ``kernel``.

    ``check()`` plans and returns every problem; ``run()`` applies, verifies, persists, and undoes on a
    failure. The attributes tell the module what to report.
    """

    def __init__(self, module, root, kernel, items, timeout, list_name='patches'):
        self.module = module
        self.root = root
        self.kernel = kernel
        self.timeout = timeout
        self.entries = [Entry(index, item, kernel, list_name) for index, item in enumerate(items)]
        # Problems of the host rather than of one entry (a missing command, a patch in transition).
        self.host_problems = []
        self.warnings = []
        self.journal = Journal()
        self.backups = Backups(root, module)
        # The entry being worked on, for the failure's message.
        self.current = None
        # After a failed run: the entry that failed (None when no single one did), what was seen, what undo
        # did (entry names newest first, whether the kpatch core was unloaded again), and what it could not.
        self.failed = None
        self.failure = None
        self.rolled_back = []
        self.core_unloaded = False
        self.left = []
        self.before = {}

    # --- which entries --------------------------------------------------------------------------------

    def planned(self):
        """The entries for the running kernel that passed the checks, in order."""
        return [entry for entry in self.entries if not entry.skipped and not entry.problems]

    def changes(self):
        return any(entry.steps for entry in self.planned())

    # --- 1. check ---------------------------------------------------------------------------------------

    def check(self):
        """Check and plan every entry, changing nothing; return every problem, each naming its entry."""
        self.check_input()
        self.plan(self.planned())
        problems = []
        for entry in self.entries:
            if entry.problems:
                problems.append('%s: %s' % (entry.label, '; '.join(entry.problems)))
        return problems + self.host_problems

    def check_input(self):
        """The entries' own problems (name rule, duplicates), and which are for another kernel."""
        seen = {}
        for entry in self.entries:
            problem = livepatch.name_problem(entry.given_name)
            if problem:
                entry.problems.append(problem)
                continue
            # The kernel names a module with underscores: livepatch-fix and livepatch_fix are one patch.
            key = (entry.name, entry.kernel)
            if key in seen:
                entry.problems.append('the same patch as %s for kernel %s (dashes and underscores are the same): '
                                      'list it once' % (seen[key].label, entry.kernel))
                continue
            seen[key] = entry
            if entry.kernel != self.kernel:
                entry.skipped = '%s skipped: built for kernel %s, the host runs %s' % (
                    entry.name, entry.kernel, self.kernel)

    def plan(self, entries):
        """Each entry's steps from what the host shows, as if the entries before it had been applied."""
        modinfo = self.module.get_bin_path('modinfo', opt_dirs=KMOD_DIRS)
        if not modinfo and any(entry.wants_active for entry in entries):
            self.host_problems.append('modinfo not found: install the kmod package')
        kpatch_cli = self.module.get_bin_path('kpatch', opt_dirs=KMOD_DIRS)
        core_loaded = livepatch.kpatch_core_loaded(self.root)
        units_ready = set()
        for entry in entries:
            entry.host = Host(self.module, self.root, entry.name, self.kernel, self.timeout, raise_patch_error)
            entry.status = livepatch.patch_status(self.root, entry.name, self.kernel)
            self.before[entry.name] = entry.status
            if entry.wants_active:
                self.check_source(entry, bool(modinfo))
                if entry.problems:
                    continue
            file_current = boot_ready = True
            if entry.state == 'installed':
                entry.unit = livepatch.boot_unit(self.root, kpatch_cli, entry.patch_format)
                file_current = entry.source_there and same_file(self.module, self.root, entry.source,
                                                                entry.status['installed'])
                # One boot unit loads every installed patch: enabled for the first entry, ready for the next.
                boot_ready = entry.unit[0] in units_ready or livepatch.boot_unit_ready(self.root, *entry.unit)
                units_ready.add(entry.unit[0])
            load_core = entry.patch_format == 'kpatch' and not core_loaded
            entry.steps = livepatch.plan(entry.status, entry.state, file_current, boot_ready, load_core)
            if 'modprobe' in entry.steps:
                self.check_kpatch_core(entry)
                # Loaded by then for the entries after this one.
                core_loaded = True
            if 'copy' in entry.steps:
                problem = self.in_the_way(livepatch.installed_path(self.kernel, entry.name))
                if problem:
                    entry.problems.append(problem)
        self.plan_unboot(entries)
        self.check_host(entries)

    def in_the_way(self, target):
        """Why the installed copy cannot be written at ``target`` (a host path), or None."""
        full = host_path(self.root, target)
        if os.path.islink(full):
            # The copy would replace the file the link points to, which the backup (of the link) cannot put back.
            return '%s is in the way of the installed copy: it is a symbolic link' % target
        if os.path.lexists(full) and not os.path.isfile(full):
            return '%s is in the way of the installed copy: it is not a file' % target
        return None

    def check_source(self, entry, modinfo_there):
        """The file to load: given or installed, on the host, the module named, built for this kernel."""
        entry.source = entry.src or entry.status['installed']
        if not entry.source:
            entry.problems.append('src: required to load %s, which is not installed for kernel %s (no %s)'
                                  % (entry.name, self.kernel, livepatch.installed_path(self.kernel, entry.name)))
            return
        entry.source_there = os.path.isfile(host_path(self.root, entry.source))
        if not entry.source_there:
            if not self.module.check_mode:
                entry.problems.append('src: %s is not a file on the host' % entry.source)
                return
            # A check run of a role predicts the load of a file that an earlier task (a download, a
            # package) would have put there.
            self.warnings.append('%s: src: %s is not on the host yet (check mode): its name and vermagic were not '
                                 'checked' % (entry.label, entry.source))
        elif modinfo_there:
            problem, entry.patch_format = read_source(entry.host, entry.source)
            if problem:
                entry.problems.append(problem)
                return
        problem = kernel_problem(self.root, self.kernel, entry.source, entry.patch_format)
        if problem:
            entry.problems.append(problem)

    def check_kpatch_core(self, entry):
        """A kpatch-format patch whose core is not loaded: `modprobe --dry-run` must find the core module."""
        if not self.module.get_bin_path('modprobe', opt_dirs=KMOD_DIRS):
            problem = 'modprobe not found: install the kmod package'
            if problem not in self.host_problems:
                self.host_problems.append(problem)
            return
        problem = entry.host.kpatch_core_problem()
        if problem:
            entry.problems.append(
                'src: %s is a kpatch-format patch (it depends on the kpatch core module %s), and kernel %s has no '
                'kpatch core module to load (modprobe --dry-run %s: %s)'
                % (entry.source, livepatch.KPATCH_CORE, self.kernel, livepatch.KPATCH_CORE, problem))

    def plan_unboot(self, entries):
        """This collection's boot unit goes with the last installed patch of any kernel, as in the livepatch module."""
        removing = [entry for entry in entries if 'remove' in entry.steps]
        if not removing or not os.path.lexists(host_path(self.root, livepatch.OWN_UNIT_PATH)):
            return
        remaining = set(livepatch.installed_files(self.root))
        for entry in entries:
            if 'remove' in entry.steps:
                remaining.discard((self.kernel, entry.name))
            elif entry.state == 'installed':
                remaining.add((self.kernel, entry.name))
        if not remaining:
            removing[-1].steps.append('unboot')

    def check_host(self, entries):
        """What the whole run needs of the host: no transition in progress, the kmod commands, room for backups."""
        touches_kernel = any(entry.kernel_steps for entry in entries)
        busy = livepatch.patches_in_transition(read_hot_patches(self.root))
        if busy and (touches_kernel or any(entry.name in busy for entry in entries)):
            self.host_problems.append('patch %s is in transition: the kernel runs one transition at a time; wait for '
                                      'it or see docs/hotpatch.md, "A stalled transition"' % ', '.join(busy))
        if touches_kernel:
            # A load can stall and a disable is followed by an unload, and an undo unloads: both commands are
            # looked up now, not found missing after the kernel was touched.
            for tool in ('insmod', 'rmmod'):
                if not self.module.get_bin_path(tool, opt_dirs=KMOD_DIRS):
                    self.host_problems.append('%s not found: install the kmod package' % tool)
        if any(entry.persist_steps for entry in entries):
            problem = backup_dir_problem(self.root)
            if problem:
                self.host_problems.append(problem)

    # --- 2 to 5 -------------------------------------------------------------------------------------------

    def run(self):
        """Apply, verify and persist; on a failure undo. Returns True when the whole list went through."""
        try:
            self.apply()
            self.verify()
            self.persist()
        except Exception as error:  # pylint: disable=broad-except  # whatever failed, the list is undone
            self.failed = self.current
            self.failure = str(error) if isinstance(error, (PatchError, IOError, OSError)) else '%s: %s' % (
                type(error).__name__, error)
            self.undo()
            return False
        self.discard_backups()
        return True

    def apply(self):
        for entry in self.planned():
            self.current = entry
            for step in entry.kernel_steps:
                self.kernel_step(entry, step)

    def kernel_step(self, entry, step):
        host = entry.host
        if step == 'modprobe':
            try:
                host.load_kpatch_core()
            finally:
                # Also when the core loaded but showed no /sys/kernel/kpatch: it is to be unloaded again.
                if host.core_loaded_here:
                    self.journal.record(None, 'the kpatch core module this run loaded',
                                        lambda: self.unload_kpatch_core(host))
        elif step == 'insmod':
            # A load that fails or stalls is undone by Host itself; only a completed one is journalled.
            host.insmod(entry.source)
            self.journal.record(entry, '%s, loaded by this run' % entry.name, lambda: self.take_out(entry, True))
        elif step == 'enable':
            host.enable()
            self.journal.record(entry, '%s, enabled by this run' % entry.name, lambda: self.take_out(entry, False))
        elif step == 'disable':
            host.disable()
        elif step == 'rmmod':
            # Either the unload asked for, or a module a 5.1+ kernel left loaded after a disable, taken out
            # before insmod: it was not active, and it comes back with the insmod.
            host.rmmod()

    def take_out(self, entry, loaded_here):
        """Undo an activation: disable the patch, and unload the module if this run loaded it."""
        host = entry.host
        status = host.status()
        if status['registered'] and status['enabled']:
            host.disable()
        if loaded_here and host.status()['module_loaded']:
            host.rmmod()

    def unload_kpatch_core(self, host):
        users = [patch['name'] for patch in read_hot_patches(self.root) if patch['abi'] == 'kpatch']
        if users:
            raise PatchError('it stays loaded: %s use it' % ', '.join(users))
        rc, _out, err = host.run('rmmod', livepatch.KPATCH_CORE)
        if rc != 0:
            raise PatchError('it stays loaded (rmmod %s failed: %s)' % (livepatch.KPATCH_CORE, err.strip()))

    def verify(self):
        """Read the kernel's patches once after the list: each one asked active is, none asked gone is there."""
        self.current = None
        patches = read_hot_patches(self.root)
        active = set(patch['name'] for patch in patches if patch['enabled'] and not patch['transition'])
        registered = set(patch['name'] for patch in patches)
        entries = self.planned()
        not_active = [entry for entry in entries if entry.wants_active and entry.name not in active]
        still_there = [entry for entry in entries if not entry.wants_active and entry.name in registered]
        if not not_active and not still_there:
            return
        self.current = sorted(not_active + still_there, key=lambda entry: entry.index)[0]
        wrong = []
        if not_active:
            wrong.append('%s not active' % ', '.join(entry.name for entry in not_active))
        if still_there:
            wrong.append('%s still registered' % ', '.join(entry.name for entry in still_there))
        view = ', '.join('%s enabled=%d transition=%d' % (patch['name'], patch['enabled'], patch['transition'])
                         for patch in patches)
        raise PatchError('after the list, kernel %s has %s (the kernel\'s view: %s)'
                         % (self.kernel, ' and '.join(wrong), view or 'no patch registered'))

    def persist(self):
        for entry in self.planned():
            self.current = entry
            for step in entry.persist_steps:
                paths = self.paths_changed_by(entry, step)
                for path in paths:
                    self.backups.save(path)
                # Journalled before the step: one that fails half-way is put back as well.
                self.journal.record(entry, '%s of %s' % (step, entry.name), lambda paths=paths: self.put_back(paths))
                self.persist_step(entry, step)

    def paths_changed_by(self, entry, step):
        if step == 'copy':
            target = livepatch.installed_path(self.kernel, entry.name)
            return [target] + [path for path in livepatch.installed_copies(self.root, self.kernel, entry.name)
                               if path != target]
        if step == 'remove':
            return livepatch.installed_copies(self.root, self.kernel, entry.name)
        if step == 'boot':
            return boot_unit_paths(entry.unit)
        return list(OWN_BOOT_UNIT_PATHS)

    def persist_step(self, entry, step):
        try:
            if step == 'copy':
                entry.host.copy(entry.source)
            elif step == 'boot':
                enable_boot_unit(self.module, self.root, entry.unit)
            elif step == 'remove':
                entry.host.remove()
            else:
                remove_boot_unit(self.module, self.root)
        except (IOError, OSError) as error:
            raise PatchError('%s of %s failed: %s' % (step, entry.name, error))

    def put_back(self, paths):
        left = self.backups.restore(paths)
        if UNIT_PATHS.intersection(paths):
            reload_systemd(self.module, self.root)
        if left:
            raise PatchError('; '.join(left))

    def undo(self):
        undone, self.left = self.journal.undo()
        names = set(entry.name for entry, _what in undone if entry is not None)
        self.rolled_back = [entry.name for entry in reversed(self.planned()) if entry.name in names]
        self.core_unloaded = any(entry is None for entry, _what in undone)
        if not self.left:
            self.discard_backups()

    def discard_backups(self):
        try:
            self.backups.discard()
        except (IOError, OSError) as error:
            self.warnings.append('the backup directory %s could not be deleted: %s' % (self.backups.directory, error))

    # --- what became of each entry ------------------------------------------------------------------------

    def outcome(self, entry):
        """patched, unchanged or skipped; failed for the entry that failed.

        After a failure, an entry counts as patched when its patch differs from before the run (an undo left
        something, or the entry took it out as asked), so that ``patched`` says what the host has now.
        """
        if entry.skipped:
            return 'skipped'
        if self.failure is None:
            return 'patched' if entry.steps else 'unchanged'
        if entry is self.failed:
            return 'failed'
        return 'patched' if self.differs(entry) else 'unchanged'

    def status_now(self, entry):
        return livepatch.patch_status(self.root, entry.name, self.kernel)

    def differs(self, entry):
        """Whether the entry's patch (kernel and installed copy) is not as it was before the run."""
        return entry.name in self.before and self.status_now(entry) != self.before[entry.name]

    def taken_out(self):
        """Entries asked to be disabled or absent whose patch this run took out and the undo left out."""
        if self.failure is None:
            return []
        return [entry.name for entry in self.planned() if self.taken_out_by_run(entry)]

    def taken_out_by_run(self, entry):
        """Whether the run unloaded the patch of an entry asked to be disabled or absent (the failed entry aside)."""
        if entry.wants_active or entry is self.failed:
            return False
        return self.before[entry.name]['module_loaded'] and not self.status_now(entry)['module_loaded']

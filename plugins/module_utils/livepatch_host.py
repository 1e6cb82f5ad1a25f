# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's kernel hot patches as the livepatch modules touch them: kmod commands, sysfs attributes, files.

Shared by the livepatch module (one patch) and the livepatch_set module (a list as one transaction).
The knowledge of what a patch is and which steps move it between states is in
:mod:`livepatch`; this file carries those steps out on the host. Section numbers refer to the facts
sheet ``docs/tencentos-facts.md`` (section 4: the sysfs ABI; section 8: the kpatch core module).

Target Pythons 2.7 and 3.6 to 3.13, standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.module_utils.features import (
    KPATCH_SYSFS, LIVEPATCH_SYSFS, hot_patch_dirs, livepatch_abi)
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, write_atomically

# Injected so that unit tests need not wait: they replace these module-level names.
sleep = time.sleep
clock = time.time

KMOD_DIRS = ['/sbin', '/usr/sbin']
# rmmod right after a disable can find the module still referenced while the kernel frees the patch.
RMMOD_ATTEMPTS = 10


class PatchError(Exception):
    """A step failed; the message says what was seen and what was done about it."""


class Host:
    """The running host as the livepatch modules touch it for one patch: kmod commands, sysfs attributes, files."""

    def __init__(self, module, root, name, kernel, timeout, fail=None):
        self.module = module
        self.root = root
        self.name = name
        self.kernel = kernel
        self.timeout = timeout
        # How a missing command ends the run: the livepatch module passes the fail that adds the patch's
        # report, livepatch_set one that raises PatchError so that its undo runs.
        self.fail = fail or (lambda msg: module.fail_json(msg=msg))
        # Set once this task loaded the kpatch core module, so that a failure can undo it.
        self.core_loaded_here = False

    def command(self, tool):
        path = self.module.get_bin_path(tool, opt_dirs=KMOD_DIRS)
        if not path:
            self.fail('%s not found: install the kmod package; nothing was changed' % tool)
        return path

    def run(self, tool, *args):
        return self.module.run_command([self.command(tool)] + list(args))

    def status(self):
        return livepatch.patch_status(self.root, self.name, self.kernel)

    def write_attribute(self, attribute, value):
        if attribute == 'force':
            # Forcing completes a stalled transition by leaving tasks on unpatched code and makes the
            # module unremovable until reboot (section 4): never done here.
            raise ValueError('the force attribute is never written')
        directory = self.directory()
        if directory is None:
            raise PatchError('%s is not registered by the kernel: cannot write %s' % (self.name, attribute))
        with open(host_path(self.root, directory + '/' + attribute), 'w') as handle:
            handle.write(value)

    def directory(self):
        for _abi, name, directory in hot_patch_dirs(self.root):
            if name == self.name:
                return directory
        return None

    def settled(self, enabled):
        """The patch's transition completed towards ``enabled``; a disabled patch may also be freed (5.1+)."""
        status = self.status()
        if not status['registered']:
            return not enabled
        return status['enabled'] == enabled and not status['transition']

    def wait(self, enabled):
        return livepatch.wait_for(lambda: self.settled(enabled), self.timeout, sleep, clock)

    def rmmod(self):
        for attempt in range(RMMOD_ATTEMPTS):
            rc, _out, err = self.run('rmmod', self.name)
            if rc == 0:
                return
            if 'in use' not in err or attempt == RMMOD_ATTEMPTS - 1:
                raise PatchError('rmmod %s failed: %s' % (self.name, err.strip()))
            sleep(0.5)

    def stalled(self, enabled, waited, loaded_here):
        """A transition did not complete: reverse it (disable), unload what this task loaded, and say so."""
        seen = self.status()
        blocking = livepatch.blocking_tasks(self.root, 1 if enabled else 0)
        message = ('%s: the transition to %s did not complete in %d s (enabled=%d transition=%d)%s'
                   % (self.name, 'patched' if enabled else 'unpatched', waited, seen['enabled'], seen['transition'],
                      '; tasks not yet switched: ' + ', '.join(blocking) if blocking else ''))
        if not enabled:
            return PatchError(message + '; left as it is: never forced; see docs/hotpatch.md, "A stalled transition"')
        # Writing 0 during a transition reverses it (kernel Documentation/livepatch/livepatch.rst).
        self.write_attribute('enabled', '0')
        reversed_, reverse_waited = self.wait(False)
        if not reversed_:
            return PatchError(message + '; disabled, but the reversal did not complete in %d s either: the patch is '
                              'left loaded and in transition, never forced; see docs/hotpatch.md, '
                              '"A stalled transition"' % reverse_waited)
        if loaded_here:
            self.rmmod()
            return PatchError(message + '; disabled (reversed in %.1f s) and unloaded: the kernel is as before'
                              % reverse_waited)
        return PatchError(message + '; disabled again (reversed in %.1f s): the kernel is as before' % reverse_waited)

    def kpatch_core_problem(self):
        """Why the kpatch core module cannot be loaded into the running kernel, or None.

        `modprobe --dry-run` looks the module up for the running kernel as a load would, and changes
        nothing.
        """
        rc, out, err = self.run('modprobe', '--dry-run', livepatch.KPATCH_CORE)
        if rc != 0:
            return (err or out).strip() or 'exit code %d' % rc
        return None

    def load_kpatch_core(self):
        rc, _out, err = self.run('modprobe', livepatch.KPATCH_CORE)
        if rc != 0:
            raise PatchError('modprobe %s failed: %s; nothing was loaded' % (livepatch.KPATCH_CORE, err.strip()))
        self.core_loaded_here = True
        if not livepatch.kpatch_core_loaded(self.root):
            raise PatchError('modprobe %s succeeded but %s did not appear: not the kpatch core module?'
                             % (livepatch.KPATCH_CORE, KPATCH_SYSFS))

    def undo_kpatch_core(self):
        """Unload the kpatch core module this task loaded, its patch having failed: a note for the message."""
        rc, _out, err = self.run('rmmod', livepatch.KPATCH_CORE)
        if rc == 0:
            self.core_loaded_here = False
            return 'the kpatch core module this task loaded was unloaded again'
        return 'the kpatch core module this task loaded stays loaded (rmmod %s failed: %s)' % (
            livepatch.KPATCH_CORE, err.strip())

    def insmod(self, source):
        rc, _out, err = self.run('insmod', host_path(self.root, source))
        if rc != 0:
            raise PatchError('insmod %s failed: %s; nothing was loaded' % (source, err.strip()))
        self.activate(loaded_here=True)

    def enable(self):
        self.write_attribute('enabled', '1')
        self.activate(loaded_here=False)

    def activate(self, loaded_here):
        settled, waited = self.wait(True)
        if settled:
            return
        if not self.status()['registered']:
            self.rmmod()
            raise PatchError('%s loaded but registered no patch below /sys/kernel/livepatch or /sys/kernel/kpatch '
                             'within %d s (not a live patch module?); unloaded it' % (self.name, waited))
        raise self.stalled(True, waited, loaded_here)

    def disable(self):
        self.write_attribute('enabled', '0')
        settled, waited = self.wait(False)
        if not settled:
            raise self.stalled(False, waited, loaded_here=False)

    def copy(self, source):
        target = livepatch.installed_path(self.kernel, self.name)
        write_atomically(host_path(self.root, target), read_bytes(host_path(self.root, source)), 0o644, self.module)
        # A copy under a dashed file name would be loaded at boot too, after this one: "File exists".
        for path in livepatch.installed_copies(self.root, self.kernel, self.name):
            if path != target:
                os.remove(host_path(self.root, path))

    def remove(self):
        for path in livepatch.installed_copies(self.root, self.kernel, self.name):
            os.remove(host_path(self.root, path))


def read_bytes(path):
    with open(path, 'rb') as handle:
        return handle.read()


def boot_unit_paths(unit):
    """The host paths enable_boot_unit writes for ``unit`` (name, path, text): the wants link, and ours' files."""
    name, path, text = unit
    written = [livepatch.WANTS_DIR + '/' + name]
    if text is not None:
        written = [livepatch.OWN_SCRIPT_PATH, path] + written
    return written


# The host paths remove_boot_unit removes.
OWN_BOOT_UNIT_PATHS = (livepatch.WANTS_DIR + '/' + livepatch.OWN_UNIT, livepatch.OWN_UNIT_PATH,
                       livepatch.OWN_SCRIPT_PATH)


def enable_boot_unit(module, root, unit):
    """Put the boot unit in place and enable it as `systemctl enable` does: a link in the target's wants."""
    name, path, text = unit
    if text is not None:
        write_atomically(host_path(root, livepatch.OWN_SCRIPT_PATH), livepatch.OWN_SCRIPT.encode('utf-8'), 0o755, module)
        write_atomically(host_path(root, path), text.encode('utf-8'), 0o644, module)
    link = host_path(root, livepatch.WANTS_DIR + '/' + name)
    if not os.path.isdir(os.path.dirname(link)):
        os.makedirs(os.path.dirname(link), 0o755)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(path, link)
    reload_systemd(module, root)


def remove_boot_unit(module, root):
    for path in OWN_BOOT_UNIT_PATHS:
        if os.path.lexists(host_path(root, path)):
            os.remove(host_path(root, path))
    reload_systemd(module, root)


def reload_systemd(module, root):
    """Let a running systemd see the unit change; hosts without systemd as PID 1 read it at boot."""
    systemctl = module.get_bin_path('systemctl')
    if systemctl and root == '/' and os.path.isdir('/run/systemd/system'):
        module.run_command([systemctl, 'daemon-reload'], check_rc=True)


def read_source(host, source):
    """``(problem, format)``: why ``source`` cannot be loaded as the host's patch into its running kernel
    (or None), and its format (see livepatch.patch_format)."""
    name, kernel = host.name, host.kernel
    rc, out, err = host.run('modinfo', host_path(host.root, source))
    if rc != 0:
        return 'src: modinfo cannot read %s: %s' % (source, (err or out).strip()), None
    info = livepatch.parse_modinfo(out)
    patch_format = livepatch.patch_format(info)
    inside = livepatch.module_name(info.get('name', ''))
    if inside != name:
        return ('src: %s is the module %r, not %r (name must be the module name modinfo prints)'
                % (source, inside, name)), patch_format
    built_for = livepatch.vermagic_kernel(info.get('vermagic'))
    if built_for != kernel:
        return ('src: %s was built for kernel %s (vermagic %r); the running kernel is %s'
                % (source, built_for, info.get('vermagic'), kernel)), patch_format
    return None, patch_format


def kernel_problem(root, kernel, source, patch_format):
    """Why the running kernel cannot take a patch of ``patch_format`` at all, or None.

    A kpatch-format patch is checked later, against the kpatch core module (Host.kpatch_core_problem).
    """
    if patch_format == 'livepatch' and not os.path.isdir(host_path(root, LIVEPATCH_SYSFS)):
        return ('src: %s is a livepatch-format patch (modinfo livepatch: Y), and kernel %s has no %s (no livepatch '
                'core): it cannot be loaded' % (source, kernel, LIVEPATCH_SYSFS))
    if patch_format is None and livepatch_abi(root) == 'none':
        return 'kernel %s has neither %s nor %s: it cannot be hot patched' % (kernel, LIVEPATCH_SYSFS, KPATCH_SYSFS)
    return None


def same_file(module, root, source, installed):
    if not installed:
        return False
    return module.digest_from_file(host_path(root, source), 'sha256') == module.digest_from_file(host_path(root, installed), 'sha256')


def diff_view(status):
    """What diff mode shows of a patch: whether it is active, and its installed copy."""
    return {'active': status['enabled'] and not status['transition'], 'installed': status['installed']}


def predicted_view(status, state, kernel, name):
    """diff_view of the patch once it reached ``state``."""
    after = {'active': state in ('loaded', 'installed'), 'installed': status['installed']}
    if state == 'installed':
        after['installed'] = livepatch.installed_path(kernel, name)
    elif state == 'absent':
        after['installed'] = None
    return after

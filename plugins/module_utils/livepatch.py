# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel hot patches: what a patch module is, where it is kept, and how to move it between states.

Plain functions over plain values, for the livepatch module and its unit tests. Reading the
kernel's registered patches is :func:`tencentos.read_hot_patches`; section numbers refer to
the facts sheet ``docs/tencentos-facts.md`` (section 4: the sysfs ABI and kpatch's layout;
section 8: kpatch-format patches need the kpatch core module loaded first).

Target Pythons 2.7 and 3.6 to 3.13, standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.tencentos.fleet.plugins.module_utils.features import KPATCH_SYSFS, read_hot_patches
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, list_dir, read_link, read_text

STATES = ('loaded', 'installed', 'disabled', 'absent')
# The states in which a patch is active in the running kernel (it is loaded to get there).
LOADING_STATES = ('loaded', 'installed')

# A patch module comes in one of two formats (section 8, see patch_format). A livepatch-format module
# registers itself with the kernel's own livepatch core (CONFIG_LIVEPATCH, /sys/kernel/livepatch). A
# kpatch-format module registers with the kpatch core module, which must be loaded first: insmod of
# the patch alone fails with "Unknown symbol in module".
# The kpatch core module's name, as `modprobe kpatch` loads it (section 8). Its init creates
# /sys/kernel/kpatch (dynup/kpatch kmod/core/core.c: kobject_create_and_add("kpatch", kernel_kobj)),
# so that directory tells the core is in the kernel, whether loaded as a module or built in.
KPATCH_CORE = 'kpatch'

# kpatch's layout: `kpatch install` copies a module to /var/lib/kpatch/<uname -r>/ and its boot
# service loads every module there for the running kernel (section 4). Using the same place lets
# the kpatch CLI, where it is installed, list and load what this collection installed.
INSTALL_DIR = '/var/lib/kpatch'

# A module name is at most MODULE_NAME_LEN - 1 = 55 characters (include/linux/module.h). \Z, not $,
# which would let a trailing newline through.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9_-]{1,55}\Z')

WANTS_DIR = '/etc/systemd/system/multi-user.target.wants'
# kpatch's boot unit runs `kpatch load --all` (dynup/kpatch contrib/kpatch.service).
KPATCH_UNIT = 'kpatch.service'
KPATCH_UNIT_PATHS = ('/etc/systemd/system/kpatch.service', '/usr/lib/systemd/system/kpatch.service',
                     '/lib/systemd/system/kpatch.service')
OWN_UNIT = 'tencentos-fleet-livepatch.service'
OWN_UNIT_PATH = '/etc/systemd/system/' + OWN_UNIT
OWN_SCRIPT_PATH = '/usr/libexec/tencentos-fleet/livepatch-boot'

# Loads, at boot, what is installed for the running kernel, one patch at a time: the kernel runs
# one transition at a time and refuses a second patch (EBUSY) while one is in progress.
# /proc/sys/kernel/osrelease is what `uname -r` prints; it is read so that the script, like the
# collection, asks the kernel interface rather than the uname system call. A kpatch-format patch
# (its modinfo `depends` names the kpatch core, see patch_format) gets the core loaded first, as
# at run time (section 8); /sys/kernel/kpatch shows the core is there already.
OWN_SCRIPT = r'''#!/bin/sh
# Installed by tencentos.fleet.livepatch: loads the kernel hot patches installed for the running
# kernel in kpatch's layout (/var/lib/kpatch/<kernel>/<name>.ko), each after the previous one's
# transition completed, and the kpatch core module (modprobe kpatch) before a patch that needs it.
# Started at boot by tencentos-fleet-livepatch.service.
read -r kernel < /proc/sys/kernel/osrelease
status=0
for patch in /var/lib/kpatch/"$kernel"/*.ko; do
    [ -e "$patch" ] || continue
    name=$(basename "$patch" .ko | tr - _)
    if [ -e "/sys/module/$name/initstate" ] || grep -qs "^$name " /proc/modules; then
        continue
    fi
    case ",$(modinfo -F depends "$patch" 2>/dev/null)," in
        *,kpatch,*)
            if [ ! -d /sys/kernel/kpatch ] && ! modprobe kpatch; then
                echo "$patch: not loaded: it is a kpatch-format patch and modprobe kpatch did not load the kpatch core module" >&2
                status=1
                continue
            fi
            ;;
    esac
    if ! insmod "$patch"; then
        echo "$patch: not loaded" >&2
        status=1
        continue
    fi
    waited=0
    while [ "$(cat "/sys/kernel/livepatch/$name/transition" 2>/dev/null)" = 1 ]; do
        if [ "$waited" -ge 60 ]; then
            echo "$name: transition not complete after 60 s" >&2
            status=1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
done
exit "$status"
'''

# Ordered before kpatch.service: where both are enabled, the patches (and the kpatch core) are loaded
# before `kpatch load --all` runs, which then finds the livepatch-format ones loaded. (A kpatch-format
# patch it cannot handle on a kernel that also has the livepatch core: see boot_unit.)
OWN_UNIT_TEXT = '''# Installed by tencentos.fleet.livepatch (used where kpatch's own kpatch.service is not installed, and
# for kpatch-format patches, which need the kpatch core module loaded first).
[Unit]
Description=Load the kernel hot patches installed for the running kernel
After=local-fs.target
Before=multi-user.target
Before=kpatch.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=%s

[Install]
WantedBy=multi-user.target
''' % OWN_SCRIPT_PATH


def module_name(name):
    """The kernel's name for a module: file names may use dashes, the kernel uses underscores (section 4)."""
    return name.replace('-', '_')


def name_problem(name):
    """Why ``name`` cannot be a module name, or None."""
    if not NAME_PATTERN.match(name or ''):
        return ('name: %r is not a kernel module name (1 to 55 letters, digits, "_" or "-")' % (name,))
    return None


def parse_modinfo(text):
    """Return ``{field: value}`` from `modinfo FILE` output (the first value of a repeated field)."""
    fields = {}
    for line in (text or '').splitlines():
        key, sep, value = line.partition(':')
        if sep and key.strip() and ' ' not in key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def patch_format(fields):
    """The format of a patch module from its modinfo ``fields``: kpatch, livepatch, or None (neither mark).

    - kpatch: its ``depends`` lists the kpatch core module. A kpatch-format module calls
      ``kpatch_register()`` (dynup/kpatch kmod/patch/kpatch-patch-hook.c), which the core exports
      (kmod/core/core.c: EXPORT_SYMBOL(kpatch_register)); modpost records every module whose exports
      a module uses in its ``depends``. Checked first: such a module loads only after the core.
    - livepatch: ``livepatch`` is ``Y``, which every module built for the kernel's livepatch core
      carries (MODULE_INFO(livepatch, "Y"): kmod/patch/livepatch-patch-hook.c, and the kernel's
      samples/livepatch); the kernel taints the module K for it.
    """
    depends = [name.strip() for name in (fields.get('depends') or '').split(',')]
    if KPATCH_CORE in depends:
        return 'kpatch'
    if fields.get('livepatch') == 'Y':
        return 'livepatch'
    return None


def kpatch_core_loaded(root):
    """Whether the kpatch core is in the running kernel: its /sys/kernel/kpatch exists (see KPATCH_CORE)."""
    return os.path.isdir(host_path(root, KPATCH_SYSFS))


def vermagic_kernel(vermagic):
    """The kernel release a module was built for: the first word of its vermagic."""
    words = (vermagic or '').split()
    return words[0] if words else None


def loaded_modules(proc_modules_text):
    """Names of the loaded modules, from /proc/modules."""
    return set(line.split()[0] for line in (proc_modules_text or '').splitlines() if line.split())


def module_loaded(root, name):
    """Whether module ``name`` is loaded: /sys/module/<name>/initstate exists (kmod's own test; built-in
    modules have no initstate) or /proc/modules lists it (absent where the kernel is built without
    module support, as in containers on such a machine)."""
    if os.path.exists(host_path(root, '/sys/module/%s/initstate' % name)):
        return True
    return name in loaded_modules(read_text(root, '/proc/modules'))


def installed_path(kernel, name):
    """Where a patch for ``kernel`` is kept for the next boots (kpatch's layout)."""
    return '%s/%s/%s.ko' % (INSTALL_DIR, kernel, name)


def installed_copies(root, kernel, name):
    """The files installed for patch ``name`` of ``kernel``: its own, then any whose dashes make the name.

    ``kpatch install`` keeps a file's name as given, dashes included, while the kernel (and this
    collection) name the patch with underscores; both mean the same patch.
    """
    own = installed_path(kernel, name)
    directory = '%s/%s' % (INSTALL_DIR, kernel)
    others = ['%s/%s' % (directory, entry) for entry in sorted(list_dir(host_path(root, directory)))
              if entry.endswith('.ko') and module_name(entry[:-3]) == name and entry != name + '.ko']
    return ([own] if os.path.isfile(host_path(root, own)) else []) + [
        path for path in others if os.path.isfile(host_path(root, path))]


def installed_files(root='/'):
    """Every installed patch file, for any kernel: ``[(kernel, name), ...]`` in order."""
    found = []
    base = host_path(root, INSTALL_DIR)
    for kernel in sorted(list_dir(base)):
        for entry in sorted(list_dir(os.path.join(base, kernel))):
            if entry.endswith('.ko'):
                found.append((kernel, module_name(entry[:-3])))
    return found


def patch_status(root, name, kernel):
    """Everything about one patch that decides what to do: registered, enabled, transition, loaded, installed."""
    registered = [patch for patch in read_hot_patches(root) if patch['name'] == name]
    patch = registered[0] if registered else None
    copies = installed_copies(root, kernel, name)
    return {
        'name': name,
        'abi': patch['abi'] if patch else None,
        'registered': patch is not None,
        'enabled': bool(patch and patch['enabled']),
        'transition': bool(patch and patch['transition']),
        'module_loaded': module_loaded(root, name),
        'installed': copies[0] if copies else None,
    }


def patches_in_transition(patches):
    """Names of the patches whose transition has not completed."""
    return [patch['name'] for patch in patches if patch['transition']]


def load_steps(status, load_core=False):
    """Steps that make a patch active: enable a registered, disabled one (kept by 4.x kernels), or load it.

    Since 5.1 a disabled patch is freed but its module stays loaded until rmmod: such a leftover is
    unloaded first, or insmod would answer "File exists". ``load_core``: the patch is in kpatch format
    and the kpatch core module is not loaded, so `modprobe kpatch` comes right before its insmod.
    """
    if status['registered']:
        return [] if status['enabled'] else ['enable']
    return (['rmmod'] if status['module_loaded'] else []) + (['modprobe'] if load_core else []) + ['insmod']


def unload_steps(status):
    """Steps that make a patch inactive and its module unloaded."""
    steps = ['disable'] if status['registered'] and status['enabled'] else []
    if status['module_loaded']:
        steps.append('rmmod')
    return steps


def plan(status, state, file_current, boot_ready, load_core=False):
    """The ordered steps from ``status`` to ``state``.

    ``file_current``: the installed copy exists and equals the source. ``boot_ready``: the unit
    that loads installed patches at boot is in place and enabled. ``load_core``: see load_steps.
    A patch is persisted only after it loaded and verified, so a patch that fails is never left to
    load at the next boot.
    """
    if state == 'loaded':
        return load_steps(status, load_core)
    if state == 'installed':
        steps = load_steps(status, load_core)
        if not file_current:
            steps.append('copy')
        if not boot_ready:
            steps.append('boot')
        return steps
    steps = unload_steps(status)
    if state == 'absent' and status['installed']:
        steps.append('remove')
    return steps


def boot_unit(root, kpatch_cli, patch_format=None):
    """The unit that loads installed patches at boot: ``(name, path, text)``.

    kpatch's own kpatch.service (`kpatch load --all`) where the kpatch CLI and its unit are
    installed (text None: the unit is kpatch's), else this collection's unit and script. A
    kpatch-format patch always gets this collection's unit: dynup's `kpatch load` loads the kpatch
    core only where the kernel has no livepatch core, and then looks for patches below
    /sys/kernel/livepatch (dynup/kpatch kpatch/kpatch: core_loaded, init_sysfs_var), so on a kernel
    with both (TK3, section 4) it would insmod the patch without its core.
    """
    if kpatch_cli and patch_format != 'kpatch':
        for path in KPATCH_UNIT_PATHS:
            if os.path.isfile(host_path(root, path)):
                return KPATCH_UNIT, path, None
    return OWN_UNIT, OWN_UNIT_PATH, OWN_UNIT_TEXT


def boot_unit_ready(root, unit_name, unit_path, unit_text):
    """Whether the unit is enabled for multi-user.target and, if it is ours, current."""
    if read_link(root, WANTS_DIR + '/' + unit_name) != unit_path:
        return False
    if unit_text is None:
        return True
    if read_text(root, unit_path) != unit_text or read_text(root, OWN_SCRIPT_PATH) != OWN_SCRIPT:
        return False
    return os.access(host_path(root, OWN_SCRIPT_PATH), os.X_OK)


def blocking_tasks(root, target, limit=10):
    """Tasks not yet switched to the ``target`` patch state (1 patched, 0 unpatched), with their command.

    During a transition every task's /proc/<pid>/task/<tid>/patch_state moves to the target; the
    ones left behind are what stalls it (kernel Documentation/livepatch/livepatch.rst). Kernels
    without that file report nothing.
    """
    found = []
    proc = host_path(root, '/proc')
    for pid in sorted((entry for entry in list_dir(proc) if entry.isdigit()), key=int):
        for tid in sorted((entry for entry in list_dir(os.path.join(proc, pid, 'task')) if entry.isdigit()),
                          key=int):
            state = (read_text(root, '/proc/%s/task/%s/patch_state' % (pid, tid)) or '').strip()
            if state in ('0', '1') and int(state) != target:
                command = (read_text(root, '/proc/%s/task/%s/comm' % (pid, tid)) or '?').strip()
                found.append('%s (%s)' % (tid, command))
                if len(found) >= limit:
                    return found
    return found


def wait_for(condition, timeout, sleep, clock, interval=0.2):
    """Poll ``condition()`` until it is true or ``timeout`` seconds passed; return (met, seconds waited).

    ``sleep`` and ``clock`` are injected (time.sleep, time.time) so that tests need not wait.
    """
    start = clock()
    while True:
        if condition():
            return True, clock() - start
        if clock() - start >= timeout:
            return False, clock() - start
        sleep(interval)

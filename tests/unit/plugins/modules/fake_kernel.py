# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake kernel for the livepatch modules' tests: a host tree (/proc, /sys/kernel/livepatch or kpatch,
/var/lib/kpatch, systemd's directories) on which modinfo, modprobe, insmod and rmmod act as kmod, the
kernel's live patch core and the kpatch core module do (facts sheet sections 4 and 8, docs/hotpatch.md).

The ``kernel`` fixture (conftest.py beside this file) makes one; tests import the constants and helpers
from here."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import shutil

import pytest

from ansible.module_utils import basic

from ansible_collections.tencentos.fleet.plugins.module_utils import files, livepatch, livepatch_backup, livepatch_host
from ansible_collections.tencentos.fleet.plugins.modules import livepatch as livepatch_module
from ansible_collections.tencentos.fleet.plugins.modules import livepatch_set as livepatch_set_module

try:
    import builtins
except ImportError:  # Python 2
    import __builtin__ as builtins

REAL_OPEN = builtins.open

# TK4 on TencentOS 3.1 frees a disabled patch (Linux 5.1+); TK3 (4.14) keeps it registered with enabled 0
# until rmmod (facts sheet sections 2 and 4).
TK4 = '5.4.119-19-0009.1'
TK3 = '4.14.105-19-0020.1'
NAME = 'livepatch_cve_2026_1234'
SRC = '/var/tmp/livepatch_cve_2026_1234.ko'
INSTALLED = '/var/lib/kpatch/%s/%s.ko' % (TK4, NAME)
WANTS = '/etc/systemd/system/multi-user.target.wants/'

# Other modules of the host, in /proc/modules' format (kernel/module.c m_show(): name, size, references,
# users or "-", state, address as a reader without CAP_SYSLOG sees it).
OTHER_MODULES = ('xfs 1490944 2 - Live 0x0000000000000000\n'
                 'libcrc32c 16384 3 nf_nat,nf_conntrack,xfs, Live 0x0000000000000000\n'
                 'virtio_net 57344 0 - Live 0x0000000000000000\n')

# The fields kmod's modinfo prints for a kpatch-build live patch module, in its order.
MODINFO_ORDER = ('livepatch', 'license', 'srcversion', 'depends', 'retpoline', 'name', 'vermagic')


def patch_text(name, kernel, build=1, patch_format='livepatch'):
    """A stand-in for a patch module (.ko): the `key=value` fields of molecule/resources/scripts/make-patch.sh,
    which the fake modinfo prints as kmod does. ``build`` stands for a rebuild (another srcversion).
    ``patch_format``: livepatch (livepatch=Y), kpatch (depends=kpatch: it calls the kpatch core's
    kpatch_register) or None (a module that is neither)."""
    fields = [('name', name), ('vermagic', kernel + ' SMP mod_unload modversions '), ('license', 'GPL'),
              ('srcversion', '%023X' % (0x2F4B8C0D6E1A3B5C7D9E0F0 + build)),
              ('depends', 'kpatch' if patch_format == 'kpatch' else ''), ('retpoline', 'Y')]
    if patch_format == 'livepatch':
        fields.append(('livepatch', 'Y'))
    return ''.join('%s=%s\n' % field for field in fields)


class AllPaths:
    """Every path: the FakeKernel's ``full`` once the disk is full."""

    def __contains__(self, path):
        return True


class SysfsWrite:
    """A sysfs attribute opened for writing: each write goes to the kernel's store handler."""

    def __init__(self, kernel, path):
        self.kernel = kernel
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, value):
        self.kernel.store(self.path, value)

    def close(self):
        pass


class FakeKernel:
    """The host: a tree below tmpdir, kmod's commands and the kernel's live patch core acting on it.

    - ``abi``: the hot patch cores in the kernel from boot: livepatch (/sys/kernel/livepatch), kpatch
      (/sys/kernel/kpatch: the kpatch core built in), both, or None. ``kpatch_module``: the kpatch core
      is a loadable module for this kernel (TK3, facts sheet section 8): `modprobe kpatch` loads it,
      creating /sys/kernel/kpatch; without it `modprobe` answers as kmod does for a missing module.
    - modinfo prints a patch file's fields as kmod does; insmod checks the vermagic and the module name
      as the kernel does and resolves the patch's symbols: a livepatch-format module (livepatch=Y) needs
      /sys/kernel/livepatch, a kpatch-format one (depends=kpatch) the kpatch core, else "Unknown symbol
      in module". It adds the /proc/modules line and registers the patch below /sys/kernel/livepatch
      (enabled 1, transition 1, force 0) or /sys/kernel/kpatch (no transition); rmmod refuses while the
      patch is enabled or in transition, and the kpatch core while a loaded module depends on it.
    - A write to ``enabled`` starts a transition (or reverses the one in progress); every sleep of the
      module lets the kernel complete the transitions not told to stall (``stall``: patch, unpatch). A
      completed unpatching frees the patch's directory on 5.x, and keeps it with enabled 0 on 4.14.
    - ``commands`` records each command (tool name, host paths), ``writes`` each sysfs write. A write of a
      file named in ``full`` fails with ENOSPC and leaves the file as it was, as write_atomically does on a
      full disk; the write of ``fills_disk`` fills it, for every write from then on. ``written`` records the
      writes asked for, with the number of commands run before each.
    """

    def __init__(self, tmpdir, monkeypatch, release=TK4, abi='livepatch', kpatch_module=False):
        self.tmpdir = tmpdir
        self.root = str(tmpdir)
        self.release = release
        self.abi = abi
        self.kpatch_module = kpatch_module
        self.frees = tuple(int(part) for part in release.split('.')[:2]) >= (5, 1)
        self.commands = []
        self.writes = []
        # Transitions that do not complete: a direction (patch, unpatch) for every patch, or (name, direction).
        self.stall = set()
        # Host paths whose writes fail as on a full disk, before anything is replaced; a path whose write fills
        # the disk, so that it and every write after it fail; each write asked for: (commands run before it, path).
        self.full = set()
        self.fills_disk = None
        self.written = []
        # Patches built with the kernel's atomic replace (5.1+): once their transition completes, every other
        # livepatch-format patch is disabled and freed (kernel Documentation/livepatch/cumulative-patches.rst).
        self.replacing = set()
        self.transitions = {}
        self.rmmod_in_use = 0
        # What insmod answers for every module (a refusal the fake does not model otherwise), or None.
        self.insmod_refusal = None
        # The kpatch core's module loads but creates no /sys/kernel/kpatch (not the kpatch core).
        self.core_without_sysfs = False
        # The modules each loaded module depends on (its modinfo `depends`).
        self.depends = {}
        self.binaries = set(['modinfo', 'modprobe', 'insmod', 'rmmod', 'systemctl'])
        self.now = 1000.0
        self.file('/proc/sys/kernel/osrelease', release + '\n')
        self.file('/proc/modules', OTHER_MODULES)
        self.present_abis()
        # Wherever the code looks these up: each module's ROOT, the waits and sysfs writes of livepatch_host,
        # the file writes of livepatch_host and livepatch_backup, and the commands of AnsibleModule.
        for module in (livepatch_module, livepatch_set_module):
            monkeypatch.setattr(module, 'ROOT', self.root)
        monkeypatch.setattr(livepatch_host, 'sleep', self.sleep)
        monkeypatch.setattr(livepatch_host, 'clock', self.clock)
        monkeypatch.setattr(livepatch_host, 'open', self.open, raising=False)
        for module in (livepatch_host, livepatch_backup):
            monkeypatch.setattr(module, 'write_atomically', self.write_atomically)
        # Plain functions on the class: the module instance comes first.
        monkeypatch.setattr(basic.AnsibleModule, 'run_command',
                            lambda module, argv, **kwargs: self.run_command(argv))
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                            lambda module, name, required=False, opt_dirs=None: self.get_bin_path(name))

    def present_abis(self):
        """The hot patch directories the kernel has from boot."""
        for name in ('livepatch', 'kpatch'):
            if self.abi in (name, 'both'):
                self.path('/sys/kernel/' + name).ensure(dir=True)

    # --- the tree ---------------------------------------------------------------------------------

    def path(self, path):
        return self.tmpdir.join(*path.strip('/').split('/'))

    def file(self, path, content):
        self.path(path).write(content, ensure=True)

    def state(self):
        """What the host has below its root, without times: each file's bytes, each link's target, each directory.

        For "the host is as before" after an undo, which may rewrite a file with the bytes it had.
        """
        found = {}
        for directory, dirs, names in os.walk(self.root):
            for name in dirs + names:
                path = os.path.join(directory, name)
                if os.path.islink(path):
                    found[self.host(path)] = ('link', os.readlink(path))
                elif os.path.isdir(path):
                    found[self.host(path)] = ('dir', None)
                else:
                    with REAL_OPEN(path, 'rb') as handle:
                        found[self.host(path)] = ('file', handle.read())
        return found

    def read(self, path):
        target = self.path(path)
        return target.read() if target.check(file=True) else None

    def host(self, path):
        """A path as the host sees it (the module hands the tools paths below the tree)."""
        if path.startswith(self.root + os.sep):
            return '/' + os.path.relpath(path, self.root)
        return path

    def patch_file(self, path=SRC, name=NAME, kernel=None, build=1, patch_format='livepatch'):
        self.file(path, patch_text(name, kernel or self.release, build, patch_format))
        return path

    def patch_dir(self, name=NAME):
        for base in ('/sys/kernel/livepatch/', '/sys/kernel/kpatch/'):
            if self.path(base + name).check(dir=True):
                return self.path(base + name)
        return None

    def attributes(self, name=NAME):
        """The patch's sysfs attributes ({} when it is not registered)."""
        directory = self.patch_dir(name)
        if directory is None:
            return {}
        return dict((entry.basename, entry.read().strip()) for entry in directory.listdir() if entry.check(file=True))

    def loaded(self):
        return livepatch.loaded_modules(self.read('/proc/modules'))

    def task(self, pid, comm, patch_state):
        self.file('/proc/%d/task/%d/patch_state' % (pid, pid), '%d\n' % patch_state)
        self.file('/proc/%d/task/%d/comm' % (pid, pid), comm + '\n')

    # --- time -------------------------------------------------------------------------------------

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.tick()

    def tick(self):
        """The transition worker: completes every transition not told to stall."""
        for name, direction in sorted(self.transitions.items()):
            if direction in self.stall or (name, direction) in self.stall:
                continue
            del self.transitions[name]
            directory = self.path('/sys/kernel/livepatch/' + name)
            directory.join('transition').write('0\n')
            if direction == 'unpatch' and self.frees:
                directory.remove()
            if direction == 'patch' and name in self.replacing:
                for other in self.path('/sys/kernel/livepatch').listdir():
                    if other.basename != name:
                        other.remove()

    # --- the disk -----------------------------------------------------------------------------------

    def write_atomically(self, path, content, mode=None, module=None):
        self.written.append((len(self.commands), self.host(path)))
        if self.host(path) == self.fills_disk:
            self.full = AllPaths()
        if self.host(path) in self.full:
            raise OSError(errno.ENOSPC, 'No space left on device', path)
        return files.write_atomically(path, content, mode, module)

    # --- sysfs --------------------------------------------------------------------------------------

    def open(self, path, mode='r', *args, **kwargs):
        if 'w' in mode and self.host(str(path)).startswith('/sys/'):
            if not os.path.isfile(str(path)):
                raise IOError(errno.ENOENT, 'No such file or directory', path)
            return SysfsWrite(self, str(path))
        return REAL_OPEN(path, mode, *args, **kwargs)

    def store(self, path, value):
        """The kernel's store handlers of a patch's attributes (kernel/livepatch/core.c enabled_store)."""
        self.writes.append((self.host(path), value))
        directory, attribute = os.path.split(path)
        name = os.path.basename(directory)
        if attribute == 'force':
            with REAL_OPEN(path, 'w') as handle:
                handle.write(value)
            return
        if attribute != 'enabled':
            raise IOError(errno.EACCES, 'Permission denied', path)
        wanted = value.strip()
        if wanted not in ('0', '1'):
            raise IOError(errno.EINVAL, 'Invalid argument', path)
        with REAL_OPEN(os.path.join(directory, 'enabled')) as handle:
            current = handle.read().strip()
        if current == wanted:
            raise IOError(errno.EINVAL, 'Invalid argument', path)
        kpatch_core = '/sys/kernel/kpatch/' in self.host(path)
        if not kpatch_core and name not in self.transitions and self.transitions:
            raise IOError(errno.EBUSY, 'Device or resource busy', path)
        with REAL_OPEN(os.path.join(directory, 'enabled'), 'w') as handle:
            handle.write(wanted + '\n')
        if kpatch_core:
            return  # switched at once, under stop_machine
        self.transitions[name] = 'patch' if wanted == '1' else 'unpatch'
        with REAL_OPEN(os.path.join(directory, 'transition'), 'w') as handle:
            handle.write('1\n')

    # --- commands -----------------------------------------------------------------------------------

    def get_bin_path(self, name):
        if name in self.binaries:
            return ('/usr/bin/' if name == 'systemctl' else '/usr/sbin/') + name
        return None

    def run_command(self, argv):
        tool = os.path.basename(argv[0])
        self.commands.append([tool] + [self.host(arg) for arg in argv[1:]])
        if tool == 'modinfo' and len(argv) == 2:
            return self.modinfo(argv[1])
        if tool == 'modprobe' and argv[1:] in (['kpatch'], ['--dry-run', 'kpatch']):
            return self.modprobe(dry_run=len(argv) == 3)
        if tool == 'insmod' and len(argv) == 2:
            return self.insmod(argv[1])
        if tool == 'rmmod' and len(argv) == 2:
            return self.rmmod(argv[1])
        raise AssertionError('unexpected command %r' % (argv,))

    @staticmethod
    def fields(path):
        with REAL_OPEN(path) as handle:
            return dict(line.rstrip('\n').split('=', 1) for line in handle if '=' in line)

    def modinfo(self, path):
        if not os.path.isfile(path):
            return 1, '', 'modinfo: ERROR: Module %s not found.\n' % path
        fields = self.fields(path)
        if 'name' not in fields:
            return 1, '', "modinfo: ERROR: could not get modinfo from '%s': Exec format error\n" % (
                livepatch.module_name(os.path.basename(path)[:-3]))
        out = '%-16s%s\n' % ('filename:', path)
        out += ''.join('%-16s%s\n' % (key + ':', fields[key]) for key in MODINFO_ORDER if key in fields)
        return 0, out, ''

    def modprobe(self, dry_run):
        """kmod's modprobe of the kpatch core: nothing to do where it is there (loaded, or built in)."""
        if self.path('/sys/kernel/kpatch').check(dir=True) or 'kpatch' in self.loaded():
            return 0, '', ''
        if not self.kpatch_module:
            return 1, '', 'modprobe: FATAL: Module kpatch not found in directory /lib/modules/%s\n' % self.release
        if dry_run:
            return 0, '', ''
        self.file('/proc/modules', 'kpatch 61440 0 - Live 0x0000000000000000\n' + self.read('/proc/modules'))
        if not self.core_without_sysfs:
            self.path('/sys/kernel/kpatch').ensure(dir=True)
        return 0, '', ''

    def insmod(self, path):
        if not os.path.isfile(path):
            return 1, '', 'insmod: ERROR: could not load module %s: No such file or directory\n' % path
        fields = self.fields(path)
        refused = 'insmod: ERROR: could not insert module %s: %%s\n' % path
        if self.insmod_refusal:
            return 1, '', refused % self.insmod_refusal
        if (fields.get('vermagic') or ' ').split()[0] != self.release:
            return 1, '', refused % 'Invalid module format'
        name = livepatch.module_name(fields['name'])
        if name in self.loaded():
            return 1, '', refused % 'File exists'
        live = fields.get('livepatch') == 'Y'
        depends = [module for module in fields.get('depends', '').split(',') if module]
        # The symbols a patch calls: klp_enable_patch() of the livepatch core, kpatch_register() of the
        # kpatch core (built in, or its module loaded).
        if live and not self.path('/sys/kernel/livepatch').check(dir=True):
            return 1, '', refused % 'Unknown symbol in module'
        if 'kpatch' in depends and not self.path('/sys/kernel/kpatch').check(dir=True):
            return 1, '', refused % 'Unknown symbol in module'
        if live and self.transitions:
            return 1, '', refused % 'Device or resource busy'
        self.file('/proc/modules', '%s 16384 1 - Live 0x0000000000000000 (OEK)\n' % name
                  + self.read('/proc/modules'))
        self.depends[name] = depends
        if 'kpatch' in depends:
            # kpatch_register(): registered and enabled at once, under stop_machine.
            self.file('/sys/kernel/kpatch/%s/enabled' % name, '1\n')
            return 0, '', ''
        if not live:
            return 0, '', ''
        base = '/sys/kernel/livepatch/%s/' % name
        self.file(base + 'enabled', '1\n')
        self.file(base + 'transition', '1\n')
        self.file(base + 'force', '0\n')
        self.path(base + 'vmlinux/cmdline_proc_show,1').ensure(dir=True)
        self.transitions[name] = 'patch'
        return 0, '', ''

    def rmmod(self, argument):
        name = livepatch.module_name(os.path.basename(argument))
        if name not in self.loaded():
            return 1, '', 'rmmod: ERROR: Module %s is not currently loaded\n' % name
        holders = sorted(module for module in self.loaded() if name in self.depends.get(module, []))
        if holders:
            return 1, '', 'rmmod: ERROR: Module %s is in use by: %s\n' % (name, ' '.join(holders))
        attributes = self.attributes(name)
        in_use = attributes.get('enabled') == '1' or attributes.get('transition') == '1'
        if not in_use and self.rmmod_in_use:
            self.rmmod_in_use -= 1
            in_use = True
        if in_use:
            return 1, '', 'rmmod: ERROR: Module %s is in use\n' % name
        self.file('/proc/modules', ''.join(line + '\n' for line in self.read('/proc/modules').splitlines()
                                           if line.split()[0] != name))
        self.depends.pop(name, None)
        if self.patch_dir(name) is not None:
            shutil.rmtree(str(self.patch_dir(name)))
        if name == 'kpatch' and self.path('/sys/kernel/kpatch').check():
            self.path('/sys/kernel/kpatch').remove()
        return 0, '', ''

    # --- states set up without the module -------------------------------------------------------------

    def load(self, path=SRC):
        """A patch loaded earlier, its transition completed."""
        assert self.insmod(str(self.path(path)))[0] == 0
        self.tick()

    def disable(self, name=NAME):
        """A patch disabled earlier (echo 0 > enabled), its transition completed, its module not removed."""
        self.store(str(self.patch_dir(name).join('enabled')), '0')
        self.tick()

    def reboot(self):
        """The modules loaded before are gone, the kpatch core module too: the kernel has what it boots with."""
        self.file('/proc/modules', OTHER_MODULES)
        self.transitions = {}
        self.depends = {}
        for base in ('/sys/kernel/livepatch', '/sys/kernel/kpatch'):
            if self.path(base).check():
                self.path(base).remove()
        self.present_abis()


BOTH_KERNELS = pytest.mark.parametrize('kernel', [(TK4, 'livepatch'), (TK3, 'livepatch')], indirect=True,
                                       ids=['tk4', 'tk3'])

# TK3 as section 8 has it: the livepatch core from boot, the kpatch core a module not loaded yet.
TK3_CORE_MODULE = pytest.mark.parametrize('kernel', [(TK3, 'livepatch', True)], indirect=True)

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The livepatch module against a fake kernel: a host tree (/proc, /sys/kernel/livepatch or kpatch,
/var/lib/kpatch, systemd's directories) on which modinfo, insmod and rmmod act as kmod and the kernel's
live patch core do (facts sheet section 4, docs/hotpatch.md)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import shutil
import stat

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.modules import livepatch as livepatch_module

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


def patch_text(name, kernel, build=1, live=True):
    """A stand-in for a patch module (.ko): the `key=value` fields of molecule/resources/scripts/make-patch.sh,
    which the fake modinfo prints as kmod does. ``build`` stands for a rebuild (another srcversion)."""
    fields = [('name', name), ('vermagic', kernel + ' SMP mod_unload modversions '), ('license', 'GPL'),
              ('srcversion', '%023X' % (0x2F4B8C0D6E1A3B5C7D9E0F0 + build)), ('depends', ''), ('retpoline', 'Y')]
    if live:
        fields.append(('livepatch', 'Y'))
    return ''.join('%s=%s\n' % field for field in fields)


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

    - modinfo prints a patch file's fields as kmod does; insmod checks the vermagic and the module name
      as the kernel does, adds the /proc/modules line and registers the patch below /sys/kernel/livepatch
      (enabled 1, transition 1, force 0) or, on a kpatch core kernel, /sys/kernel/kpatch (no transition);
      rmmod refuses while the patch is enabled or in transition.
    - A write to ``enabled`` starts a transition (or reverses the one in progress); every sleep of the
      module lets the kernel complete the transitions not told to stall (``stall``: patch, unpatch). A
      completed unpatching frees the patch's directory on 5.x, and keeps it with enabled 0 on 4.14.
    - ``commands`` records each command (tool name, host paths), ``writes`` each sysfs write.
    """

    def __init__(self, tmpdir, monkeypatch, release=TK4, abi='livepatch'):
        self.tmpdir = tmpdir
        self.root = str(tmpdir)
        self.release = release
        self.abi = abi
        self.frees = tuple(int(part) for part in release.split('.')[:2]) >= (5, 1)
        self.commands = []
        self.writes = []
        self.stall = set()
        self.transitions = {}
        self.rmmod_in_use = 0
        self.binaries = set(['modinfo', 'insmod', 'rmmod', 'systemctl'])
        self.now = 1000.0
        self.file('/proc/sys/kernel/osrelease', release + '\n')
        self.file('/proc/modules', OTHER_MODULES)
        if abi:
            self.path('/sys/kernel/' + abi).ensure(dir=True)
        monkeypatch.setattr(livepatch_module, 'ROOT', self.root)
        monkeypatch.setattr(livepatch_module, 'sleep', self.sleep)
        monkeypatch.setattr(livepatch_module, 'clock', self.clock)
        monkeypatch.setattr(livepatch_module, 'open', self.open, raising=False)
        # Plain functions on the class: the module instance comes first.
        monkeypatch.setattr(livepatch_module.AnsibleModule, 'run_command',
                            lambda module, argv, **kwargs: self.run_command(argv))
        monkeypatch.setattr(livepatch_module.AnsibleModule, 'get_bin_path',
                            lambda module, name, required=False, opt_dirs=None: self.get_bin_path(name))

    # --- the tree ---------------------------------------------------------------------------------

    def path(self, path):
        return self.tmpdir.join(*path.strip('/').split('/'))

    def file(self, path, content):
        self.path(path).write(content, ensure=True)

    def read(self, path):
        target = self.path(path)
        return target.read() if target.check(file=True) else None

    def host(self, path):
        """A path as the host sees it (the module hands the tools paths below the tree)."""
        if path.startswith(self.root + os.sep):
            return '/' + os.path.relpath(path, self.root)
        return path

    def patch_file(self, path=SRC, name=NAME, kernel=None, build=1, live=True):
        self.file(path, patch_text(name, kernel or self.release, build, live))
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
            if direction in self.stall:
                continue
            del self.transitions[name]
            directory = self.path('/sys/kernel/livepatch/' + name)
            directory.join('transition').write('0\n')
            if direction == 'unpatch' and self.frees:
                directory.remove()

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

    def insmod(self, path):
        if not os.path.isfile(path):
            return 1, '', 'insmod: ERROR: could not load module %s: No such file or directory\n' % path
        fields = self.fields(path)
        refused = 'insmod: ERROR: could not insert module %s: %%s\n' % path
        if (fields.get('vermagic') or ' ').split()[0] != self.release:
            return 1, '', refused % 'Invalid module format'
        name = livepatch.module_name(fields['name'])
        if name in self.loaded():
            return 1, '', refused % 'File exists'
        if fields.get('livepatch') == 'Y':
            if not self.abi:
                return 1, '', refused % 'Unknown symbol in module'
            if self.transitions:
                return 1, '', refused % 'Device or resource busy'
        self.file('/proc/modules', '%s 16384 1 - Live 0x0000000000000000 (OEK)\n' % name
                  + self.read('/proc/modules'))
        if fields.get('livepatch') != 'Y':
            return 0, '', ''
        if self.abi == 'kpatch':
            self.file('/sys/kernel/kpatch/%s/enabled' % name, '1\n')
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
        attributes = self.attributes(name)
        in_use = attributes.get('enabled') == '1' or attributes.get('transition') == '1'
        if not in_use and self.rmmod_in_use:
            self.rmmod_in_use -= 1
            in_use = True
        if in_use:
            return 1, '', 'rmmod: ERROR: Module %s is in use\n' % name
        self.file('/proc/modules', ''.join(line + '\n' for line in self.read('/proc/modules').splitlines()
                                           if line.split()[0] != name))
        if self.patch_dir(name) is not None:
            shutil.rmtree(str(self.patch_dir(name)))
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
        self.file('/proc/modules', OTHER_MODULES)
        self.transitions = {}
        for base in ('/sys/kernel/livepatch', '/sys/kernel/kpatch'):
            if self.path(base).check():
                self.path(base).remove()
                self.path(base).ensure(dir=True)


@pytest.fixture
def kernel(tmpdir, monkeypatch, request):
    """A TK4 host with the livepatch ABI, or the (release, abi) of an indirect parameter."""
    release, abi = getattr(request, 'param', (TK4, 'livepatch'))
    made = FakeKernel(tmpdir, monkeypatch, release, abi)
    yield made
    # Whatever happened, force was never written (facts sheet section 4).
    assert [path for path, _value in made.writes if path.endswith('/force')] == []


BOTH_KERNELS = pytest.mark.parametrize('kernel', [(TK4, 'livepatch'), (TK3, 'livepatch')], indirect=True,
                                       ids=['tk4', 'tk3'])


def run(run_module, **args):
    args.setdefault('name', NAME)
    return run_module(livepatch_module, args)


def patch_view(registered=True, enabled=True, transition=False, module_loaded=True, installed=None,
               abi='livepatch'):
    return {'name': NAME, 'abi': abi if registered else None, 'registered': registered, 'enabled': enabled,
            'transition': transition, 'module_loaded': module_loaded, 'installed': installed}


NOT_THERE = patch_view(registered=False, enabled=False, module_loaded=False)


def install(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['insmod', 'copy', 'boot']
    kernel.commands = []
    kernel.writes = []


def mode(kernel, path):
    return stat.S_IMODE(os.stat(str(kernel.path(path))).st_mode)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_load_inserts_the_patch_and_returns_once_its_transition_completed(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC)
    assert not failed and result['changed'] is True
    assert result['steps'] == ['insmod']
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC]]
    assert kernel.attributes() == {'enabled': '1', 'transition': '0', 'force': '0'}
    assert NAME in kernel.loaded()
    assert result['before'] == NOT_THERE
    assert result['patch'] == patch_view()
    assert result['patches'] == [{'name': NAME, 'abi': 'livepatch', 'enabled': True, 'transition': False}]
    assert (result['name'], result['kernel'], result['boot_unit']) == (NAME, kernel.release, None)
    # state=loaded leaves the next boots alone.
    assert not kernel.path('/var/lib/kpatch').check()
    assert not kernel.path(WANTS).check()


def test_loading_again_changes_nothing_and_runs_only_modinfo(kernel, run_module, snapshot):
    kernel.patch_file()
    assert run(run_module, src=SRC)[1]['changed'] is True
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert not failed and result['changed'] is False and result['steps'] == []
    assert kernel.commands == [['modinfo', SRC]]
    assert result['before'] == result['patch'] == patch_view()
    assert snapshot(kernel.root) == before


def test_dashes_in_name_are_the_kernels_underscores(kernel, run_module):
    kernel.patch_file(name='livepatch-cve-2026-1234')
    failed, result = run(run_module, name='livepatch-cve-2026-1234', src=SRC)
    assert not failed and result['name'] == NAME and result['steps'] == ['insmod']
    assert kernel.attributes()['enabled'] == '1'


def test_wrong_vermagic_fails_naming_both_kernels_and_changes_nothing(kernel, run_module, snapshot):
    kernel.patch_file(kernel='5.4.119-19-0010.1')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['changed'] is False
    assert result['msg'] == ("src: %s was built for kernel 5.4.119-19-0010.1 (vermagic '5.4.119-19-0010.1 SMP "
                             "mod_unload modversions'); the running kernel is %s; nothing was changed" % (SRC, TK4))
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


def test_module_of_another_name_fails_before_any_change(kernel, run_module, snapshot):
    kernel.patch_file(name='livepatch_cve_2026_9999')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed')
    assert failed and result['changed'] is False
    assert result['msg'] == ("src: %s is the module 'livepatch_cve_2026_9999', not '%s' (name must be the module "
                             "name modinfo prints); nothing was changed" % (SRC, NAME))
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


def test_file_modinfo_cannot_read_fails_before_any_change(kernel, run_module, snapshot):
    kernel.file(SRC, '\x7fELF truncated')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == ("src: modinfo cannot read %s: modinfo: ERROR: could not get modinfo from "
                                        "'%s': Exec format error; nothing was changed" % (SRC, NAME))
    assert snapshot(kernel.root) == before


def test_module_that_registers_no_patch_is_unloaded_and_fails(kernel, run_module):
    kernel.patch_file(live=False)
    failed, result = run(run_module, src=SRC, timeout=2)
    assert failed
    assert result['msg'] == ('%s loaded but registered no patch below /sys/kernel/livepatch or /sys/kernel/kpatch '
                             'within 2 s (not a live patch module?); unloaded it' % NAME)
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC], ['rmmod', NAME]]
    assert NAME not in kernel.loaded()


@pytest.mark.parametrize('kernel', [(TK3, 'livepatch')], indirect=True)
def test_kept_disabled_patch_of_a_4_14_kernel_is_enabled_again(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.disable()
    assert kernel.attributes() == {'enabled': '0', 'transition': '0', 'force': '0'}
    kernel.writes = []
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['enable']
    assert result['before'] == patch_view(enabled=False)
    assert kernel.commands == [['modinfo', SRC]]
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '1')]
    assert kernel.attributes() == {'enabled': '1', 'transition': '0', 'force': '0'}
    assert result['patch'] == patch_view()


def test_module_left_loaded_by_a_5_x_kernel_is_removed_before_insmod(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.disable()
    assert kernel.patch_dir() is None and NAME in kernel.loaded()
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['rmmod', 'insmod']
    assert result['before'] == patch_view(registered=False, enabled=False)
    assert kernel.commands == [['modinfo', SRC], ['rmmod', NAME], ['insmod', SRC]]
    assert kernel.attributes()['enabled'] == '1' and result['patch'] == patch_view()


@pytest.mark.parametrize('kernel', [(TK3, 'kpatch')], indirect=True)
def test_kpatch_core_patch_is_loaded_and_disabled_without_transitions(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['insmod']
    assert result['patches'] == [{'name': NAME, 'abi': 'kpatch', 'enabled': True, 'transition': False}]
    assert kernel.read('/sys/kernel/kpatch/%s/enabled' % NAME) == '1\n'
    failed, result = run(run_module, state='disabled')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert kernel.writes == [('/sys/kernel/kpatch/%s/enabled' % NAME, '0')]


# ---------------------------------------------------------------------------
# Stalled transitions: reversed, never forced
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_stalled_transition_is_reversed_and_unloaded_never_forced(kernel, run_module):
    kernel.patch_file()
    kernel.stall = set(['patch'])
    kernel.task(4242, 'nfsd', 0)
    kernel.task(4243, 'bash', 1)
    failed, result = run(run_module, src=SRC, timeout=5)
    assert failed and result['changed'] is True and result['steps'] == ['insmod']
    assert result['msg'] == ('%s: the transition to patched did not complete in 5 s (enabled=1 transition=1); '
                             'tasks not yet switched: 4242 (nfsd); disabled (reversed in 0.2 s) and unloaded: '
                             'the kernel is as before' % NAME)
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '0')]
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC], ['rmmod', NAME]]
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert result['patch'] == NOT_THERE and result['patches'] == []


def test_stalled_reversal_is_left_loaded_and_never_forced(kernel, run_module):
    kernel.patch_file()
    kernel.stall = set(['patch', 'unpatch'])
    failed, result = run(run_module, src=SRC, timeout=5)
    assert failed
    assert result['msg'] == ('%s: the transition to patched did not complete in 5 s (enabled=1 transition=1); '
                             'disabled, but the reversal did not complete in 5 s either: the patch is left loaded '
                             'and in transition, never forced; see docs/hotpatch.md, "A stalled transition"' % NAME)
    assert kernel.attributes() == {'enabled': '0', 'transition': '1', 'force': '0'}
    assert NAME in kernel.loaded()
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '0')]
    assert 'rmmod' not in [command[0] for command in kernel.commands]
    assert result['patch'] == patch_view(enabled=False, transition=True)
    assert result['patches'] == [{'name': NAME, 'abi': 'livepatch', 'enabled': False, 'transition': True}]


@pytest.mark.parametrize('kernel', [(TK3, 'livepatch')], indirect=True)
def test_stalled_re_enable_of_a_4_14_patch_is_disabled_again_and_stays_loaded(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.disable()
    kernel.stall = set(['patch'])
    failed, result = run(run_module, src=SRC, timeout=3)
    assert failed and result['steps'] == ['enable']
    assert result['msg'].endswith('; disabled again (reversed in 0.2 s): the kernel is as before')
    assert kernel.attributes() == {'enabled': '0', 'transition': '0', 'force': '0'}
    assert NAME in kernel.loaded() and 'rmmod' not in [command[0] for command in kernel.commands]


def test_stalled_removal_is_left_as_it_is_and_never_forced(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.stall = set(['unpatch'])
    failed, result = run(run_module, state='disabled', timeout=4)
    assert failed and result['steps'] == ['disable', 'rmmod']
    assert result['msg'] == ('%s: the transition to unpatched did not complete in 4 s (enabled=0 transition=1); '
                             'left as it is: never forced; see docs/hotpatch.md, "A stalled transition"' % NAME)
    assert kernel.attributes() == {'enabled': '0', 'transition': '1', 'force': '0'}
    assert kernel.commands == [] and NAME in kernel.loaded()


def test_host_refuses_to_write_force(kernel):
    kernel.patch_file()
    kernel.load()
    host = livepatch_module.Host(None, kernel.root, NAME, TK4, 5)
    with pytest.raises(ValueError):
        host.write_attribute('force', '1')
    assert kernel.attributes()['force'] == '0' and kernel.writes == []


def test_rmmod_is_retried_while_the_kernel_still_holds_the_module(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.rmmod_in_use = 2
    failed, result = run(run_module, state='disabled')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert kernel.commands == [['rmmod', NAME]] * 3
    assert NAME not in kernel.loaded()


def test_rmmod_refused_for_good_fails_with_its_error(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.rmmod_in_use = 100
    failed, result = run(run_module, state='disabled')
    assert failed and result['msg'] == 'rmmod %s failed: rmmod: ERROR: Module %s is in use' % (NAME, NAME)
    assert len(kernel.commands) == livepatch_module.RMMOD_ATTEMPTS


# ---------------------------------------------------------------------------
# One transition at a time
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('state, loaded_before', [('loaded', False), ('installed', False), ('disabled', True),
                                                  ('absent', True)])
def test_another_patch_in_transition_is_refused_with_nothing_changed(kernel, run_module, snapshot, state,
                                                                     loaded_before):
    kernel.patch_file()
    if loaded_before:
        kernel.load()
    kernel.patch_file('/var/tmp/livepatch_other.ko', name='livepatch_other')
    kernel.stall = set(['patch'])
    assert kernel.insmod(str(kernel.path('/var/tmp/livepatch_other.ko')))[0] == 0
    kernel.stall = set()
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state=state)
    assert failed and result['changed'] is False
    assert result['msg'] == ('patch livepatch_other is in transition: the kernel runs one transition at a time; '
                             'wait for it or see docs/hotpatch.md, "A stalled transition"; nothing was changed')
    assert [command[0] for command in kernel.commands if command[0] != 'modinfo'] == []
    assert snapshot(kernel.root) == before


# ---------------------------------------------------------------------------
# Installed: a copy in kpatch's layout and a boot unit
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_installed_keeps_a_copy_and_enables_the_own_boot_unit(kernel, run_module, snapshot):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is True
    assert result['steps'] == ['insmod', 'copy', 'boot']
    assert result['boot_unit'] == 'tencentos-fleet-livepatch.service'
    installed = '/var/lib/kpatch/%s/%s.ko' % (kernel.release, NAME)
    assert result['patch'] == patch_view(installed=installed)
    assert kernel.read(installed) == kernel.read(SRC) and mode(kernel, installed) == 0o644
    assert kernel.read(livepatch.OWN_UNIT_PATH) == livepatch.OWN_UNIT_TEXT
    assert mode(kernel, livepatch.OWN_UNIT_PATH) == 0o644
    assert kernel.read(livepatch.OWN_SCRIPT_PATH) == livepatch.OWN_SCRIPT
    assert mode(kernel, livepatch.OWN_SCRIPT_PATH) == 0o755
    assert os.readlink(str(kernel.path(WANTS + livepatch.OWN_UNIT))) == livepatch.OWN_UNIT_PATH
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC]]
    # No staging file is left beside what was written.
    assert os.listdir(str(kernel.path('/var/lib/kpatch/' + kernel.release))) == [NAME + '.ko']
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is False and result['steps'] == []
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


def test_installed_with_the_kpatch_cli_enables_kpatch_service(kernel, run_module):
    kernel.binaries.add('kpatch')
    unit = '/usr/lib/systemd/system/kpatch.service'
    kernel.file(unit, '[Service]\nExecStart=/usr/sbin/kpatch load --all\n\n[Install]\nWantedBy=multi-user.target\n')
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['insmod', 'copy', 'boot']
    assert result['boot_unit'] == 'kpatch.service'
    assert os.readlink(str(kernel.path(WANTS + 'kpatch.service'))) == unit
    assert os.listdir(str(kernel.path(WANTS))) == ['kpatch.service']
    assert not kernel.path(livepatch.OWN_UNIT_PATH).check() and not kernel.path(livepatch.OWN_SCRIPT_PATH).check()
    assert kernel.read(INSTALLED) == kernel.read(SRC)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is False


def test_something_in_the_way_of_the_copy_is_refused_before_the_load(kernel, run_module):
    kernel.patch_file()
    kernel.path(INSTALLED).ensure(dir=True)
    failed, result = run(run_module, src=SRC, state='installed')
    assert failed and result['msg'] == ('%s is in the way of the installed copy: it is not a file; nothing was '
                                        'changed' % INSTALLED)
    assert result['name'] == NAME and kernel.commands == [['modinfo', SRC]] and kernel.writes == []
    assert kernel.patch_dir() is None and kernel.path(INSTALLED).check(dir=True)


def test_changed_src_of_an_installed_patch_is_only_copied(kernel, run_module):
    install(kernel, run_module)
    kernel.patch_file(build=2)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['copy']
    assert kernel.read(INSTALLED) == patch_text(NAME, TK4, build=2)
    assert kernel.commands == [['modinfo', SRC]] and kernel.writes == []
    assert kernel.attributes()['enabled'] == '1'


def test_boot_unit_changed_by_hand_is_put_back(kernel, run_module):
    install(kernel, run_module)
    kernel.path(livepatch.OWN_SCRIPT_PATH).chmod(0o644)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['boot']
    assert mode(kernel, livepatch.OWN_SCRIPT_PATH) == 0o755


def test_installed_copy_is_loaded_when_src_is_omitted(kernel, run_module):
    install(kernel, run_module)
    kernel.reboot()
    failed, result = run(run_module, state='installed')
    assert not failed and result['steps'] == ['insmod']
    assert kernel.commands == [['modinfo', INSTALLED], ['insmod', INSTALLED]]
    assert result['patch'] == patch_view(installed=INSTALLED)
    failed, result = run(run_module, state='loaded')
    assert not failed and result['changed'] is False


# ---------------------------------------------------------------------------
# Disabled and absent
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_rmmod_missing_is_found_before_the_patch_is_disabled(kernel, run_module):
    install(kernel, run_module)
    kernel.binaries.discard('rmmod')
    failed, result = run(run_module, state='disabled')
    assert failed and result['msg'] == 'rmmod not found: install the kmod package; nothing was changed'
    assert kernel.writes == [] and kernel.patch_dir() is not None
    assert result['name'] == NAME and result['before']['enabled'] is True


@BOTH_KERNELS
def test_disabled_unloads_and_keeps_the_installed_copy(kernel, run_module):
    install(kernel, run_module)
    installed = '/var/lib/kpatch/%s/%s.ko' % (kernel.release, NAME)
    failed, result = run(run_module, state='disabled')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '0')]
    assert kernel.commands == [['rmmod', NAME]]
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert result['patch'] == patch_view(registered=False, enabled=False, module_loaded=False, installed=installed)
    assert kernel.path(installed).check(file=True) and kernel.path(livepatch.OWN_UNIT_PATH).check(file=True)
    failed, result = run(run_module, state='disabled')
    assert not failed and result['changed'] is False


@BOTH_KERNELS
def test_absent_unloads_removes_the_copy_and_the_last_boot_unit(kernel, run_module):
    install(kernel, run_module)
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove', 'unboot']
    assert kernel.commands == [['rmmod', NAME]]
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert not kernel.path('/var/lib/kpatch/%s/%s.ko' % (kernel.release, NAME)).check()
    for path in (livepatch.OWN_UNIT_PATH, livepatch.OWN_SCRIPT_PATH, WANTS + livepatch.OWN_UNIT):
        assert not os.path.lexists(str(kernel.path(path)))
    assert result['patch'] == NOT_THERE
    failed, result = run(run_module, state='absent')
    assert not failed and result['changed'] is False and result['steps'] == []


def test_absent_removes_a_copy_kpatch_install_kept_with_dashes(kernel, run_module):
    dashed = '/var/lib/kpatch/%s/livepatch-cve-2026-1234.ko' % TK4
    kernel.file(dashed, patch_text(NAME, TK4))
    failed, result = run(run_module, state='absent')
    assert not failed and result['before']['installed'] == dashed and result['steps'] == ['remove']
    assert not kernel.path(dashed).check() and result['patch'] == NOT_THERE


def test_installed_replaces_a_different_copy_kept_with_dashes(kernel, run_module):
    dashed = '/var/lib/kpatch/%s/livepatch-cve-2026-1234.ko' % TK4
    kernel.file(dashed, patch_text(NAME, TK4, build=2))
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and 'copy' in result['steps']
    assert kernel.read(INSTALLED) == patch_text(NAME, TK4) and not kernel.path(dashed).check()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is False


@pytest.mark.parametrize('other', ['/var/lib/kpatch/%s/livepatch_old.ko' % TK3,
                                   '/var/lib/kpatch/%s/livepatch_other.ko' % TK4])
def test_absent_keeps_the_boot_unit_while_another_installed_patch_remains(kernel, run_module, other):
    install(kernel, run_module)
    kernel.file(other, patch_text('livepatch_old', TK3))
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove']
    assert not kernel.path(INSTALLED).check() and kernel.path(other).check(file=True)
    assert kernel.read(livepatch.OWN_UNIT_PATH) == livepatch.OWN_UNIT_TEXT
    assert os.path.islink(str(kernel.path(WANTS + livepatch.OWN_UNIT)))


def test_absent_leaves_kpatch_service_alone(kernel, run_module):
    kernel.binaries.add('kpatch')
    kernel.file('/usr/lib/systemd/system/kpatch.service', '[Unit]\n')
    install(kernel, run_module)
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove']
    assert os.path.islink(str(kernel.path(WANTS + 'kpatch.service')))


def test_absent_of_an_installed_patch_not_loaded_only_removes_it(kernel, run_module):
    install(kernel, run_module)
    kernel.reboot()
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['remove', 'unboot']
    assert kernel.commands == [] and kernel.writes == []


# ---------------------------------------------------------------------------
# Check mode and diff mode
# ---------------------------------------------------------------------------

def test_check_mode_predicts_the_steps_and_changes_nothing(kernel, run_module, snapshot):
    kernel.patch_file()
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed', _ansible_check_mode=True)
    assert not failed and result['changed'] is True
    assert result['steps'] == ['insmod', 'copy', 'boot']
    assert result['patch'] == result['before'] == NOT_THERE
    assert kernel.commands == [['modinfo', SRC]] and kernel.writes == []
    assert snapshot(kernel.root) == before


def test_check_mode_of_absent_predicts_every_step_and_changes_nothing(kernel, run_module, snapshot):
    install(kernel, run_module)
    before = snapshot(kernel.root)
    failed, result = run(run_module, state='absent', _ansible_check_mode=True)
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove', 'unboot']
    assert kernel.commands == [] and kernel.writes == []
    assert snapshot(kernel.root) == before


def test_check_mode_predicts_the_load_of_a_src_not_yet_on_the_host(kernel, run_module, snapshot):
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed', _ansible_check_mode=True)
    assert not failed and result['steps'] == ['insmod', 'copy', 'boot']
    assert kernel.commands == []
    assert snapshot(kernel.root) == before


def test_diff_shows_whether_the_patch_is_active_and_where_it_is_installed(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed', _ansible_diff=True)
    assert not failed
    assert result['diff'] == {'before': {'active': False, 'installed': None},
                              'after': {'active': True, 'installed': INSTALLED}}
    failed, result = run(run_module, state='disabled', _ansible_diff=True, _ansible_check_mode=True)
    assert result['diff'] == {'before': {'active': True, 'installed': INSTALLED},
                              'after': {'active': False, 'installed': INSTALLED}}
    failed, result = run(run_module, state='absent', _ansible_diff=True)
    assert not failed
    assert result['diff'] == {'before': {'active': True, 'installed': INSTALLED},
                              'after': {'active': False, 'installed': None}}


# ---------------------------------------------------------------------------
# Refused before anything
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('kernel', [(TK4, None)], indirect=True)
def test_kernel_without_a_hot_patch_interface_fails_before_anything(kernel, run_module, snapshot):
    kernel.patch_file()
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['changed'] is False
    assert result['msg'] == ('kernel %s has neither /sys/kernel/livepatch nor /sys/kernel/kpatch: it cannot be hot '
                             'patched; nothing was changed' % TK4)
    assert kernel.commands == []
    assert snapshot(kernel.root) == before


@pytest.mark.parametrize('args, message', [
    ({'name': 'livepatch fix'}, "name: 'livepatch fix' is not a kernel module name"),
    ({'name': 'x' * 56}, "name: '%s' is not a kernel module name" % ('x' * 56)),
    ({'timeout': 0}, 'timeout: 0 is not allowed (seconds, at least 1); nothing was changed'),
    ({'timeout': -5}, 'timeout: -5 is not allowed'),
])
def test_bad_parameter_fails_naming_it(kernel, run_module, args, message):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, **args)
    assert failed and result['msg'].startswith(message) and result['msg'].endswith('; nothing was changed')
    assert kernel.commands == []


def test_no_src_and_not_installed_fails_naming_src(kernel, run_module):
    failed, result = run(run_module, state='installed')
    assert failed
    assert result['msg'] == ('src: required to load %s, which is not installed for kernel %s (no %s); nothing '
                             'was changed' % (NAME, TK4, INSTALLED))
    assert kernel.commands == []


def test_src_missing_on_the_host_fails_naming_it(kernel, run_module):
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == 'src: %s is not a file on the host; nothing was changed' % SRC
    assert kernel.commands == []


def test_kmod_missing_fails_naming_the_package(kernel, run_module):
    kernel.patch_file()
    kernel.binaries.discard('modinfo')
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == 'modinfo not found: install the kmod package; nothing was changed'
    assert kernel.commands == []


def test_unreadable_running_kernel_fails(kernel, run_module):
    kernel.path('/proc/sys/kernel/osrelease').remove()
    failed, result = run(run_module, state='absent')
    assert failed and result['msg'] == ('cannot read the running kernel from /proc/sys/kernel/osrelease; '
                                        'nothing was changed')

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel hot patches (facts sheet sections 4 and 8): modinfo, a patch module's format, /proc/modules, the
plan from a patch's status to a state, the boot unit and its script, the tasks that block a transition,
and the registered patches below /sys/kernel/livepatch and /sys/kernel/kpatch, on fixture trees."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import subprocess

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import features, livepatch

KERNEL = '5.4.119-19-0009.1'
NAME = 'livepatch_cve_2026_1234'

# `modinfo livepatch_cve_2026_1234.ko` of a kpatch-build live patch module, as kmod's modinfo prints it
# (tools/modinfo.c: the key and its colon padded to 16 columns; an empty `depends:` still printed; the
# kernel's VERMAGIC_STRING ends with a space, include/linux/vermagic.h).
MODINFO = (
    'filename:       /var/tmp/livepatch_cve_2026_1234.ko\n'
    'livepatch:      Y\n'
    'license:        GPL\n'
    'srcversion:     2F4B8C0D6E1A3B5C7D9E0F1\n'
    'depends:        \n'
    'retpoline:      Y\n'
    'name:           livepatch_cve_2026_1234\n'
    'vermagic:       5.4.119-19-0009.1 SMP mod_unload modversions \n'
)

# `modinfo kpatch-cve-2026-1234.ko` of a kpatch-format patch module: no `livepatch` field, and `depends`
# names the kpatch core, whose kpatch_register() the patch calls (dynup/kpatch kmod/patch/kpatch-patch-hook.c;
# modpost writes the modules whose exports a module uses into `depends`).
MODINFO_KPATCH = (
    'filename:       /var/tmp/kpatch-cve-2026-1234.ko\n'
    'license:        GPL\n'
    'srcversion:     9C1D0E2F4A6B8C0D2E4F6A8\n'
    'depends:        kpatch\n'
    'retpoline:      Y\n'
    'name:           kpatch_cve_2026_1234\n'
    'vermagic:       4.14.105-19-0013 SMP mod_unload modversions \n'
)

# The tail of `modinfo` of a signed module with a parameter: a `parm:` value holds a colon, the signature
# continues over indented lines of hex bytes with colons (kmod prints them wrapped).
MODINFO_SIGNED_TAIL = (
    'parm:           debug:Enable debug output (int)\n'
    'sig_id:         PKCS#7\n'
    'signer:         TencentOS kernel signing key\n'
    'sig_hashalgo:   sha256\n'
    'signature:      30:45:02:21:00:C4:3B:9A:11:5E:60:2D:8C:7F:AA:01:33:4E:77:\n'
    '\t\t90:1B:2C:3D\n'
)

# /proc/modules as kernel/module.c m_show() prints it: name, size, reference count, users (or "-"),
# state, address (zeros to a reader without CAP_SYSLOG), taints; a live patch is tainted K.
PROC_MODULES = (
    'livepatch_cve_2026_1234 16384 1 - Live 0x0000000000000000 (OEK)\n'
    'xfs 1490944 2 - Live 0x0000000000000000\n'
    'libcrc32c 16384 3 nf_nat,nf_conntrack,xfs, Live 0x0000000000000000\n'
    'virtio_net 57344 0 - Live 0x0000000000000000\n'
    '\n'
)


def write(tmpdir, path, content):
    tmpdir.join(*path.strip('/').split('/')).write(content, ensure=True)


# ---------------------------------------------------------------------------
# modinfo, vermagic, /proc/modules, names, installed paths
# ---------------------------------------------------------------------------

def test_modinfo_fields_are_read_from_kmods_padded_output():
    assert livepatch.parse_modinfo(MODINFO) == {
        'filename': '/var/tmp/livepatch_cve_2026_1234.ko', 'livepatch': 'Y', 'license': 'GPL',
        'srcversion': '2F4B8C0D6E1A3B5C7D9E0F1', 'depends': '', 'retpoline': 'Y',
        'name': NAME, 'vermagic': '5.4.119-19-0009.1 SMP mod_unload modversions'}


def test_modinfo_values_with_colons_and_signature_lines_do_not_change_name_or_vermagic():
    fields = livepatch.parse_modinfo(MODINFO + MODINFO_SIGNED_TAIL)
    assert fields['parm'] == 'debug:Enable debug output (int)'
    assert fields['signature'].startswith('30:45:02:21:00:C4')
    assert (fields['name'], fields['vermagic']) == (NAME, '5.4.119-19-0009.1 SMP mod_unload modversions')
    assert fields['signer'] == 'TencentOS kernel signing key'


def test_livepatch_format_is_read_from_the_livepatch_field():
    assert livepatch.patch_format(livepatch.parse_modinfo(MODINFO)) == 'livepatch'


def test_kpatch_format_is_read_from_a_dependency_on_the_kpatch_core():
    assert livepatch.patch_format(livepatch.parse_modinfo(MODINFO_KPATCH)) == 'kpatch'


@pytest.mark.parametrize('fields, patch_format', [
    ({'depends': 'kpatch,xfs'}, 'kpatch'),
    ({'depends': 'xfs,kpatch'}, 'kpatch'),
    # A module that needs the kpatch core needs it first, whatever else it says.
    ({'depends': 'kpatch', 'livepatch': 'Y'}, 'kpatch'),
    ({'depends': 'kpatch_shadow'}, None),
    ({'depends': 'xfs', 'livepatch': 'N'}, None),
    ({'depends': ''}, None),
    ({}, None),
])
def test_a_module_is_kpatch_format_only_when_it_depends_on_the_kpatch_core(fields, patch_format):
    assert livepatch.patch_format(fields) == patch_format


def test_the_kpatch_core_is_loaded_where_its_sysfs_directory_exists(tmpdir):
    assert livepatch.kpatch_core_loaded(str(tmpdir)) is False
    tmpdir.join('sys', 'kernel', 'livepatch').ensure(dir=True)
    assert livepatch.kpatch_core_loaded(str(tmpdir)) is False
    tmpdir.join('sys', 'kernel', 'kpatch').ensure(dir=True)
    assert livepatch.kpatch_core_loaded(str(tmpdir)) is True


def test_modinfo_repeated_field_keeps_its_first_value():
    text = 'alias:          fs-cgroupfs\nalias:          cgroupfs\nname:           cgroupfs\n'
    assert livepatch.parse_modinfo(text) == {'alias': 'fs-cgroupfs', 'name': 'cgroupfs'}


@pytest.mark.parametrize('text', [None, '', 'modinfo: ERROR: Module /var/tmp/x.ko not found.\n'])
def test_modinfo_without_fields_gives_no_name_and_no_vermagic(text):
    fields = livepatch.parse_modinfo(text)
    assert 'name' not in fields and 'vermagic' not in fields


@pytest.mark.parametrize('vermagic, kernel', [
    ('5.4.119-19-0009.1 SMP mod_unload modversions ', '5.4.119-19-0009.1'),
    ('4.14.105-19-0020.1 SMP mod_unload modversions', '4.14.105-19-0020.1'),
    ('6.6.98-40.2.tl4.x86_64 SMP preempt mod_unload modversions aarch64', '6.6.98-40.2.tl4.x86_64'),
    ('', None),
    (None, None),
])
def test_vermagic_kernel_is_its_first_word(vermagic, kernel):
    assert livepatch.vermagic_kernel(vermagic) == kernel


def test_loaded_modules_are_the_first_words_of_proc_modules():
    assert livepatch.loaded_modules(PROC_MODULES) == set([NAME, 'xfs', 'libcrc32c', 'virtio_net'])
    assert livepatch.loaded_modules('') == set()
    assert livepatch.loaded_modules(None) == set()


def test_a_module_is_loaded_where_sysfs_has_its_initstate_even_without_proc_modules(tmpdir):
    # /sys/module/<name>/initstate exists for a loaded module (kernel/module.c module_sysfs_initstate);
    # built-in modules have /sys/module/<name>/ without it. Kernels built without module support have
    # no /proc/modules at all.
    root = str(tmpdir)
    write(tmpdir, '/sys/module/%s/initstate' % NAME, 'live\n')
    write(tmpdir, '/sys/module/printk/parameters/time', 'Y\n')
    assert livepatch.module_loaded(root, NAME)
    assert not livepatch.module_loaded(root, 'printk')
    assert not livepatch.module_loaded(root, 'xfs')
    write(tmpdir, '/proc/modules', PROC_MODULES)
    assert livepatch.module_loaded(root, 'xfs')


def test_the_boot_script_skips_modules_loaded_by_either_sign():
    assert '[ -e "/sys/module/$name/initstate" ] || grep -qs "^$name " /proc/modules' in livepatch.OWN_SCRIPT


@pytest.mark.parametrize('name', [NAME, 'kpatch-fix', 'a', 'x' * 55, 'livepatch_0_1'])
def test_module_names_of_1_to_55_letters_digits_dashes_and_underscores_are_accepted(name):
    assert livepatch.name_problem(name) is None


@pytest.mark.parametrize('name', ['', None, 'x' * 56, 'livepatch fix', '../../etc/passwd', 'fix.ko',
                                  'fix\n', 'livepatch_é'])
def test_other_names_are_refused_naming_the_parameter(name):
    problem = livepatch.name_problem(name)
    assert problem.startswith('name: %r is not a kernel module name' % (name,))


def test_dashes_in_a_module_name_become_underscores_as_the_kernel_does():
    assert livepatch.module_name('livepatch-cve-2026-1234') == 'livepatch_cve_2026_1234'
    assert livepatch.module_name(NAME) == NAME


def test_installed_path_is_kpatchs_layout():
    assert livepatch.installed_path(KERNEL, NAME) == '/var/lib/kpatch/5.4.119-19-0009.1/livepatch_cve_2026_1234.ko'


def test_installed_files_lists_every_kernels_ko_files_in_order(tmpdir):
    write(tmpdir, '/var/lib/kpatch/5.4.119-19-0009.1/livepatch_b.ko', 'b')
    write(tmpdir, '/var/lib/kpatch/5.4.119-19-0009.1/livepatch-a.ko', 'a')
    write(tmpdir, '/var/lib/kpatch/5.4.119-19-0009.1/README', 'not a patch')
    write(tmpdir, '/var/lib/kpatch/4.14.105-19-0020.1/livepatch_c.ko', 'c')
    tmpdir.join('var', 'lib', 'kpatch', '6.6.98-40.2.tl4.x86_64').ensure(dir=True)
    assert livepatch.installed_files(str(tmpdir)) == [
        ('4.14.105-19-0020.1', 'livepatch_c'), ('5.4.119-19-0009.1', 'livepatch_a'),
        ('5.4.119-19-0009.1', 'livepatch_b')]


def test_installed_copies_are_the_own_file_then_those_kpatch_install_kept_with_dashes(tmpdir):
    write(tmpdir, '/var/lib/kpatch/%s/livepatch-cve-2026-1234.ko' % KERNEL, 'dashed')
    write(tmpdir, '/var/lib/kpatch/%s/livepatch-cve-2026-9999.ko' % KERNEL, 'another patch')
    dashed = '/var/lib/kpatch/%s/livepatch-cve-2026-1234.ko' % KERNEL
    assert livepatch.installed_copies(str(tmpdir), KERNEL, NAME) == [dashed]
    write(tmpdir, livepatch.installed_path(KERNEL, NAME), 'own')
    assert livepatch.installed_copies(str(tmpdir), KERNEL, NAME) == [livepatch.installed_path(KERNEL, NAME), dashed]
    assert livepatch.installed_copies(str(tmpdir), '4.14.105-19-0020.1', NAME) == []


def test_installed_files_without_the_directory_is_empty(tmpdir):
    assert livepatch.installed_files(str(tmpdir)) == []


# ---------------------------------------------------------------------------
# The plan: every state from every starting status
# ---------------------------------------------------------------------------

INSTALLED = '/var/lib/kpatch/%s/%s.ko' % (KERNEL, NAME)


def status(registered, enabled, module_loaded, installed):
    return {'name': NAME, 'abi': 'livepatch' if registered else None, 'registered': registered,
            'enabled': enabled, 'transition': False, 'module_loaded': module_loaded,
            'installed': INSTALLED if installed else None}


# The starting statuses: nothing; registered and enabled; registered and disabled, as a 4.14 kernel keeps
# a disabled patch; a module left loaded without its sysfs directory, as 5.1+ frees a disabled patch.
STATUSES = {
    'none': (False, False, False),
    'enabled': (True, True, True),
    'kept_disabled': (True, False, True),
    'leftover_module': (False, False, True),
}

# (start, installed, state, file_current, boot_ready) -> steps. file_current and boot_ready matter to
# state=installed only; the other states are given the opposite values too (see the test).
PLAN_TABLE = [
    ('none', False, 'loaded', True, True, ['insmod']),
    ('none', True, 'loaded', True, True, ['insmod']),
    ('enabled', False, 'loaded', True, True, []),
    ('enabled', True, 'loaded', True, True, []),
    ('kept_disabled', False, 'loaded', True, True, ['enable']),
    ('kept_disabled', True, 'loaded', True, True, ['enable']),
    ('leftover_module', False, 'loaded', True, True, ['rmmod', 'insmod']),
    ('leftover_module', True, 'loaded', True, True, ['rmmod', 'insmod']),

    ('none', False, 'installed', False, False, ['insmod', 'copy', 'boot']),
    ('none', True, 'installed', False, True, ['insmod', 'copy']),
    ('none', True, 'installed', True, False, ['insmod', 'boot']),
    ('none', True, 'installed', True, True, ['insmod']),
    ('enabled', False, 'installed', False, False, ['copy', 'boot']),
    ('enabled', True, 'installed', False, True, ['copy']),
    ('enabled', True, 'installed', True, False, ['boot']),
    ('enabled', True, 'installed', True, True, []),
    ('kept_disabled', False, 'installed', False, False, ['enable', 'copy', 'boot']),
    ('kept_disabled', True, 'installed', False, True, ['enable', 'copy']),
    ('kept_disabled', True, 'installed', True, False, ['enable', 'boot']),
    ('kept_disabled', True, 'installed', True, True, ['enable']),
    ('leftover_module', False, 'installed', False, False, ['rmmod', 'insmod', 'copy', 'boot']),
    ('leftover_module', True, 'installed', False, True, ['rmmod', 'insmod', 'copy']),
    ('leftover_module', True, 'installed', True, False, ['rmmod', 'insmod', 'boot']),
    ('leftover_module', True, 'installed', True, True, ['rmmod', 'insmod']),

    ('none', False, 'disabled', True, True, []),
    ('none', True, 'disabled', True, True, []),
    ('enabled', False, 'disabled', True, True, ['disable', 'rmmod']),
    ('enabled', True, 'disabled', True, True, ['disable', 'rmmod']),
    ('kept_disabled', False, 'disabled', True, True, ['rmmod']),
    ('kept_disabled', True, 'disabled', True, True, ['rmmod']),
    ('leftover_module', False, 'disabled', True, True, ['rmmod']),
    ('leftover_module', True, 'disabled', True, True, ['rmmod']),

    ('none', False, 'absent', True, True, []),
    ('none', True, 'absent', True, True, ['remove']),
    ('enabled', False, 'absent', True, True, ['disable', 'rmmod']),
    ('enabled', True, 'absent', True, True, ['disable', 'rmmod', 'remove']),
    ('kept_disabled', False, 'absent', True, True, ['rmmod']),
    ('kept_disabled', True, 'absent', True, True, ['rmmod', 'remove']),
    ('leftover_module', False, 'absent', True, True, ['rmmod']),
    ('leftover_module', True, 'absent', True, True, ['rmmod', 'remove']),
]


@pytest.mark.parametrize('start, installed, state, file_current, boot_ready, steps', PLAN_TABLE)
def test_plan_from_every_starting_status_to_every_state(start, installed, state, file_current, boot_ready, steps):
    registered, enabled, module_loaded = STATUSES[start]
    start_status = status(registered, enabled, module_loaded, installed)
    assert livepatch.plan(start_status, state, file_current, boot_ready) == steps
    if state != 'installed':
        assert livepatch.plan(start_status, state, not file_current, not boot_ready) == steps


def test_plan_table_covers_every_state_and_starting_status():
    covered = set((start, installed, state) for start, installed, state, _f, _b, _s in PLAN_TABLE)
    assert covered == set((start, installed, state) for start in STATUSES for installed in (False, True)
                          for state in livepatch.STATES)


@pytest.mark.parametrize('start, installed, state, steps', [
    ('none', False, 'loaded', ['modprobe', 'insmod']),
    ('none', False, 'installed', ['modprobe', 'insmod', 'copy', 'boot']),
    ('leftover_module', False, 'loaded', ['rmmod', 'modprobe', 'insmod']),
    # Nothing to load: no core either.
    ('enabled', False, 'loaded', []),
    ('kept_disabled', False, 'loaded', ['enable']),
    ('enabled', True, 'disabled', ['disable', 'rmmod']),
    ('none', True, 'absent', ['remove']),
])
def test_the_kpatch_core_is_loaded_right_before_the_patch_and_only_when_one_is_loaded(start, installed, state, steps):
    registered, enabled, module_loaded = STATUSES[start]
    start_status = status(registered, enabled, module_loaded, installed)
    assert livepatch.plan(start_status, state, False, False, load_core=True) == steps


def test_patch_is_persisted_only_after_it_is_active():
    steps = livepatch.plan(status(False, False, True, False), 'installed', False, False)
    assert steps.index('copy') > steps.index('insmod') and steps.index('boot') > steps.index('insmod')


def test_patch_status_reads_sysfs_proc_modules_and_the_installed_copy(tmpdir):
    write(tmpdir, '/sys/kernel/livepatch/%s/enabled' % NAME, '1\n')
    write(tmpdir, '/sys/kernel/livepatch/%s/transition' % NAME, '1\n')
    write(tmpdir, '/proc/modules', PROC_MODULES)
    write(tmpdir, INSTALLED, 'patch')
    assert livepatch.patch_status(str(tmpdir), NAME, KERNEL) == {
        'name': NAME, 'abi': 'livepatch', 'registered': True, 'enabled': True, 'transition': True,
        'module_loaded': True, 'installed': INSTALLED}
    assert livepatch.patch_status(str(tmpdir), 'livepatch_other', KERNEL) == {
        'name': 'livepatch_other', 'abi': None, 'registered': False, 'enabled': False, 'transition': False,
        'module_loaded': False, 'installed': None}
    # An installed copy of another kernel is not this kernel's.
    assert livepatch.patch_status(str(tmpdir), NAME, '4.14.105-19-0020.1')['installed'] is None


def test_patches_in_transition_are_named():
    patches = [{'name': 'livepatch_a', 'abi': 'livepatch', 'enabled': True, 'transition': False},
               {'name': 'livepatch_b', 'abi': 'livepatch', 'enabled': False, 'transition': True},
               {'name': 'kpatch_c', 'abi': 'kpatch', 'enabled': True, 'transition': False}]
    assert livepatch.patches_in_transition(patches) == ['livepatch_b']
    assert livepatch.patches_in_transition([]) == []


# ---------------------------------------------------------------------------
# The boot unit
# ---------------------------------------------------------------------------

WANTS = '/etc/systemd/system/multi-user.target.wants/'


def link(tmpdir, path, target):
    path = tmpdir.join(*path.strip('/').split('/'))
    path.dirpath().ensure(dir=True)
    os.symlink(target, str(path))


def own_unit(tmpdir, unit_text=livepatch.OWN_UNIT_TEXT, script=livepatch.OWN_SCRIPT, mode=0o755, linked=True):
    write(tmpdir, livepatch.OWN_UNIT_PATH, unit_text)
    write(tmpdir, livepatch.OWN_SCRIPT_PATH, script)
    tmpdir.join(*livepatch.OWN_SCRIPT_PATH.strip('/').split('/')).chmod(mode)
    if linked:
        link(tmpdir, WANTS + livepatch.OWN_UNIT, livepatch.OWN_UNIT_PATH)


@pytest.mark.parametrize('unit_path', ['/usr/lib/systemd/system/kpatch.service', '/etc/systemd/system/kpatch.service',
                                       '/lib/systemd/system/kpatch.service'])
def test_kpatch_service_is_the_boot_unit_where_the_cli_and_its_unit_are_installed(tmpdir, unit_path):
    # kpatch's unit as its Makefile installs it (dynup/kpatch contrib/kpatch.service).
    write(tmpdir, unit_path, '[Unit]\nDescription="Apply kpatch kernel patches"\n\n[Service]\nType=oneshot\n'
          'RemainAfterExit=yes\nExecStart=/usr/sbin/kpatch load --all\n\n[Install]\nWantedBy=multi-user.target\n')
    assert livepatch.boot_unit(str(tmpdir), '/usr/sbin/kpatch') == ('kpatch.service', unit_path, None)


def test_own_unit_without_the_kpatch_cli_even_where_its_unit_is_left(tmpdir):
    write(tmpdir, '/usr/lib/systemd/system/kpatch.service', '[Unit]\n')
    assert livepatch.boot_unit(str(tmpdir), None) == (livepatch.OWN_UNIT, livepatch.OWN_UNIT_PATH,
                                                      livepatch.OWN_UNIT_TEXT)


def test_own_unit_with_the_kpatch_cli_but_without_its_unit(tmpdir):
    assert livepatch.boot_unit(str(tmpdir), '/usr/sbin/kpatch') == (livepatch.OWN_UNIT, livepatch.OWN_UNIT_PATH,
                                                                    livepatch.OWN_UNIT_TEXT)


def test_kpatch_format_patch_gets_the_own_unit_even_with_the_kpatch_cli_and_its_unit(tmpdir):
    # dynup's `kpatch load` loads the core only on a kernel without the livepatch core (kpatch/kpatch).
    write(tmpdir, '/usr/lib/systemd/system/kpatch.service', '[Unit]\n')
    assert livepatch.boot_unit(str(tmpdir), '/usr/sbin/kpatch', 'kpatch') == (
        livepatch.OWN_UNIT, livepatch.OWN_UNIT_PATH, livepatch.OWN_UNIT_TEXT)
    assert livepatch.boot_unit(str(tmpdir), '/usr/sbin/kpatch', 'livepatch')[0] == 'kpatch.service'


def test_own_unit_loads_before_kpatch_service():
    assert 'Before=kpatch.service\n' in livepatch.OWN_UNIT_TEXT


def test_own_unit_runs_the_own_script_at_boot():
    assert 'ExecStart=%s\n' % livepatch.OWN_SCRIPT_PATH in livepatch.OWN_UNIT_TEXT
    assert 'WantedBy=multi-user.target\n' in livepatch.OWN_UNIT_TEXT
    assert livepatch.OWN_SCRIPT.startswith('#!/bin/sh\n')
    assert '/var/lib/kpatch/"$kernel"/*.ko' in livepatch.OWN_SCRIPT


def own_unit_ready(tmpdir):
    return livepatch.boot_unit_ready(str(tmpdir), livepatch.OWN_UNIT, livepatch.OWN_UNIT_PATH,
                                     livepatch.OWN_UNIT_TEXT)


def test_own_unit_is_ready_when_linked_current_and_executable(tmpdir):
    own_unit(tmpdir)
    assert own_unit_ready(tmpdir) is True


@pytest.mark.parametrize('change', ['not linked', 'linked elsewhere', 'old unit text', 'old script', 'no script',
                                    'script not executable'])
def test_own_unit_is_not_ready_when_anything_differs(tmpdir, change):
    own_unit(tmpdir, linked=change not in ('not linked', 'linked elsewhere'),
             unit_text=livepatch.OWN_UNIT_TEXT.replace('Before=', '#Before=') if change == 'old unit text'
             else livepatch.OWN_UNIT_TEXT,
             script=livepatch.OWN_SCRIPT + '# older\n' if change == 'old script' else livepatch.OWN_SCRIPT,
             mode=0o644 if change == 'script not executable' else 0o755)
    if change == 'linked elsewhere':
        link(tmpdir, WANTS + livepatch.OWN_UNIT, '/usr/lib/systemd/system/' + livepatch.OWN_UNIT)
    if change == 'no script':
        os.remove(str(tmpdir.join(*livepatch.OWN_SCRIPT_PATH.strip('/').split('/'))))
    assert own_unit_ready(tmpdir) is False


def test_kpatch_service_is_ready_when_linked_whatever_its_text(tmpdir):
    unit = ('kpatch.service', '/usr/lib/systemd/system/kpatch.service', None)
    write(tmpdir, unit[1], 'whatever kpatch ships\n')
    assert livepatch.boot_unit_ready(str(tmpdir), *unit) is False
    link(tmpdir, WANTS + 'kpatch.service', unit[1])
    assert livepatch.boot_unit_ready(str(tmpdir), *unit) is True


# ---------------------------------------------------------------------------
# Tasks that block a transition, and waiting
# ---------------------------------------------------------------------------

def task(tmpdir, pid, tid, patch_state, comm):
    """A task as /proc shows it: proc_pid_patch_state() prints "%d\\n" (-1 outside a transition)."""
    base = '/proc/%s/task/%s/' % (pid, tid)
    if patch_state is not None:
        write(tmpdir, base + 'patch_state', '%d\n' % patch_state)
    if comm is not None:
        write(tmpdir, base + 'comm', comm + '\n')


@pytest.fixture
def tasks(tmpdir):
    task(tmpdir, 1, 1, 1, 'systemd')
    task(tmpdir, 77, 77, 0, 'sshd')
    task(tmpdir, 100, 100, 1, 'crond')
    task(tmpdir, 4242, 4242, 0, 'nfsd')
    task(tmpdir, 4242, 4250, 0, 'nfsd')
    task(tmpdir, 4300, 4300, -1, 'bash')
    task(tmpdir, 4400, 4400, 0, None)
    tmpdir.join('proc', '4500').ensure(dir=True)  # exited while /proc was read: no task/
    link(tmpdir, '/proc/self', '4242')
    tmpdir.join('proc', 'sys', 'kernel').ensure(dir=True)
    return str(tmpdir)


def test_blocking_tasks_are_the_ones_not_yet_at_the_target_in_pid_order(tasks):
    assert livepatch.blocking_tasks(tasks, 1) == ['77 (sshd)', '4242 (nfsd)', '4250 (nfsd)', '4400 (?)']
    assert livepatch.blocking_tasks(tasks, 0) == ['1 (systemd)', '100 (crond)']


def test_blocking_tasks_are_limited(tasks):
    assert livepatch.blocking_tasks(tasks, 1, limit=2) == ['77 (sshd)', '4242 (nfsd)']


def test_kernel_without_patch_state_reports_no_blocking_task(tmpdir):
    task(tmpdir, 4242, 4242, None, 'nfsd')
    assert livepatch.blocking_tasks(str(tmpdir), 1) == []
    assert livepatch.blocking_tasks(str(tmpdir.join('nowhere')), 1) == []


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_a_condition_already_met_does_not_sleep():
    fake = FakeClock()
    assert livepatch.wait_for(lambda: True, 60, fake.sleep, fake.clock) == (True, 0)
    assert fake.sleeps == []


def test_wait_for_polls_until_the_condition_is_met():
    fake = FakeClock()
    answers = [False, False, False, True]
    met, waited = livepatch.wait_for(lambda: answers.pop(0), 60, fake.sleep, fake.clock)
    assert met is True and waited == pytest.approx(0.6)
    assert fake.sleeps == [0.2, 0.2, 0.2] and answers == []


def test_wait_for_gives_up_after_the_timeout():
    fake = FakeClock()
    calls = []
    met, waited = livepatch.wait_for(lambda: calls.append(1), 3, fake.sleep, fake.clock, interval=0.5)
    assert met is False and waited == pytest.approx(3)
    assert len(fake.sleeps) == 6 and len(calls) == 7


# ---------------------------------------------------------------------------
# Registered patches (features.read_hot_patches), on the layouts of section 4
# ---------------------------------------------------------------------------

def livepatch_dir(tmpdir, name, enabled, transition, function='cmdline_proc_show,1'):
    """/sys/kernel/livepatch/<patch>/ as the kernel registers it: enabled, transition, force, and one
    directory per patched object (vmlinux or a module) holding one per function, <function>,<sympos>."""
    base = '/sys/kernel/livepatch/%s/' % name
    write(tmpdir, base + 'enabled', '%d\n' % enabled)
    write(tmpdir, base + 'transition', '%d\n' % transition)
    write(tmpdir, base + 'force', '')
    tmpdir.join(*(base + 'vmlinux/' + function).strip('/').split('/')).ensure(dir=True)


def test_livepatch_layout_lists_each_patch_with_enabled_and_transition(tmpdir):
    livepatch_dir(tmpdir, 'livepatch_b', 1, 1)
    livepatch_dir(tmpdir, 'livepatch_a', 1, 0)
    livepatch_dir(tmpdir, 'livepatch_c', 0, 0)
    assert features.read_hot_patches(str(tmpdir)) == [
        {'name': 'livepatch_a', 'abi': 'livepatch', 'enabled': True, 'transition': False},
        {'name': 'livepatch_b', 'abi': 'livepatch', 'enabled': True, 'transition': True},
        {'name': 'livepatch_c', 'abi': 'livepatch', 'enabled': False, 'transition': False}]


def test_object_directories_inside_a_patch_are_not_patches(tmpdir):
    livepatch_dir(tmpdir, 'livepatch_a', 1, 0)
    tmpdir.join('sys', 'kernel', 'livepatch', 'livepatch_a', 'xfs', 'xfs_file_read_iter,1').ensure(dir=True)
    assert [patch['name'] for patch in features.read_hot_patches(str(tmpdir))] == ['livepatch_a']
    assert features.hot_patch_dirs(str(tmpdir)) == [
        ('livepatch', 'livepatch_a', '/sys/kernel/livepatch/livepatch_a')]


def test_kpatch_core_layouts_have_no_transition_and_other_entries_are_ignored(tmpdir):
    # dynup's kpatch core: /sys/kernel/kpatch/patches/<patch>/{enabled,checksum,functions/}.
    write(tmpdir, '/sys/kernel/kpatch/patches/kpatch_fix_one/enabled', '1\n')
    write(tmpdir, '/sys/kernel/kpatch/patches/kpatch_fix_one/checksum', 'a3f1c0\n')
    tmpdir.join('sys', 'kernel', 'kpatch', 'patches', 'kpatch_fix_one', 'functions').ensure(dir=True)
    # The tkernel fork: /sys/kernel/kpatch/<patch>/enabled.
    write(tmpdir, '/sys/kernel/kpatch/kpatch_fix_two/enabled', '0\n')
    # Not patches: an entry without `enabled`, and a plain attribute.
    tmpdir.join('sys', 'kernel', 'kpatch', 'hooks').ensure(dir=True)
    write(tmpdir, '/sys/kernel/kpatch/version', '0.9.7\n')
    assert features.read_hot_patches(str(tmpdir)) == [
        {'name': 'kpatch_fix_one', 'abi': 'kpatch', 'enabled': True, 'transition': False},
        {'name': 'kpatch_fix_two', 'abi': 'kpatch', 'enabled': False, 'transition': False}]
    assert features.hot_patch_dirs(str(tmpdir)) == [
        ('kpatch', 'kpatch_fix_one', '/sys/kernel/kpatch/patches/kpatch_fix_one'),
        ('kpatch', 'kpatch_fix_two', '/sys/kernel/kpatch/kpatch_fix_two')]


def test_both_abis_are_listed_upstream_first(tmpdir):
    write(tmpdir, '/sys/kernel/kpatch/kpatch_fix_two/enabled', '1\n')
    livepatch_dir(tmpdir, 'livepatch_z', 1, 0)
    assert [(patch['abi'], patch['name']) for patch in features.read_hot_patches(str(tmpdir))] == [
        ('livepatch', 'livepatch_z'), ('kpatch', 'kpatch_fix_two')]


def test_kernel_without_hot_patch_interfaces_has_none(tmpdir):
    assert features.read_hot_patches(str(tmpdir)) == []
    tmpdir.join('sys', 'kernel', 'livepatch').ensure(dir=True)
    tmpdir.join('sys', 'kernel', 'kpatch').ensure(dir=True)
    assert features.read_hot_patches(str(tmpdir)) == []


def test_patch_directory_gone_while_read_is_left_out(tmpdir, monkeypatch):
    # Since 5.1 a disabled patch is freed: its directory can vanish between the listing and the read.
    livepatch_dir(tmpdir, 'livepatch_a', 1, 0)
    gone = ('livepatch', 'livepatch_gone', '/sys/kernel/livepatch/livepatch_gone')
    listed = features.hot_patch_dirs(str(tmpdir)) + [gone]
    monkeypatch.setattr(features, 'hot_patch_dirs', lambda root='/': listed)
    assert features.read_hot_patch(str(tmpdir), *gone) is None
    assert [patch['name'] for patch in features.read_hot_patches(str(tmpdir))] == ['livepatch_a']


def test_patch_directory_whose_attributes_are_gone_reads_disabled_not_in_transition(tmpdir):
    # sysfs removes a kobject's attributes before its directory.
    tmpdir.join('sys', 'kernel', 'livepatch', 'livepatch_half', 'vmlinux').ensure(dir=True)
    assert features.read_hot_patches(str(tmpdir)) == [
        {'name': 'livepatch_half', 'abi': 'livepatch', 'enabled': False, 'transition': False}]


# ---------------------------------------------------------------------------
# The boot script, run: kmod's commands as stand-ins below a fixture root
# ---------------------------------------------------------------------------

# Stand-ins for modinfo -F depends, modprobe kpatch and insmod, acting on the fixture root as a kernel
# does: insmod of a kpatch-format patch (depends=kpatch) without /sys/kernel/kpatch is refused with
# "Unknown symbol in module" (facts sheet section 8); each call is logged.
FAKE_TOOL = r"""#!/bin/sh
root=%(root)s
echo "$(basename "$0") $*" >> "$root/calls"
case $(basename "$0") in
    modinfo) sed -n 's/^depends=//p' "$3" ;;
    modprobe)
        [ -e "$root/kpatch-core-module" ] || { echo "modprobe: FATAL: Module kpatch not found" >&2; exit 1; }
        mkdir -p "$root/sys/kernel/kpatch" ;;
    insmod)
        name=$(sed -n 's/^name=//p' "$1")
        if grep -qx 'depends=kpatch' "$1" && [ ! -d "$root/sys/kernel/kpatch" ]; then
            echo "insmod: ERROR: could not insert module $1: Unknown symbol in module" >&2; exit 1
        fi
        mkdir -p "$root/sys/module/$name" && echo live > "$root/sys/module/$name/initstate" ;;
esac
"""


def run_boot_script(tmpdir, patches, core_module=True):
    """Run OWN_SCRIPT with its absolute paths moved below tmpdir; ``patches``: {file name: depends}."""
    root = str(tmpdir)
    write(tmpdir, '/proc/sys/kernel/osrelease', KERNEL + '\n')
    for file_name, depends in patches.items():
        write(tmpdir, '/var/lib/kpatch/%s/%s' % (KERNEL, file_name),
              'name=%s\ndepends=%s\n' % (livepatch.module_name(file_name[:-3]), depends))
    if core_module:
        write(tmpdir, '/kpatch-core-module', '')
    for tool in ('modinfo', 'modprobe', 'insmod'):
        write(tmpdir, '/bin/' + tool, FAKE_TOOL % {'root': root})
        tmpdir.join('bin', tool).chmod(0o755)
    # Every absolute path of the script, not the /sys inside /proc/sys.
    script = re.sub(r'(?<![\w/])/(proc|var/lib/kpatch|sys)/', root + r'/\1/', livepatch.OWN_SCRIPT)
    process = subprocess.Popen(['/bin/sh', '-c', script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={'PATH': '%s/bin:/usr/bin:/bin' % root})
    _out, err = process.communicate()
    calls = tmpdir.join('calls').read().splitlines() if tmpdir.join('calls').check() else []
    return process.returncode, err.decode('utf-8'), calls


def test_boot_script_loads_the_kpatch_core_before_a_kpatch_format_patch(tmpdir):
    code, err, calls = run_boot_script(tmpdir, {'kpatch_fix.ko': 'kpatch', 'livepatch_fix.ko': ''})
    assert (code, err) == (0, '')
    installed = '%s/var/lib/kpatch/%s/' % (tmpdir, KERNEL)
    assert calls == ['modinfo -F depends %skpatch_fix.ko' % installed, 'modprobe kpatch',
                     'insmod %skpatch_fix.ko' % installed,
                     'modinfo -F depends %slivepatch_fix.ko' % installed, 'insmod %slivepatch_fix.ko' % installed]


def test_boot_script_does_not_load_the_kpatch_core_for_livepatch_format_patches(tmpdir):
    code, _err, calls = run_boot_script(tmpdir, {'livepatch_fix.ko': '', 'livepatch_other.ko': 'xfs'})
    assert code == 0 and 'modprobe kpatch' not in calls


def test_boot_script_does_not_load_the_kpatch_core_where_it_is_there(tmpdir):
    tmpdir.join('sys', 'kernel', 'kpatch').ensure(dir=True)
    code, _err, calls = run_boot_script(tmpdir, {'kpatch_fix.ko': 'kpatch'}, core_module=False)
    assert code == 0 and 'modprobe kpatch' not in calls


def test_boot_script_without_a_kpatch_core_skips_the_patch_says_why_and_loads_the_others(tmpdir):
    code, err, calls = run_boot_script(tmpdir, {'kpatch_fix.ko': 'kpatch', 'livepatch_fix.ko': ''}, core_module=False)
    assert code == 1
    assert err == ('modprobe: FATAL: Module kpatch not found\n'
                   '%s/var/lib/kpatch/%s/kpatch_fix.ko: not loaded: it is a kpatch-format patch and modprobe kpatch '
                   'did not load the kpatch core module\n' % (tmpdir, KERNEL))
    assert [call.split()[0] for call in calls] == ['modinfo', 'modprobe', 'modinfo', 'insmod']
    assert calls[-1].endswith('livepatch_fix.ko')

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each host presents the simulated kernel interface of its release's kernel.conf (molecule/resources/README.md,
"The simulated kernel interface"), and its release's os-release."""


def test_osrelease_is_the_simulated_kernel(sim):
    assert sim.host.file('/proc/sys/kernel/osrelease').content_string.strip() == sim.kernel


def test_boot_id_is_the_hosts_own(sim, machine_before):
    assert sim.host.file('/proc/sys/kernel/random/boot_id').content_string.strip() != machine_before.boot_id


def test_stats_isolated_is_as_kernel_conf_says(sim):
    found = sim.host.run('sysctl -n kernel.stats_isolated')
    if sim.conf['stats_isolated'] == 'absent':
        assert found.rc != 0, 'kernel.stats_isolated = %s' % found.stdout.strip()
    else:
        assert found.rc == 0 and found.stdout.strip() == sim.conf['stats_isolated']


def test_cgroupfs_is_in_proc_filesystems_as_kernel_conf_says(sim):
    listed = 'cgroupfs' in sim.host.file('/proc/filesystems').content_string.split()
    assert listed == (sim.conf['cgroupfs'] == 'yes')


def test_sys_kernel_livepatch_is_there_as_kernel_conf_says(sim):
    found = sim.host.file('/sys/kernel/livepatch')
    if sim.has_livepatch:
        assert found.is_directory
    else:
        assert not found.exists


def test_sys_kernel_kpatch_is_there_as_kernel_conf_says(sim):
    found = sim.host.file('/sys/kernel/kpatch')
    if sim.has_kpatch:
        assert found.is_directory
    else:
        assert not found.exists


def test_the_real_sys_kernel_entries_are_still_there(sim):
    """The simulation mounts a tmpfs over /sys/kernel where it adds livepatch or kpatch, and binds the real
    entries back into it."""
    assert sim.host.run('test -e /sys/kernel/mm && cat /sys/kernel/address_bits').rc == 0


def test_os_release_version_id_is_the_release_version_or_its_major(sim):
    """The facts' version is the os-release VERSION_ID, or more precise where a release file says more (CentOS 7.9)."""
    version_id = sim.host.check_output('. /etc/os-release && echo "$VERSION_ID"')
    assert version_id in (sim.version, sim.version.split('.')[0])


def test_insmod_rmmod_modinfo_and_lsmod_are_the_simulations_stand_ins(sim):
    for tool in ('insmod', 'rmmod', 'modinfo', 'lsmod'):
        assert sim.host.run('readlink /usr/sbin/%s' % tool).stdout.strip() == '/usr/local/sbin/tencentos-sim-kmod', tool


def test_loaded_modules_are_the_simulations_list(sim):
    """/run/tencentos-sim/modules, bound over /proc/modules if the machine's kernel has one, and an overlay over
    /sys/module."""
    listed = sim.host.file('/run/tencentos-sim/modules')
    assert listed.is_file
    proc_modules = sim.host.file('/proc/modules')
    if proc_modules.exists:
        assert proc_modules.inode == listed.inode
    assert 'tencentos-sim-module /sys/module overlay' in [
        ' '.join(line.split()[:3]) for line in sim.host.file('/proc/mounts').content_string.splitlines()]

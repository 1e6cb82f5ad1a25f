# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each host's boot loader state selects the kernel it runs, and its boot is recorded (molecule/resources/README.md,
"Boot simulation")."""

import re


def test_grubenv_is_a_1024_byte_grub_environment_block(sim):
    grubenv = sim.host.file('/boot/grub2/grubenv')
    assert grubenv.size == 1024
    assert grubenv.content_string.splitlines()[0] == '# GRUB Environment Block'


def test_saved_entry_selects_the_running_kernel(sim):
    entry = sim.host.check_output('tencentos-sim-bootloader editenv get saved_entry')
    assert sim.host.check_output('tencentos-sim-bootloader resolve %s', entry) == sim.kernel


def test_the_boot_entry_of_the_running_kernel_boots_its_vmlinuz(sim):
    """legacy: a menuentry of grub.cfg titled with the kernel, whose linux16 line boots it; bls:
    /boot/loader/entries/<machine-id>-<uname -r>.conf, whose linux line does."""
    if sim.conf['bootloader'] == 'legacy':
        lines = sim.host.file('/boot/grub2/grub.cfg').content_string.splitlines()
        titled = [number for number, line in enumerate(lines) if re.match(r'menuentry .*\(%s\) ' % re.escape(sim.kernel), line)]
        assert [number for number in titled
                if [line for line in lines[number:number + 5] if 'linux16 /vmlinuz-%s ' % sim.kernel in line]], \
            'no menuentry of %s that boots /vmlinuz-%s in grub.cfg' % (sim.kernel, sim.kernel)
    else:
        assert sim.conf['bootloader'] == 'bls', 'kernel.conf bootloader= must be legacy or bls'
        machine_id = sim.host.file('/etc/machine-id').content_string.strip()
        entry = sim.host.file('/boot/loader/entries/%s-%s.conf' % (machine_id, sim.kernel))
        assert 'linux /vmlinuz-%s' % sim.kernel in entry.content_string.splitlines()


def test_boots_log_records_this_boot(sim):
    boot_id = sim.host.file('/proc/sys/kernel/random/boot_id').content_string.strip()
    last = sim.host.check_output('tail -n1 /var/log/tencentos-sim/boots.log')
    assert 'boot_id=%s kernel=%s ' % (boot_id, sim.kernel) in last


def test_shutdown_and_reboot_are_the_simulations_reboot_stand_in(sim):
    for tool in ('shutdown', 'reboot'):
        assert sim.host.run('readlink /usr/sbin/%s' % tool).stdout.strip() == '/usr/local/sbin/tencentos-sim-shutdown', tool

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run on each simulated host by read_state.yml: everything the fault suite asserts about a host, as one
JSON object on stdout. It reads the host as the simulation presents it (molecule/resources/README.md):
the running kernel, the boot loader's saved and one-time entries and the kernels GRUB's rules turn them
into (tencentos-sim-bootloader resolve), every kernel that ever booted or panicked (boots.log), the
kernel packages, the live patches loaded and their transitions, the patches persisted for the next
boot, the repository files with their checksums, and what the collection records on the host."""

import glob
import hashlib
import json
import os
import subprocess

BOOTLOADER = '/usr/local/sbin/tencentos-sim-bootloader'


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def run(*command):
    process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                             check=False)
    return process.stdout.strip() if process.returncode == 0 else None


def entry(key):
    """A grubenv entry and the kernel it boots (None: empty, or no entry of that name)."""
    name = run(BOOTLOADER, 'editenv', 'get', key) or ''
    return {'entry': name, 'kernel': run(BOOTLOADER, 'resolve', name) if name else None}


def boots():
    """Kernels that came up and kernels that panicked, from every boot of the host."""
    booted, panicked = [], []
    for line in (read('/var/log/tencentos-sim/boots.log') or '').splitlines():
        fields = dict(word.split('=', 1) for word in line.split(' via=', 1)[-1].split() if '=' in word)
        kernel = line.split(' kernel=', 1)[1].split(' ', 1)[0] if ' kernel=' in line else '-'
        if kernel != '-' and kernel not in booted:
            booted.append(kernel)
        panicked.extend(name for name in fields.get('panicked', '-').split(',') if name != '-')
    return booted, sorted(set(panicked))


def patches(directory):
    """{name: {enabled, transition}} of the patches registered below a sysfs directory."""
    found = {}
    for path in sorted(glob.glob(os.path.join(directory, '*', 'enabled'))):
        folder = os.path.dirname(path)
        found[os.path.basename(folder)] = {
            'enabled': (read(path) or '').strip(),
            'transition': (read(os.path.join(folder, 'transition')) or '0').strip()}
    return found


def main():
    booted, panicked = boots()
    rpm = run('rpm', '-qa', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n') or ''
    repo_dir = '/etc/yum.repos.d'
    state = {
        'running': (read('/proc/sys/kernel/osrelease') or '').strip(),
        'boot_id': (read('/proc/sys/kernel/random/boot_id') or '').strip(),
        'saved': entry('saved_entry'),
        'next': entry('next_entry'),
        'booted': booted,
        'panicked': panicked,
        'panic_list': (read('/etc/tencentos-sim/panic-kernels') or '').split(),
        'boot_kernels': sorted(path[len('/boot/vmlinuz-'):] for path in glob.glob('/boot/vmlinuz-*')),
        'kernel_packages': sorted(name for name in rpm.splitlines() if name.startswith('kernel')),
        'boot_failures': (read('/var/lib/tencentos-fleet/kernel-boot-failures') or '').split('\n'),
        'livepatch': patches('/sys/kernel/livepatch'),
        'kpatch': patches('/sys/kernel/kpatch'),
        'modules': [line.split()[0] for line in (read('/run/tencentos-sim/modules') or '').splitlines() if line.strip()],
        'persisted': dict((os.path.relpath(path, '/var/lib/kpatch'), sha256(path))
                          for path in sorted(glob.glob('/var/lib/kpatch/*/*.ko'))),
        'repo_files': dict((name, sha256(os.path.join(repo_dir, name)))
                           for name in sorted(os.listdir(repo_dir)) if os.path.isfile(os.path.join(repo_dir, name))),
        'repo_staging': sorted(glob.glob('/tmp/tencentos-fleet-repos-*') + glob.glob('/var/tmp/tencentos-fleet-repos-*')),
        'boot_is_mount': any(line.split()[1] == '/boot' for line in (read('/proc/mounts') or '').splitlines()),
    }
    state['boot_failures'] = [line.split()[0] for line in state['boot_failures'] if line.strip()]
    print(json.dumps(state, sort_keys=True))


if __name__ == '__main__':
    main()

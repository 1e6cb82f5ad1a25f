# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podman hosts of molecule/resources/fleet.yml, what their releases' kernel.conf says, and the ways the
tests act on them (podman, the scripts of molecule/resources/scripts, reboots)."""

import os
import re
import shlex
import subprocess
import time
import types

import pytest
import testinfra
import yaml

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
RESOURCES = os.path.join(PROJECT, 'molecule', 'resources')
SCRIPTS = os.path.join(RESOURCES, 'scripts')
CONTAINER_PREFIX = 'tencentos-fleet-'
# Written by the simulated boot once the host is up (molecule/resources/README.md, "The simulated kernel interface").
BOOTED = '/run/tencentos-sim/booted'
# kernel.conf keys the tests read, with the value a missing key means (as tencentos-sim-boot reads it).
KERNEL_CONF_DEFAULTS = {'bootloader': '', 'stats_isolated': 'absent', 'cgroupfs': 'no', 'livepatch': 'none',
                        'isolate_max_map_count': 'absent'}


def fleet_environment():
    """The variables of molecule/resources/scripts/env.sh (CONTAINERS_CONF, REPO_URL_GUEST, ...)."""
    exports = subprocess.run(['bash', os.path.join(SCRIPTS, 'env.sh')], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
    return dict(shlex.split(line)[1].split('=', 1) for line in exports.splitlines() if line.startswith('export '))


def read_kernel_conf(release):
    """The simulated kernel of a release: releases/<release>/kernel.conf as a dict, with KERNEL_CONF_DEFAULTS."""
    conf = dict(KERNEL_CONF_DEFAULTS)
    with open(os.path.join(RESOURCES, 'releases', release, 'kernel.conf')) as handle:
        for line in handle:
            match = re.match(r'^([a-z_]+)=(.*)$', line.strip())
            if match:
                conf[match.group(1)] = ' '.join(shlex.split(match.group(2)))
    return conf


def frees_disabled_patch(kernel):
    """Whether the kernel's livepatch core frees a disabled patch: since 5.1 (README, "Livepatch simulation")."""
    major, minor = [int(part) for part in re.split(r'[.-]', kernel)[:2]]
    return (major, minor) >= (5, 1)


class SimulatedHost(object):
    """A host of fleet.yml, what its release's kernel.conf says, and testinfra's handle on its container."""

    def __init__(self, entry):
        self.name = entry['name']
        self.container = CONTAINER_PREFIX + self.name
        self.kernel = entry['kernel_release']
        self.version = str(entry['version'])
        self.mirror_repos = entry['mirror_repos'].split()
        self.conf = read_kernel_conf(entry['release'])
        self.host = testinfra.get_host('podman://' + self.container)

    def __repr__(self):
        return self.name

    @property
    def has_livepatch(self):
        return self.conf['livepatch'] in ('livepatch', 'both')

    @property
    def has_kpatch(self):
        return self.conf['livepatch'] in ('kpatch', 'both')

    @property
    def frees_disabled_patch(self):
        return frees_disabled_patch(self.kernel)


def load_fleet():
    with open(os.path.join(RESOURCES, 'fleet.yml')) as handle:
        return [SimulatedHost(entry) for entry in yaml.safe_load(handle)]


FLEET = load_fleet()


def livepatch_hosts():
    """The hosts of the livepatch checks: the first with a livepatch ABI whose kernel keeps a disabled patch
    (< 5.1), and the first whose kernel frees it (>= 5.1), of those that exist."""
    keeps = [sim for sim in FLEET if sim.has_livepatch and not sim.frees_disabled_patch][:1]
    frees = [sim for sim in FLEET if sim.has_livepatch and sim.frees_disabled_patch][:1]
    return keeps + frees


LIVEPATCH_HOSTS = livepatch_hosts()


def container_state(container):
    found = subprocess.run(['podman', 'container', 'inspect', '--format', '{{.State.Status}}', container],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    return found.stdout.strip() or 'absent'


def running(sim):
    """SIM, once its container is known to run (else the test fails naming the fix)."""
    state = container_state(sim.container)
    if state != 'running':
        pytest.fail('container %s is %s, not running: molecule/resources/scripts/fleet.sh up' % (sim.container, state))
    return sim


def script(name, *args, **kwargs):
    """Runs one of molecule/resources/scripts; returns the finished process (stdout and stderr together)."""
    return subprocess.run([os.path.join(SCRIPTS, name)] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=kwargs.get('check', False))


def make_patch(name, kernel, path):
    """A test patch file written by make-patch.sh (a live patch module's stand-in built for KERNEL), as bytes."""
    script('make-patch.sh', name, kernel, str(path), check=True)
    with open(str(path), 'rb') as handle:
        return handle.read()


def put_file(sim, path, data):
    """Writes DATA (bytes) to PATH in the host, making its directory."""
    subprocess.run(['podman', 'exec', '-i', sim.container, 'sh', '-c', 'mkdir -p "${1%/*}" && cat > "$1"', 'sh', path],
                   input=data, check=True)


def within(seconds, condition):
    """A shell command for the host that succeeds as soon as CONDITION does, polled every 0.05 s for SECONDS
    (inside the host: a podman exec takes about as long as a live patch transition)."""
    return ('i=0; while [ "$i" -lt %d ]; do if %s; then exit 0; fi; sleep 0.05; i=$((i + 1)); done; exit 1'
            % (seconds * 20, condition))


def boot_id(sim):
    """The host's boot_id once its simulated boot finished, or None (the host rebooting)."""
    found = sim.host.run('cat /proc/sys/kernel/random/boot_id && test -f %s' % BOOTED)
    return found.stdout.strip() if found.rc == 0 else None


def osrelease(sim):
    return sim.host.run('cat /proc/sys/kernel/osrelease').stdout.strip()


def last_boot(sim):
    """The last line of the boot simulation's log."""
    return sim.host.run('tail -n1 /var/log/tencentos-sim/boots.log').stdout.strip()


def wait_for_boot(sim, before, started, timeout=30):
    """Waits for a boot_id other than BEFORE; returns back (whether it came) and seconds since STARTED."""
    while time.time() - started < timeout:
        after = boot_id(sim)
        if after and after != before:
            return types.SimpleNamespace(back=True, seconds=time.time() - started, boot_id=after)
        time.sleep(0.2)
    return types.SimpleNamespace(back=False, seconds=time.time() - started, boot_id=None)


def reboot(sim, command):
    """Runs a reboot COMMAND in the host (the simulation's reboot stand-in) and waits for the next boot."""
    before, started = boot_id(sim), time.time()
    if sim.host.run(command).rc != 0:
        return types.SimpleNamespace(back=False, seconds=time.time() - started, boot_id=None)
    return wait_for_boot(sim, before, started)

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault suite's SSH fleet, the controller that runs the playbooks against it, and the faults.

tools/faults.sh runs this folder (make faults: FAULT_HOSTS=200; make test: 20). The session starts an SSH
fleet of its own (molecule/resources/scripts/ssh-fleet.sh, SSH_FLEET_NAME=faults, SSH_FLEET_NET=10.253) with
FAULT_HOSTS hosts, configures every host's repositories from the fleet's mirror with the repos role, and takes
the fleet down at the end whatever happened. The cases reuse that fleet one after the other (see ORDER).

One controller, the newest ansible-core (.venv-newest; TENCENTOS_FAULT_CONTROLLER names another
ansible-playbook): the faults are the controller's own failure handling - a controller killed, hosts that
become unreachable, waves that stop at max_fail_percentage - as a fresh installation of ansible-core does
it. tests/fleet already runs every playbook from both ends of the supported range.

Every case records its counts (hosts, hosts changed, hosts failed and named, hosts left inconsistent) in
$TENCENTOS_FLEET_WORKDIR/faults/<case>.json before it asserts anything, so that tools/faults.sh prints the
table also when a case fails. Which hosts a case breaks comes from random.Random(FAULT_SEED + case), printed.
"""

import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import time

import pytest

import hoststate

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
HERE = os.path.join(PROJECT, 'tests', 'faults')
SSH_FLEET = os.path.join(PROJECT, 'molecule', 'resources', 'scripts', 'ssh-fleet.sh')
WORKDIR = os.environ.get('TENCENTOS_FLEET_WORKDIR', '/var/tmp/tencentos-fleet')
RESULTS = os.path.join(WORKDIR, 'faults')
FLEET_NAME = 'faults'
FLEET_NET = '10.253'
MIRROR_ADDRESS = FLEET_NET + '.0.1'
MIRROR_PORT = int(os.environ.get('REPO_PORT', '18080'))
HOSTS = int(os.environ.get('FAULT_HOSTS', '20'))
# The default seed breaks, in the 20-host roll-out, a host of its third wave: the roll-out stops there.
SEED = int(os.environ.get('FAULT_SEED', '2041'))
CONTROLLER = os.environ.get('TENCENTOS_FAULT_CONTROLLER') or os.path.join(PROJECT, '.venv-newest', 'bin', 'ansible-playbook')

# The cases share one fleet, in this order: the hot patches of the mirror are built for the kernels the
# hosts boot when they start (tos24's and tos31's), so the hot patch cases come before any kernel moves;
# the kernel cases that need hosts still to be switched come before the roll-out that switches them all.
ORDER = ('test_repos_mirror_stopped.py', 'test_sshd_stopped.py', 'test_hotpatch_controller_killed.py',
         'test_kernel_mirror_500.py', 'test_kernel_controller_killed.py', 'test_boot_too_small.py',
         'test_rolling_upgrade.py')

# Per kind of host (fleet.yml's name, the SSH fleet's hosts are NAME, NAME-2, ...): the kernel it boots when it
# starts (fleet.yml kernel_release) and the newest build of its kernel line in the mirror (mirror/packages.yml),
# what kernel_upgrade.yml moves it to. CentOS 7 moves to TK3: the fleet's inventory sets tencentos_kernel_line for it
# (examples/inventory/group_vars).
KERNELS = {
    'tos24': ('4.14.105-19-0013', '4.14.105-19-0020.1'),
    'tos31': ('5.4.119-19-0009.1', '5.4.119-19-0010.1'),
    'tos4': ('6.6.98-40.2.tl4.x86_64', '6.6.117-45.tl4.x86_64'),
    'oc9': ('6.6.114-43.oc9.x86_64', '6.6.117-45.oc9.x86_64'),
    'centos7': ('3.10.0-1160.el7.x86_64', '4.14.105-19-0020.1'),
    'tos24tk4': ('5.4.119-19-0011', '5.4.119-19-0012'),
    'tos32': ('5.4.119-1-tlinux4-0006', '5.4.203-1-tlinux4-0011'),
    'oc8': ('5.4.241-30.0017.19', '5.4.241-31.0018.2'),
    'tlinux22': ('4.14.105-1-tlinux3-0013', '4.14.105-1-tlinux3-0020.1'),
}


# The kernels the mirror's test hot patches are built for: tos24's and tos31's when they start (the mirror's
# hotpatch/<kernel>/ URL patches and tencentos-fleet-hotpatch-test-<kernel> packages, molecule/resources/README.md).
PATCH_KERNELS = (KERNELS['tos24'][0], KERNELS['tos31'][0])


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: ORDER.index(os.path.basename(str(item.fspath)))
               if os.path.basename(str(item.fspath)) in ORDER else len(ORDER))


def kind(host):
    """fleet.yml's name of a host of the SSH fleet: tos24-3 -> tos24."""
    return re.sub(r'-[0-9]+$', '', host)


def sample(case, hosts, count):
    """``count`` of ``hosts`` chosen with the case's own fixed seed, in the order of ``hosts``."""
    chosen = set(random.Random('%s/%s' % (SEED, case)).sample(list(hosts), min(count, len(hosts))))
    return [host for host in hosts if host in chosen]


def target(host):
    """The kernel kernel_upgrade.yml moves a host to."""
    return KERNELS[kind(host)][1]


def url_patches():
    """The mirror's URL test patch of each kernel it is built for, with the sha256 of the mirror's SHA256SUMS."""
    patches = []
    for kernel in PATCH_KERNELS:
        with open(os.path.join(WORKDIR, 'mirror', 'hotpatch', kernel, 'SHA256SUMS')) as handle:
            sha256 = [line.split()[0] for line in handle if line.split()[-1].lstrip('*') == 'livepatch_test_url.ko']
        patches.append({'name': 'livepatch_test_url', 'kernel': kernel, 'sha256': sha256[0],
                        'url': 'http://%s:%d/hotpatch/%s/livepatch_test_url.ko' % (MIRROR_ADDRESS, MIRROR_PORT, kernel)})
    return patches


def package_patches():
    """The mirror's test hot patch package of each kernel it is built for (one patch, livepatch_test_pkg)."""
    return [{'name': 'livepatch_test_pkg', 'kernel': kernel,
             'package': 'tencentos-fleet-hotpatch-test-' + re.sub(r'[-.]', '_', kernel)} for kernel in PATCH_KERNELS]


def summary(path):
    """A roll-out's summary file (kernel-upgrade.json, hotpatch.json) with its rows by host."""
    with open(str(path)) as handle:
        found = json.load(handle)
    found['by_host'] = dict((row['host'], row) for row in found['rows'])
    return found


class Run(object):
    """A finished ansible-playbook run: its exit code, its output, and whether the test killed it."""

    def __init__(self, returncode, output, paused, killed):
        self.returncode = returncode
        self.output = output
        self.paused = paused
        self.killed = killed

    @property
    def recap(self):
        """{host: {'failed': n, 'unreachable': n, 'changed': n}} from the PLAY RECAP."""
        return dict((host, {'changed': int(changed), 'unreachable': int(unreachable), 'failed': int(failed)})
                    for host, changed, unreachable, failed in re.findall(
                        r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', self.output, re.MULTILINE))

    def failed_hosts(self):
        """The fleet's hosts the PLAY RECAP counts as failed or unreachable."""
        return sorted(host for host, counts in self.recap.items()
                      if host != 'localhost' and (counts['failed'] or counts['unreachable']))

    def fatal(self, host):
        """The 'fatal: [host]: ...' lines of the run for ``host``."""
        return re.findall(r'^fatal: \[%s\]: .*$' % re.escape(host), self.output, re.MULTILINE)


class Fleet(object):
    """The running SSH fleet: its hosts, the controller against it, and the faults a case injects."""

    def __init__(self, work, inventory, config):
        self.work = work
        self.inventory = inventory
        self.config = config
        self.seed = SEED
        self.roots = {}
        self.runs = 0
        self.last_state = None
        self.hosts = inventory_hosts(self)

    def say(self, text):
        """A line of progress on the terminal as it happens, not when the test ends."""
        capture = self.config.pluginmanager.get_plugin('capturemanager')
        with capture.global_and_fixture_disabled():
            self.config.pluginmanager.get_plugin('terminalreporter').write_line(
                '[faults %s] %s' % (time.strftime('%H:%M:%S'), text))

    def env(self, **extra):
        # Forks: one per host, up to 50: the hosts' own work on the machine's cores, not the forks, limits a run.
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_FORKS=str(min(max(HOSTS, 5), 50)),
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
                   # profile_tasks: the time of every task in the logs, to see where a slow case spends it.
                   ANSIBLE_CALLBACKS_ENABLED='fault_pause,ansible.posix.profile_tasks',
                   ANSIBLE_RETRY_FILES_ENABLED='0')
        env.update(extra)
        return env

    def playbook(self, name, extra_vars=None, pause=None, fault=None, kill=False, kill_when=None, label=None, limit=None):
        """Run a playbook against the fleet; return its Run.

        ``pause``: (play start, task name prefix) at which the run is held (callback_plugins/fault_pause.py);
        there ``fault()`` runs, then the run goes on, or, with ``kill``, the controller's whole process group
        gets SIGKILL, as when the machine or the AWX job that runs it dies. With ``kill_when``, the run goes on
        from there and is killed the moment ``kill_when()`` sees the hosts in the state it waits for: in the
        middle of a task, while its modules run on the hosts.
        """
        self.runs += 1
        label = '%02d-%s' % (self.runs, label or os.path.splitext(os.path.basename(name))[0])
        log = os.path.join(self.work, label + '.log')
        command = [CONTROLLER, '-i', self.inventory, name,
                   '-e', json.dumps(extra_vars or {})] + (['--limit', ','.join(limit)] if limit else [])
        env = self.env()
        if pause:
            pause_dir = os.path.join(self.work, label + '.pause')
            os.makedirs(pause_dir)
            for fifo in ('paused', 'resume'):
                os.mkfifo(os.path.join(pause_dir, fifo))
            env.update(TENCENTOS_FAULT_PAUSE_PLAY=str(pause[0]), TENCENTOS_FAULT_PAUSE_TASK=pause[1],
                       TENCENTOS_FAULT_PAUSE_DIR=pause_dir)
            reader = os.open(os.path.join(pause_dir, 'paused'), os.O_RDONLY | os.O_NONBLOCK)
        self.say('%s: %s' % (label, ' '.join(command[3:])))
        started = time.time()
        with open(log, 'w') as output:
            process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            killed = False
            paused = b''
            if pause:
                while not paused and process.poll() is None:
                    if select.select([reader], [], [], 1)[0]:
                        paused = os.read(reader, 4096)
                os.close(reader)
                if paused:
                    self.say('%s: held at play %s, task "%s"' % (label, pause[0], paused.decode('utf-8').strip()))
                    if fault:
                        fault()
                    if not kill:
                        resume = os.open(os.path.join(pause_dir, 'resume'), os.O_WRONLY)
                        os.write(resume, b'go\n')
                        os.close(resume)
                    while kill_when and process.poll() is None and not kill_when():
                        time.sleep(0.05)
                    if (kill or kill_when) and process.poll() is None:
                        os.killpg(process.pid, signal.SIGKILL)
                        killed = True
                        self.say('%s: controller killed (SIGKILL to its process group)' % label)
            process.wait()
        with open(log) as handle:
            run = Run(process.returncode, handle.read(), bool(paused), killed)
        self.say('%s: exit %s after %.0f s, log %s' % (label, run.returncode, time.time() - started, log))
        return run

    def read_state(self, label):
        """{host: state} of every host that answers (read_state.py), also kept as the fleet's last state."""
        path = os.path.join(self.work, 'state-%02d-%s.json' % (self.runs, label))
        run = self.playbook(os.path.join(HERE, 'read_state.yml'), {'fault_state_file': path}, label='state-' + label)
        assert os.path.exists(path), run.output
        with open(path) as handle:
            state = json.load(handle)
        self.last_state = state
        return state

    def container(self, host):
        return 'tencentos-ssh-%s-%s' % (FLEET_NAME, host)

    def host_file(self, host, path):
        """A file of a host as it is at this moment, read from this machine through the host's root file system
        (no process is started in the host: fast enough to watch a module at work)."""
        if host not in self.roots:
            self.roots[host] = subprocess.run(
                ['podman', 'container', 'inspect', '--format', '{{.GraphDriver.Data.MergedDir}}', self.container(host)],
                stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
        try:
            with open(os.path.join(self.roots[host], path.lstrip('/'))) as handle:
                return handle.read()
        except (IOError, OSError):
            return None

    def settle(self, hosts):
        """Wait until no module or package manager runs on the hosts any more: what a killed controller had
        started there goes on to its end."""
        for host in hosts:
            self.on_host(host, 'timeout 900 sh -c "while ps -C python3 -C dnf -C yum -C rpm >/dev/null; do sleep 0.2; done"')

    def on_host(self, host, script):
        """Run a shell script inside a host from this machine (podman exec): how the suite breaks hosts."""
        process = subprocess.run(['podman', 'exec', self.container(host), 'sh', '-c', script],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert process.returncode == 0, '%s: %s' % (host, process.stdout)
        return process.stdout

    def stop_sshd(self, hosts):
        """Every sshd process of the hosts: the listener and the sessions the controller's connections hold."""
        for host in hosts:
            self.on_host(host, 'kill $(ps -C sshd -o pid=) && while ps -C sshd >/dev/null; do sleep 0.1; done')
        self.say('sshd stopped on %s' % ', '.join(hosts))

    def start_sshd(self, hosts):
        for host in hosts:
            self.on_host(host, 'mkdir -p /run/sshd && /usr/sbin/sshd -f /etc/ssh/tencentos-fleet/sshd_config')
        self.say('sshd started again on %s' % ', '.join(hosts))

    def mirror(self, action):
        """ssh-fleet.sh mirror start|stop: the fleet's mirror listener on the bridge's address."""
        subprocess.run(['bash', SSH_FLEET, 'mirror', action], env=fleet_env(), check=True, stdout=subprocess.DEVNULL)
        self.say('mirror %s' % action)

    def mirror_500(self):
        """A server that answers 500 to every request, where the mirror listened (stop the mirror first)."""
        server = subprocess.Popen(['python3', os.path.join(HERE, 'mirror_500.py'), MIRROR_ADDRESS, str(MIRROR_PORT)],
                                  start_new_session=True)
        while True:
            assert server.poll() is None, 'mirror_500.py exited with %s' % server.returncode
            try:
                socket.create_connection((MIRROR_ADDRESS, MIRROR_PORT), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        self.say('mirror answers 500 from now on')
        return server


def fleet_env():
    return dict(os.environ, SSH_FLEET_NAME=FLEET_NAME, SSH_FLEET_NET=FLEET_NET)


def inventory_hosts(fleet):
    """The fleet's hosts in the order Ansible gives a play's hosts (its waves are slices of it)."""
    listing = subprocess.run([os.path.join(os.path.dirname(CONTROLLER), 'ansible'), 'all', '--list-hosts',
                              '-i', fleet.inventory],
                             env=fleet.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                             check=True).stdout
    return [line.strip() for line in listing.splitlines()[1:] if line.strip()]


@pytest.fixture(scope='session')
def fleet(request):
    """The SSH fleet of FAULT_HOSTS hosts, its repositories configured from the mirror; always taken down."""
    work = os.path.join(RESULTS, 'run')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        subprocess.run(['bash', SSH_FLEET, 'up', str(HOSTS)], env=fleet_env(), check=True)
        inventory = os.path.join(WORKDIR, 'ssh-fleet', FLEET_NAME, 'inventory', 'hosts.yml')
        the_fleet = Fleet(work, inventory, request.config)
        the_fleet.say('%d hosts, seed %d (FAULT_SEED), controller %s, logs in %s' % (HOSTS, SEED, CONTROLLER, work))
        # The repositories as the fleet's inventory asks (examples/inventory/group_vars): the mirror's.
        repos = the_fleet.playbook('playbooks/site.yml', {'tencentos_fleet_configure_repos': True}, label='repos')
        assert repos.returncode == 0, repos.output[-3000:]
        yield the_fleet
    finally:
        # down also ends the ssh master connections (ControlPersist) the runs left, a killed run's included.
        subprocess.run(['bash', SSH_FLEET, 'down'], env=fleet_env(), check=False)


@pytest.fixture
def record(fleet):
    """record(case, before, after, failed_named, inconsistent, **details): the case's counts, kept before asserting."""
    def write(case, before, after, failed_named, inconsistent, **details):
        counts = {'case': case, 'hosts': len(fleet.hosts), 'changed': len(hoststate.changed(before, after)),
                  'failed_named': len(failed_named), 'inconsistent': len(inconsistent), 'seed': SEED,
                  'inconsistent_hosts': inconsistent}
        counts.update(details)
        with open(os.path.join(RESULTS, '%s.json' % case), 'w') as handle:
            json.dump(counts, handle, indent=1, sort_keys=True)
        fleet.say('%s: %d hosts, %d changed, %d failed and named, %d inconsistent %s' % (
            case, counts['hosts'], counts['changed'], counts['failed_named'], counts['inconsistent'],
            json.dumps(inconsistent) if inconsistent else ''))
        return counts
    return write

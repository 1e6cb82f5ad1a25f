# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podman fleet of molecule/resources/fleet.yml presents what fleet.yml and releases/*/kernel.conf say.

Needs the running podman hosts (molecule/resources/scripts/fleet.sh up) and root, as podman does; the checks
of the local mirror skip when serve-repo.sh is not serving it. tools/test.sh runs this folder between
`fleet.sh up` and `fleet.sh down`:

    source tools/lib.sh && bash molecule/resources/scripts/fleet.sh up
    .venv/bin/python -m pytest -p no:cacheprovider -q tests/simulation

Each host is reached with testinfra's podman backend (podman exec). What changes a host (a restart, reboots, a
test patch loaded and unloaded) is done by a module's fixture, which puts the host back and returns what each
step showed; the tests assert on that. The machine's own sysctls are recorded before the first test
(sysctl-guard.sh save) and compared after the last (test_machine_sysctls.py, put last below).
"""

import os
import types

import pytest

import simulated

# podman needs the project's containers.conf (CONTAINERS_CONF) also when the tests run without `source tools/lib.sh`.
for _key, _value in simulated.fleet_environment().items():
    os.environ.setdefault(_key, _value)

# A vm.max_map_count that the machine does not have (see machine_before), so that a write that leaked out of a host
# would show.
PROBE_MAX_MAP_COUNT = 262144


def pytest_collection_modifyitems(items):
    """The machine's sysctls are compared with their snapshot after every other test (a stable sort: the
    other tests keep their order)."""
    items.sort(key=lambda item: os.path.basename(str(item.fspath)) == 'test_machine_sysctls.py')


def read_machine(key):
    """A sysctl of the machine, from /proc/sys/KEY."""
    with open(os.path.join('/proc/sys', key)) as handle:
        return handle.read().strip()


@pytest.fixture(scope='session', autouse=True)
def machine_before(tmp_path_factory):
    """The machine as the session found it, before any test: its sysctls (sysctl-guard.sh save, to the file
    test_machine_sysctls.py checks) and the values that the hosts' writes must not reach."""
    if os.geteuid() != 0:
        pytest.exit('tests/simulation: run as root (podman as root, as fleet.sh up started the hosts)', returncode=1)
    if not os.path.isfile(os.environ['CONTAINERS_CONF']):
        pytest.exit('tests/simulation: %s missing: run molecule/resources/scripts/prepare-machine.sh'
                    % os.environ['CONTAINERS_CONF'], returncode=1)
    guard = str(tmp_path_factory.mktemp('sysctl-guard') / 'saved')
    simulated.script('sysctl-guard.sh', 'save', guard, check=True)
    max_map_count = read_machine('vm/max_map_count')
    probe = PROBE_MAX_MAP_COUNT if max_map_count != str(PROBE_MAX_MAP_COUNT) else PROBE_MAX_MAP_COUNT + 1
    return types.SimpleNamespace(sysctl_guard=guard, boot_id=read_machine('kernel/random/boot_id'),
                                 somaxconn=read_machine('net/core/somaxconn'),
                                 max_map_count=max_map_count, probe_max_map_count=probe)


@pytest.fixture(scope='session')
def mirror_up():
    """Whether serve-repo.sh serves the local mirror (its status fetches every repository's repomd.xml)."""
    return simulated.script('serve-repo.sh', 'status').returncode == 0


@pytest.fixture
def mirror(mirror_up):
    """The mirror's address as the hosts reach it; the test skips when serve-repo.sh is not serving it."""
    if not mirror_up:
        pytest.skip('the local mirror is not served (serve-repo.sh status failed): '
                    'molecule/resources/scripts/serve-repo.sh start')
    return os.environ['REPO_URL_GUEST']


@pytest.fixture(scope='module', params=simulated.FLEET, ids=[sim.name for sim in simulated.FLEET])
def sim(request):
    """Each host of fleet.yml in turn, its container running."""
    return simulated.running(request.param)


@pytest.fixture(scope='module')
def first_host():
    """The first host of fleet.yml, on which a restart and the boot simulation's reboots are tried."""
    return simulated.running(simulated.FLEET[0])

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosts reach the local mirror at $REPO_URL_GUEST (the machine's loopback through slirp4netns), and its URL test
patches are what their SHA256SUMS say (molecule/resources/README.md, "The local mirror"). Skipped when serve-repo.sh
is not serving it."""

import hashlib

import pytest

import simulated

# Prints what a URL answers, from inside a host (python3 is in every image).
FETCH = 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=5).read())'


def fetch(sim, url):
    """The body at URL as the host gets it; fails the test naming the URL when the host gets none."""
    found = sim.host.run('python3 -c %s %s', FETCH, url)
    assert found.rc == 0, 'GET %s from %s: %s' % (url, sim.name, found.stderr.strip().splitlines()[-1:])
    return found.stdout_bytes


def test_the_mirror_answers_with_the_hosts_first_repository(sim, mirror):
    assert fetch(sim, '%s/%s/repodata/repomd.xml' % (mirror, sim.mirror_repos[0]))


@pytest.mark.parametrize('sim', simulated.LIVEPATCH_HOSTS, ids=[sim.name for sim in simulated.LIVEPATCH_HOSTS], indirect=True)
def test_the_url_test_patch_of_the_running_kernel_matches_its_sha256sums(sim, mirror):
    base = '%s/hotpatch/%s/' % (mirror, sim.kernel)
    data = fetch(sim, base + 'livepatch_test_url.ko')
    assert fetch(sim, base + 'SHA256SUMS').decode().split() == [hashlib.sha256(data).hexdigest(), 'livepatch_test_url.ko']
    assert b'vermagic=' + sim.kernel.encode() + b' ' in data

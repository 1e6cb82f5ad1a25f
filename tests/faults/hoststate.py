# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fault suite asserts about a host's state (read_state.py's JSON), as plain functions.

"A failed run leaves every host in its previous state or in the new one, never between." Each case checks that
in its own terms (which kernel, which repository files); problems() are the states that are never right,
whatever the case: they are what a host must not be left in, even for a moment, because the next reboot or the
next package install would act on them.
"""

# The parts of a host's state that the collection changes; a host "changed" when one of them did.
VIEW = ('running', 'saved', 'next', 'kernel_packages', 'livepatch', 'kpatch', 'persisted', 'repo_files')


def view(state):
    """The parts of ``state`` the collection changes; boot entries as the kernel they boot."""
    if state is None:
        return None
    seen = dict((key, state[key]) for key in VIEW)
    seen['saved'] = state['saved']['kernel']
    seen['next'] = state['next']['kernel']
    return seen


def unchanged(before, state):
    """[] when the host's view is what it was ``before``, else the problem, for a case's rule."""
    return [] if view(state) == view(before) else ['changed from %s to %s' % (view(before), view(state))]


def changed(before, after):
    """The hosts whose view differs between two readings of the fleet (a host that stopped answering too)."""
    return sorted(host for host in set(before) | set(after) if view(before.get(host)) != view(after.get(host)))


def loaded(state):
    """The names of the hot patches the host's kernel has registered (livepatch or kpatch)."""
    return set(state['livepatch']) | set(state['kpatch'])


def patch_added_or_not(before, patch, hosts):
    """A case's rule for a hot patch run: the host has the patches it had before, plus ``patch`` on ``hosts``."""
    def check(host, state):
        allowed = (loaded(before[host]), loaded(before[host]) | set([patch] if host in hosts else []))
        if loaded(state) in allowed:
            return []
        return ['hot patches loaded: %s, before: %s' % (sorted(loaded(state)), sorted(loaded(before[host])))]
    return check


def problems(state):
    """Why a host's state is wrong whatever happened before, as sentences; [] for a host in a sound state.

    - The saved default must boot a kernel that came up on this host before and does not panic: GRUB boots it
      at every reboot that has no one-time entry, and a default that never booted can leave the host down.
    - A one-time entry must boot a kernel whose files are in /boot (a staged switch); GRUB consumes it either way.
    - A registered hot patch must be enabled with its transition complete: anything else is a patch in flight
      that nobody waits for any more.
    - A patch persisted for the running kernel must be loaded: the next boot loads it, unverified otherwise.
    - No repository file half written, no staging directory of the repos probe left behind.
    """
    if state is None:
        return ['does not answer over ssh']
    found = []
    saved = state['saved']
    if saved['kernel'] is None:
        found.append('the saved default entry %r boots no kernel' % saved['entry'])
    elif saved['kernel'] not in state['booted']:
        found.append('the saved default is kernel %s, which never came up on this host' % saved['kernel'])
    elif saved['kernel'] in state['panic_list']:
        found.append('the saved default is kernel %s, which panics' % saved['kernel'])
    following = state['next']
    if following['entry'] and following['kernel'] is None:
        found.append('the one-time entry %r boots no kernel' % following['entry'])
    elif following['kernel'] and following['kernel'] not in state['boot_kernels']:
        found.append('the one-time entry boots kernel %s, which has no files in /boot' % following['kernel'])
    for abi in ('livepatch', 'kpatch'):
        for name, patch in sorted(state[abi].items()):
            if patch['enabled'] != '1' or patch['transition'] != '0':
                found.append('hot patch %s: enabled=%s transition=%s' % (name, patch['enabled'], patch['transition']))
    loaded = set(state['livepatch']) | set(state['kpatch'])
    for path in sorted(state['persisted']):
        kernel, name = path.split('/', 1)
        if kernel == state['running'] and name[:-len('.ko')].replace('-', '_') not in loaded:
            found.append('hot patch %s is persisted for the next boot but not loaded' % path)
    leftovers = [name for name in state['repo_files'] if name.startswith('.')] + state['repo_staging']
    if leftovers:
        found.append('repository files left half done: %s' % ', '.join(leftovers))
    return found


def inconsistent(fleet_state, hosts, check=None):
    """{host: [problem, ...]} for the hosts whose state has problems(), or fails ``check(host, state)``
    (the case's own rule: a list of problems)."""
    found = {}
    for host in hosts:
        state = fleet_state.get(host)
        wrong = problems(state)
        if state is not None and check is not None:
            wrong = wrong + check(host, state)
        if wrong:
            found[host] = wrong
    return found

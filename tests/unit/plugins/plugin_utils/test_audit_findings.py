# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each concern of the audit from the check-mode result its module registered (shapes of the modules' RETURN)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.tencentos.fleet.plugins.plugin_utils import audit_findings as af

REPO_FILE = '/etc/yum.repos.d/tencentos-fleet.repo'
DESIRED_REPO_FILE = '[tencentos-baseos]\nname=BaseOS\nbaseurl=http://mirror/BaseOS\ngpgcheck=1\nenabled=1\n'


def checks(item):
    return [(entry['check'], entry['item']) for entry in item['findings']]


def repo_result(before=DESIRED_REPO_FILE, **extra):
    result = {
        'changed': before != DESIRED_REPO_FILE, 'path': REPO_FILE, 'moved': [], 'gpg_keys': [], 'check_mode': True,
        'defined_elsewhere': {},
        'diff': [{'before_header': REPO_FILE, 'after_header': REPO_FILE, 'before': before, 'after': DESIRED_REPO_FILE}],
        'invocation': {'module_args': {'repos': [{'id': 'tencentos-baseos', 'enabled': True, 'gpgcheck': True},
                                                 {'id': 'tencentos-debug', 'enabled': False}],
                                       'allow_unsigned': False}},
    }
    result.update(extra)
    return result


def enabled_repos(*repos):
    return {'enabled': [{'id': repo_id, 'file': path, 'gpgcheck': gpg, 'host': 'mirror'} for repo_id, path, gpg in repos]}


BASEOS_ENABLED = enabled_repos(('tencentos-baseos', REPO_FILE, True))


def test_repositories_as_the_role_would_write_them_are_ok():
    item = af.repos_concern(repo_result(), BASEOS_ENABLED)
    assert item == {'status': 'ok', 'summary': '1 repositories enabled, GPG checks every one', 'findings': []}


def test_an_edited_repository_file_is_drift_with_the_lines_that_differ():
    edited = DESIRED_REPO_FILE.replace('gpgcheck=1', 'gpgcheck=0')
    item = af.repos_concern(repo_result(before=edited),
                            enabled_repos(('tencentos-baseos', REPO_FILE, False)))
    assert item['status'] == 'drift'
    assert checks(item) == [('repo_file', REPO_FILE), ('gpg_off', 'tencentos-baseos')]
    assert '-gpgcheck=0' in item['findings'][0]['actual'] and '+gpgcheck=1' in item['findings'][0]['actual']
    assert '1 lines to add, 1 to remove' in item['findings'][0]['message']


def test_a_missing_file_and_a_release_repository_not_enabled_are_named():
    item = af.repos_concern(repo_result(before=''), enabled_repos())
    assert checks(item) == [('repo_file', REPO_FILE), ('repo_not_enabled', 'tencentos-baseos')]
    assert item['findings'][0]['actual'] == 'missing'


def test_gpg_off_in_another_file_is_drift_even_when_the_role_allows_unsigned_packages_in_its_own():
    result = repo_result(invocation={'module_args': {'repos': [], 'allow_unsigned': True}})
    item = af.repos_concern(result, enabled_repos(('tencentos-baseos', REPO_FILE, False),
                                                  ('epel', '/etc/yum.repos.d/epel.repo', False)))
    assert checks(item) == [('gpg_off', 'epel')]
    assert '/etc/yum.repos.d/epel.repo' in item['findings'][0]['message']


def test_a_key_to_import_and_a_repository_defined_twice_are_findings():
    item = af.repos_concern(repo_result(gpg_keys=[{'source': 'file:///k', 'rpm_name': 'gpg-pubkey-1-2', 'imported': True}],
                                        defined_elsewhere={'tencentos-baseos': ['/etc/yum.repos.d/old.repo']}),
                            BASEOS_ENABLED)
    assert checks(item) == [('gpg_key', 'gpg-pubkey-1-2'), ('defined_elsewhere', 'tencentos-baseos')]


def test_a_failed_or_missing_result_is_an_error_or_not_checked_never_ok():
    assert af.repos_concern({'failed': True, 'msg': 'repos is empty'}, {})['status'] == 'error'
    assert 'repos is empty' in af.repos_concern({'failed': True, 'msg': 'repos is empty'}, {})['summary']
    assert af.repos_concern(None, {})['status'] == 'not_checked'
    assert af.repos_concern({'skipped': True, 'changed': False}, {})['status'] == 'not_applicable'


def kernel_result(running='5.4.119-19-0009.1', target='5.4.119-19-0009.1', default=None, next_kernel=None, **extra):
    result = {
        'running': running, 'running_line': 'tk4', 'check_mode': True,
        'target': {'uname_r': target, 'line': 'tk4', 'running': target == running},
        'boot': {'default_kernel': default or running, 'next_kernel': next_kernel, 'style': 'bls'},
        'failed_boots': {}, 'free_mb': {'/boot': 500, '/': 5000},
        'invocation': {'module_args': {'min_free_mb': {'/boot': 150, '/': 1024}}},
    }
    result.update(extra)
    return result


def test_a_host_on_its_target_kernel_and_default_is_ok():
    item = af.kernel_concern(kernel_result())
    assert item['status'] == 'ok' and item['summary'] == 'runs 5.4.119-19-0009.1 (tk4), the target'


def test_a_kernel_staged_for_one_boot_is_drift_until_it_runs():
    item = af.kernel_concern(kernel_result(target='5.4.119-19-0010.1', next_kernel='5.4.119-19-0010.1'))
    assert checks(item) == [('running_kernel', None), ('one_time_boot', None)]
    assert item['findings'][0]['expected'] == '5.4.119-19-0010.1'
    assert item['findings'][0]['actual'] == '5.4.119-19-0009.1'


def test_a_default_entry_that_is_not_the_running_kernel_failed_boots_and_little_room_are_findings():
    item = af.kernel_concern(kernel_result(default='5.4.119-19-0010.1', free_mb={'/boot': 100, '/': 5000},
                                           failed_boots={'5.4.119-19-0010.1': '2026-12-01T10:00:00Z'}))
    assert checks(item) == [('default_entry', None), ('failed_boot', '5.4.119-19-0010.1'), ('free_space', '/boot')]
    assert item['findings'][2]['expected'] == '150 MiB' and item['findings'][2]['actual'] == '100 MiB'


def test_a_target_refused_for_a_failed_boot_is_drift_and_other_failures_are_errors():
    refused = kernel_result(target=None, failed=True, msg='kernel 5.4.119-19-0010.1 did not come up on this host before')
    refused.pop('target')
    assert checks(af.kernel_concern(refused)) == [('failed_boot_target', None)]
    broken = kernel_result(failed=True, msg='lines/line: tk9 is not a line of the release')
    assert af.kernel_concern(broken)['status'] == 'error'
    assert af.kernel_concern({'failed': True, 'msg': 'dnf: no such command'})['status'] == 'error'
    assert af.kernel_concern({'skipped': True})['status'] == 'not_applicable'


def sysctl_result(per_key, **extra):
    result = {'file': '/etc/sysctl.d/90-tencentos-fleet.conf', 'file_changed': False, 'per_key': per_key,
              'overridden_at_boot': {}, 'missing': [], 'confinement': None, 'bridge_netfilter': None}
    result.update(extra)
    return result


def key(live='unchanged', before='8192', file_before='8192', file='8192', reason=None):
    return {'before': before, 'after': file, 'file_before': file_before, 'file': file, 'live': live, 'reason': reason}


def test_sysctl_keys_as_desired_are_ok_and_missing_ones_only_said():
    item = af.sysctl_concern(sysctl_result({'net.core.somaxconn': key(),
                                            'net.ipv4.tcp_max_orphans': key(live='missing', before=None, file_before=None)},
                                           missing=['net.ipv4.tcp_max_orphans']))
    assert item['status'] == 'ok'
    assert item['summary'] == '2 keys; 1 the kernel does not have: net.ipv4.tcp_max_orphans'


def test_a_live_value_changed_and_a_file_edited_are_drift_per_key():
    item = af.sysctl_concern(sysctl_result({
        'net.core.somaxconn': key(live='applied', before='4096'),
        'vm.swappiness': key(file_before='60', file='10', before='10'),
    }, file_changed=True))
    assert checks(item) == [('live_value', 'net.core.somaxconn'), ('persisted_value', 'vm.swappiness')]
    assert (item['findings'][0]['expected'], item['findings'][0]['actual']) == ('8192', '4096')
    assert (item['findings'][1]['expected'], item['findings'][1]['actual']) == ('10', '60')


def test_a_key_a_namespace_cannot_hold_is_said_and_a_boot_override_and_br_netfilter_are_drift():
    item = af.sysctl_concern(sysctl_result(
        {'vm.max_map_count': key(live='not_applied', before='65530', file='262144', file_before='262144',
                                 reason='global to the kernel')},
        overridden_at_boot={'vm.max_map_count': ['/etc/sysctl.d/99-local.conf: 65530']},
        bridge_netfilter={'loaded': True, 'file': '/etc/modules-load.d/br.conf', 'file_changed': True}))
    assert checks(item) == [('overridden_at_boot', 'vm.max_map_count'),
                            ('br_netfilter', 'br_netfilter'), ('modules_load_file', '/etc/modules-load.d/br.conf')]
    assert item['summary'] == '1 keys; 1 differ live that this namespace cannot hold: vm.max_map_count'


def test_tabs_and_spaces_in_a_value_are_not_drift():
    item = af.sysctl_concern(sysctl_result({'net.ipv4.tcp_rmem': key(before='4096\t87380\t6291456',
                                                                     file_before='4096 87380 6291456',
                                                                     file='4096 87380 6291456')}))
    assert item['status'] == 'ok'


def hotpatch_result(entries, loaded):
    return {'kernel': '5.4.119-19-0009.1', 'results': entries, 'patches': loaded, 'patched': [], 'unchanged': [],
            'skipped_patches': []}


def test_hot_patches_loaded_and_installed_as_listed_are_ok_and_an_empty_list_not_applicable():
    item = af.hotpatch_concern(hotpatch_result(
        [{'name': 'lp_a', 'kernel': '5.4.119-19-0009.1', 'state': 'installed', 'steps': [], 'outcome': 'unchanged'}],
        [{'name': 'lp_a', 'enabled': True, 'transition': False}]))
    assert item == {'status': 'ok', 'summary': '1 listed for 5.4.119-19-0009.1, loaded: lp_a', 'findings': []}
    assert af.hotpatch_concern(hotpatch_result([], []))['status'] == 'not_applicable'


def test_an_unloaded_patch_a_transition_and_an_entry_for_another_kernel():
    item = af.hotpatch_concern(hotpatch_result(
        [{'name': 'lp_a', 'kernel': '5.4.119-19-0009.1', 'state': 'installed', 'steps': ['insmod'], 'outcome': 'patched'},
         {'name': 'lp_old', 'kernel': '5.4.119-19-0008.1', 'state': 'installed', 'steps': [], 'outcome': 'skipped'}],
        [{'name': 'lp_b', 'enabled': True, 'transition': True}]))
    assert checks(item) == [('patch_state', 'lp_a'), ('transition', 'lp_b')]
    assert item['findings'][0]['actual'] == 'not loaded'
    assert 'for another kernel: lp_old' in item['summary'] and 'loaded but not listed: lp_b' in item['summary']


def isolation(host_switch, *effective):
    return {'supported': True, 'reason': None, 'host_switch': host_switch,
            'containers': [{'cgroup': '/kubepods/pod%d' % index, 'flags': {'cpuinfo': state == 'on'},
                            'effective': state} for index, state in enumerate(effective)]}


PROFILE_WITH_SWITCH = {'per_key': {'kernel.stats_isolated': key(before='1', file_before='1', file='1')}}


def test_stats_isolation_switched_off_against_the_profile_is_drift():
    item = af.stats_isolation_concern(isolation('off'), PROFILE_WITH_SWITCH, 'off')
    assert checks(item) == [('host_switch', 'kernel.stats_isolated')]
    assert item['summary'] == 'switch off, 0 of 0 containers isolated'


def test_stats_isolation_on_counts_the_containers_whose_own_flags_are_not_the_collections():
    item = af.stats_isolation_concern(isolation('on', 'on', 'partial'), PROFILE_WITH_SWITCH, 'on')
    assert item == {'status': 'ok', 'summary': 'switch on, 1 of 2 containers isolated', 'findings': []}


def test_stats_isolation_not_managed_or_absent_is_never_drift():
    assert af.stats_isolation_concern(isolation('off'), {'per_key': {}}, 'off')['status'] == 'ok'
    assert af.stats_isolation_concern(None, PROFILE_WITH_SWITCH, 'absent')['status'] == 'not_applicable'
    assert af.stats_isolation_concern({'skipped': True}, None, 'absent')['status'] == 'not_applicable'
    assert af.stats_isolation_concern(None, None, 'on')['status'] == 'not_checked'

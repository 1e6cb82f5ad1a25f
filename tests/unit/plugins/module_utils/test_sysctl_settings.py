# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_settings: key names and /proc/sys paths, value checks, the write order, sysctl.d files and
their boot order, which namespace holds a key (facts sheet section 6) and red lines (section 7)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import itertools

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import sysctl_settings as ss

# The kernel prints tcp_rmem with tabs (proc_dointvec on an array); people write it with spaces.
TCP_RMEM_AS_PRINTED = '4096\t87380\t6291456'
TCP_RMEM_AS_WRITTEN = '4096 87380 6291456'

# The TKE red lines of facts sheet section 7, as a role passes them.
TKE_RED_LINES = [
    {'key': 'net.ipv4.conf.*.rp_filter', 'value': 1, 'reason': 'VPC-CNI needs rp_filter 0'},
    {'key': 'net.ipv4.ip_forward', 'value': 0, 'reason': 'breaks node networking'},
    {'key': 'net.ipv4.tcp_tw_recycle', 'value': 1, 'reason': 'NAT failures'},
]


# ---------------------------------------------------------------------------
# Key names and paths
# ---------------------------------------------------------------------------

def test_dotted_key_splits_at_every_dot():
    assert ss.key_parts('net.ipv4.ip_forward') == ['net', 'ipv4', 'ip_forward']
    assert ss.key_parts('  vm.max_map_count  ') == ['vm', 'max_map_count']


def test_slash_key_keeps_the_dots_of_an_interface_name():
    # A VLAN interface eth0.100, as `ip link add link eth0 name eth0.100 type vlan id 100` names it.
    assert ss.key_parts('net/ipv4/conf/eth0.100/rp_filter') == ['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']
    assert ss.key_parts('/net/ipv4/conf/eth0.100/rp_filter') == ['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']


def test_slash_key_has_the_dotted_name_sysctl_prints_and_the_interface_path():
    assert ss.canonical_name('net/ipv4/conf/eth0.100/rp_filter') == 'net.ipv4.conf.eth0/100.rp_filter'
    assert ss.proc_path('net/ipv4/conf/eth0.100/rp_filter') == '/proc/sys/net/ipv4/conf/eth0.100/rp_filter'


def test_dotted_key_with_a_slash_names_the_same_file_as_the_slash_key():
    # sysctl.d(5): "If the first separator is a dot, dots and slashes are interchanged", so the name
    # sysctl(8) prints for a key can be given back to it.
    assert ss.key_parts('net.ipv4.conf.eth0/100.rp_filter') == ['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']
    assert ss.canonical_name('net.ipv4.conf.eth0/100.rp_filter') == 'net.ipv4.conf.eth0/100.rp_filter'
    assert ss.proc_path('net.ipv4.conf.eth0/100.rp_filter') == '/proc/sys/net/ipv4/conf/eth0.100/rp_filter'


def test_dotted_and_slash_spellings_have_one_canonical_name():
    assert ss.canonical_name('net/core/somaxconn') == ss.canonical_name('net.core.somaxconn') == 'net.core.somaxconn'


def test_proc_path_of_a_dotted_key():
    assert ss.proc_path('net.ipv4.tcp_rmem') == '/proc/sys/net/ipv4/tcp_rmem'
    assert ss.proc_path('fs.mqueue.msg_max', proc_sys='/srv/root/proc/sys') == '/srv/root/proc/sys/fs/mqueue/msg_max'


def test_key_characters_of_real_sysctls_are_accepted():
    # net.ipv4.conf.<if>: docker bridges (br-<id>), VLANs (eth0.100), names with @ or : or +.
    for key in ('fs.pipe-max-size', 'net.ipv4.conf.br-4f1c2a.rp_filter', 'net/ipv4/conf/bond0:1/forwarding',
                'net/ipv4/conf/eth0@if12/rp_filter', 'net.ipv4.conf.ppp+.forwarding'):
        assert ss.key_parts(key)


@pytest.mark.parametrize('key', [
    '', '   ', '.', '/', 'net..ipv4.ip_forward', 'net.ipv4.', '.net.ipv4', 'net//ipv4/ip_forward',
    'net/ipv4/../../etc/shadow', 'net/./ipv4/ip_forward', 'net.ipv4.ip_forward=1', 'net.ipv4 ip_forward',
    'net.ipv4.conf.*.rp_filter', 'kernel.core\npattern', 'net.ipv4.//', 'net.ipv4.conf.eth0/../rp_filter',
])
def test_keys_that_cannot_name_a_file_are_refused(key):
    with pytest.raises(ValueError) as refused:
        ss.key_parts(key)
    assert 'is not a sysctl key' in str(refused.value)


def test_bad_key_is_refused_by_every_function_that_takes_keys():
    for function in (ss.canonical_name, ss.proc_path):
        with pytest.raises(ValueError):
            function('net..ipv4')


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

def test_tabs_and_spaces_compare_equal():
    assert ss.normalise(TCP_RMEM_AS_PRINTED) == ss.normalise(TCP_RMEM_AS_WRITTEN) == TCP_RMEM_AS_WRITTEN
    assert ss.normalise('4096  87380\t \t6291456\n') == TCP_RMEM_AS_WRITTEN


def test_ints_and_strings_compare_equal():
    assert ss.normalise(4096) == ss.normalise('4096') == ss.normalise(' 4096\n') == '4096'
    assert ss.normalise(0) == '0'


def test_different_numbers_do_not_compare_equal():
    assert ss.normalise('4096 87380 6291456') != ss.normalise('4096 131072 6291456')
    assert ss.normalise(1) != ss.normalise(10)


@pytest.mark.parametrize('spellings', [
    ('1', '01', '0x1', '0X1', '001', 1),
    ('0', '00', '0x0', '000', '-0', 0),
    ('31', '0x1f', '0x1F', '037', '0037'),
    ('8', '010'),
    ('-1', '-01', '-0x1', -1),
    ('4096 87380 6291456', '0x1000 87380 030000000', '4096\t0252524  0x600000'),
])
def test_numbers_compare_equal_whatever_their_base_as_proc_dointvec_reads_them(spellings):
    # proc_dointvec parses with base 0: 0x for hex, a leading 0 for octal.
    assert set(ss.normalise(value) for value in spellings) == set([ss.normalise(spellings[0])])
    assert ss.normalise(spellings[0]) == ' '.join(str(spellings[0]).split())


@pytest.mark.parametrize('value, expected', [('0x1f', '31'), ('010', '8'), ('-010', '-8'), ('0', '0'),
                                             ('00', '0'), ('0x10 010 10', '16 8 10')])
def test_numbers_are_normalised_to_decimal(value, expected):
    assert ss.normalise(value) == expected


@pytest.mark.parametrize('value', ['reno', 'bbr', '-1', '1', '4096 87380 6291456', '0x', '0xg', '1.5', '1e3', '--1', '+7', '08', '09',
                                   '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h'])
def test_other_words_are_left_as_they_are(value):
    assert ss.normalise(value) == value


def test_numbers_in_other_bases_are_not_equal_when_their_values_differ():
    assert ss.normalise('0x10') != ss.normalise('10')
    assert ss.normalise('010') != ss.normalise('10')
    assert ss.normalise('-1') != ss.normalise('1')


@pytest.mark.parametrize('value, meant', [(True, '1'), (False, '0')])
def test_yaml_booleans_are_refused_with_how_to_quote(value, meant):
    problem = ss.value_problem('net.ipv4.ip_forward', value)
    assert problem.startswith('net.ipv4.ip_forward: %s is a YAML boolean' % str(value).lower())
    assert 'write %s, or quote the word' % meant in problem
    assert 'yes/no/true/false/on/off' in problem


@pytest.mark.parametrize('value, expected', [
    (None, 'vm.swappiness: no value'),
    (10.5, 'vm.swappiness: 10.5 is a float'),
    ([4096, 87380, 6291456], 'vm.swappiness: a list is not a sysctl value'),
    ((4096, 87380), 'vm.swappiness: a tuple is not a sysctl value'),
    ({'min': 4096}, 'vm.swappiness: a dict is not a sysctl value'),
    ('', 'vm.swappiness: empty value'),
    (' \t ', 'vm.swappiness: empty value'),
    ('10\n20', 'vm.swappiness: a value cannot span lines'),
])
def test_values_the_kernel_cannot_take_are_refused(value, expected):
    problem = ss.value_problem('vm.swappiness', value)
    assert problem is not None and problem.startswith(expected)


def test_list_refusal_shows_how_to_write_several_numbers():
    assert '"4096 87380 6291456"' in ss.value_problem('net.ipv4.tcp_rmem', [4096, 87380, 6291456])


@pytest.mark.parametrize('value', [0, 1, 262144, -1, '0', TCP_RMEM_AS_WRITTEN, TCP_RMEM_AS_PRINTED, 'bbr',
                                   'yes', ' 10 ', '10\n', '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h'])
def test_ints_and_strings_are_accepted(value):
    assert ss.value_problem('any.key', value) is None


def test_value_text_is_the_value_as_the_kernel_prints_it_with_spaces():
    assert ss.value_text(262144) == '262144'
    assert ss.value_text(' 10\n') == '10'
    assert ss.value_text(0) == '0'
    assert ss.value_text(TCP_RMEM_AS_PRINTED) == TCP_RMEM_AS_WRITTEN


def test_value_text_keeps_the_words_as_given_not_their_numbers():
    # The file says what the profile says; only comparisons read the numbers.
    assert ss.value_text('0x1f') == '0x1f'
    assert ss.value_text(' 010\t 0x20  +3 ') == '010 0x20 +3'
    assert ss.render_conf('', [('net.ipv4.ip_forward', '01')]) == 'net.ipv4.ip_forward = 01\n'


# ---------------------------------------------------------------------------
# Order
# ---------------------------------------------------------------------------

def test_gate_is_ordered_before_the_key_it_gates_and_before_every_other_key():
    # fs.* and abi.* sort before kernel.* by path: the gate goes first all the same.
    keys = ['vm.max_map_count', 'fs.file-max', 'abi.vsyscall32', 'kernel.isolate_max_map_count']
    assert ss.order_keys(keys) == ['kernel.isolate_max_map_count', 'abi.vsyscall32', 'fs.file-max',
                                   'vm.max_map_count']


def test_gate_written_with_slashes_is_still_a_gate():
    assert ss.order_keys(['vm.max_map_count', 'fs.file-max', 'kernel/isolate_max_map_count']) == [
        'kernel/isolate_max_map_count', 'fs.file-max', 'vm.max_map_count']


def test_other_keys_are_ordered_by_their_path_not_their_spelling():
    # As strings, 'net.ipv6...' < 'net/ipv4...' ('.' < '/') and '...br-4f1c2a...' < '...br.rp_filter'
    # ('-' < '.'); by path, ipv4 comes before ipv6 and the interface br before br-4f1c2a.
    keys = ['net.ipv6.conf.all.disable_ipv6', 'net/ipv4/conf/eth0.100/rp_filter',
            'net.ipv4.conf.br-4f1c2a.rp_filter', 'net.ipv4.conf.br.rp_filter']
    assert ss.order_keys(keys) == ['net.ipv4.conf.br.rp_filter', 'net.ipv4.conf.br-4f1c2a.rp_filter',
                                   'net/ipv4/conf/eth0.100/rp_filter', 'net.ipv6.conf.all.disable_ipv6']


def test_order_is_the_same_whatever_order_the_profile_had():
    keys = ['vm.max_map_count', 'net.core.somaxconn', 'kernel.isolate_max_map_count', 'vm.swappiness',
            'net.ipv4.tcp_rmem']
    expected = ['kernel.isolate_max_map_count', 'net.core.somaxconn', 'net.ipv4.tcp_rmem', 'vm.max_map_count',
                'vm.swappiness']
    for permutation in itertools.permutations(keys):
        assert ss.order_keys(list(permutation)) == expected
        assert ss.order_keys(dict((key, 1) for key in permutation)) == expected


# ---------------------------------------------------------------------------
# sysctl.d files
# ---------------------------------------------------------------------------

# Abridged, shaped like systemd 239's /usr/lib/sysctl.d/50-default.conf on EL8 (TencentOS 3): the glob
# line is how newer systemd releases set every interface.
SYSTEMD_DEFAULTS = '''#  This file is part of systemd.
#
# See sysctl.d(5) and core(5) for documentation.

# System Request functionality of the kernel (SYNC)
kernel.sysrq = 16

# Append the PID to the core filename
kernel.core_uses_pid = 1

# Source route verification
net.ipv4.conf.all.rp_filter = 1
-net.ipv4.conf.*.rp_filter = 2

# Fair Queue CoDel packet scheduler to fight bufferbloat
net.core.default_qdisc = fq_codel
'''


def test_systemd_defaults_are_parsed_and_the_glob_line_skipped():
    assert ss.parse_conf(SYSTEMD_DEFAULTS) == {
        'kernel.sysrq': ('kernel.sysrq', '16'),
        'kernel.core_uses_pid': ('kernel.core_uses_pid', '1'),
        'net.ipv4.conf.all.rp_filter': ('net.ipv4.conf.all.rp_filter', '1'),
        'net.core.default_qdisc': ('net.core.default_qdisc', 'fq_codel'),
    }


def test_comments_with_hash_or_semicolon_are_skipped():
    text = '# vm.swappiness = 1\n; vm.swappiness = 2\n  # indented = 3\n  ;kernel.panic = 10\nvm.swappiness = 10\n'
    assert ss.parse_conf(text) == {'vm.swappiness': ('vm.swappiness', '10')}


def test_leading_dash_is_dropped_from_the_key():
    # A '-' means: ignore a failure to set it (br_netfilter not loaded yet).
    assert ss.parse_conf('-net.bridge.bridge-nf-call-iptables = 1\n') == {
        'net.bridge.bridge-nf-call-iptables': ('net.bridge.bridge-nf-call-iptables', '1')}
    assert ss.parse_conf(' - net.bridge.bridge-nf-call-iptables=1') == {
        'net.bridge.bridge-nf-call-iptables': ('net.bridge.bridge-nf-call-iptables', '1')}


def test_last_line_of_a_key_wins_whatever_its_spelling():
    text = 'vm.swappiness = 60\nvm.swappiness=30\nnet/core/somaxconn = 1024\nnet.core.somaxconn = 4096\n'
    assert ss.parse_conf(text) == {'vm.swappiness': ('vm.swappiness', '30'),
                                   'net.core.somaxconn': ('net.core.somaxconn', '4096')}


def test_values_keep_inner_whitespace_and_equal_signs():
    text = ('net.ipv4.tcp_rmem =\t%s \n'
            'kernel.core_pattern = |/usr/lib/systemd/systemd-coredump %%P %%u %%g %%s %%t %%c %%h\n'
            'kernel.modprobe = /usr/local/sbin/modprobe-wrapper --log=/var/log/modprobe\n') % TCP_RMEM_AS_PRINTED
    assert ss.parse_conf(text) == {
        'net.ipv4.tcp_rmem': ('net.ipv4.tcp_rmem', TCP_RMEM_AS_PRINTED),
        'kernel.core_pattern': ('kernel.core_pattern', '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h'),
        'kernel.modprobe': ('kernel.modprobe', '/usr/local/sbin/modprobe-wrapper --log=/var/log/modprobe'),
    }


def test_slash_keys_are_parsed_under_their_canonical_name():
    assert ss.parse_conf('net/ipv4/conf/eth0.100/rp_filter = 0\n') == {
        'net.ipv4.conf.eth0/100.rp_filter': ('net/ipv4/conf/eth0.100/rp_filter', '0')}


def test_lines_without_equals_or_with_bad_keys_are_skipped():
    assert ss.parse_conf('vm.swappiness 10\nnet..core = 1\n= 5\n\n   \n') == {}
    assert ss.parse_conf(None) == {}
    assert ss.parse_conf('') == {}


def test_windows_line_endings_are_read():
    assert ss.parse_conf('vm.swappiness = 10\r\nkernel.panic = 10\r\n') == {
        'vm.swappiness': ('vm.swappiness', '10'), 'kernel.panic': ('kernel.panic', '10')}


def test_header_lines_get_a_hash_and_settings_follow_in_the_order_given():
    text = ss.render_conf('Ansible managed\n# already a comment\n\nedit the role, not this file',
                          [('kernel.isolate_max_map_count', 1), ('vm.max_map_count', 262144),
                           ('net.ipv4.tcp_rmem', ' 4096 87380 6291456 ')])
    assert text == ('# Ansible managed\n'
                    '# already a comment\n'
                    '#\n'
                    '# edit the role, not this file\n'
                    'kernel.isolate_max_map_count = 1\n'
                    'vm.max_map_count = 262144\n'
                    'net.ipv4.tcp_rmem = 4096 87380 6291456\n')


def test_rendering_without_header():
    assert ss.render_conf('', [('vm.swappiness', 10)]) == 'vm.swappiness = 10\n'
    assert ss.render_conf(None, [('vm.swappiness', 10)]) == 'vm.swappiness = 10\n'


def test_rendering_is_stable_and_reads_back_as_written():
    settings = {'net/ipv4/conf/eth0.100/rp_filter': 0, 'vm.max_map_count': 262144,
                'kernel.isolate_max_map_count': 1, 'net.ipv4.tcp_rmem': TCP_RMEM_AS_WRITTEN}
    first = ss.render_conf('managed', [(key, settings[key]) for key in ss.order_keys(settings)])
    reversed_input = dict(reversed(list(settings.items())))
    second = ss.render_conf('managed', [(key, reversed_input[key]) for key in ss.order_keys(reversed_input)])
    assert first == second
    parsed = ss.parse_conf(first)
    assert dict((name, value) for name, (_key, value) in parsed.items()) == {
        'net.ipv4.conf.eth0/100.rp_filter': '0', 'vm.max_map_count': '262144',
        'kernel.isolate_max_map_count': '1', 'net.ipv4.tcp_rmem': TCP_RMEM_AS_WRITTEN}


# ---------------------------------------------------------------------------
# Boot order of sysctl.d files
# ---------------------------------------------------------------------------

# A TencentOS 3 host: systemd's and procps' files in /usr/lib/sysctl.d, the sysctl.conf link and a
# local file in /etc/sysctl.d, and an /etc copy of 50-default.conf that hides the packaged one.
HOST_DIRS = {
    '/etc/sysctl.d': ['99-sysctl.conf', '50-default.conf', '99-zz-local.conf', 'README'],
    '/run/sysctl.d': [],
    '/usr/lib/sysctl.d': ['10-default-yama-scope.conf', '50-coredump.conf', '50-default.conf',
                          '50-libkcapi-optmem_max.conf', 'README.conf.rpmsave'],
    '/lib/sysctl.d': ['50-coredump.conf'],
}
OWN = '/etc/sysctl.d/99-tencentos-fleet.conf'


def listdir_of(dirs):
    return lambda directory: list(dirs.get(directory, []))


def test_boot_order_is_by_file_name_and_earlier_directories_hide_later_ones():
    assert ss.boot_order(listdir_of(HOST_DIRS), OWN) == [
        '/usr/lib/sysctl.d/10-default-yama-scope.conf',
        '/usr/lib/sysctl.d/50-coredump.conf',
        '/etc/sysctl.d/50-default.conf',
        '/usr/lib/sysctl.d/50-libkcapi-optmem_max.conf',
        '/etc/sysctl.d/99-sysctl.conf',
        OWN,
        '/etc/sysctl.d/99-zz-local.conf',
    ]


def test_run_directory_hides_usr_lib_but_not_etc():
    dirs = {'/etc/sysctl.d': ['60-a.conf'], '/run/sysctl.d': ['60-a.conf', '60-b.conf'],
            '/usr/lib/sysctl.d': ['60-b.conf', '60-c.conf']}
    assert ss.boot_order(listdir_of(dirs), OWN) == [
        '/etc/sysctl.d/60-a.conf', '/run/sysctl.d/60-b.conf', '/usr/lib/sysctl.d/60-c.conf', OWN]


def test_own_file_not_written_yet_takes_its_place_by_name():
    assert ss.boot_order(listdir_of({}), OWN) == [OWN]
    order = ss.boot_order(listdir_of({'/usr/lib/sysctl.d': ['00-first.conf', 'zz-last.conf']}),
                          '/run/sysctl.d/50-mine.conf')
    assert order == ['/usr/lib/sysctl.d/00-first.conf', '/run/sysctl.d/50-mine.conf', '/usr/lib/sysctl.d/zz-last.conf']


def test_own_file_already_there_is_listed_once():
    dirs = {'/etc/sysctl.d': ['99-tencentos-fleet.conf']}
    assert ss.boot_order(listdir_of(dirs), OWN) == [OWN]


# ---------------------------------------------------------------------------
# Overrides at boot
# ---------------------------------------------------------------------------

def boot_files():
    order = ss.boot_order(listdir_of(HOST_DIRS), OWN)
    parsed = {
        '/etc/sysctl.d/50-default.conf': ss.parse_conf('vm.swappiness = 60\nnet.core.somaxconn = 128\n'),
        '/etc/sysctl.d/99-sysctl.conf': ss.parse_conf('kernel.panic = 0\n'),
        '/etc/sysctl.d/99-zz-local.conf': ss.parse_conf(
            'vm.swappiness = 30\nnet.ipv4.tcp_rmem = %s\nkernel.sysrq = 1\n'
            'net.ipv4.conf.eth0/100.rp_filter = 2\n' % TCP_RMEM_AS_PRINTED),
    }
    return order, parsed


def test_later_file_that_sets_one_of_our_keys_differently_overrides_it():
    order, parsed = boot_files()
    wanted = {'vm.swappiness': 10, 'net.core.somaxconn': 4096, 'kernel.panic': 10}
    assert ss.overridden_at_boot(order, OWN, parsed, wanted) == {
        'vm.swappiness': [('/etc/sysctl.d/99-zz-local.conf', '30')]}


def test_earlier_files_and_equal_values_do_not_count():
    order, parsed = boot_files()
    # 50-default.conf and 99-sysctl.conf come before ours; 99-zz-local.conf has tcp_rmem with tabs.
    wanted = {'net.core.somaxconn': 4096, 'kernel.panic': 10, 'net.ipv4.tcp_rmem': TCP_RMEM_AS_WRITTEN}
    assert ss.overridden_at_boot(order, OWN, parsed, wanted) == {}


def test_keys_we_do_not_set_are_not_reported():
    order, parsed = boot_files()
    assert ss.overridden_at_boot(order, OWN, parsed, {'vm.swappiness': 30}) == {}


def test_override_found_by_canonical_name_whatever_the_spelling():
    order, parsed = boot_files()
    wanted = {ss.canonical_name('net/ipv4/conf/eth0.100/rp_filter'): 0}
    assert ss.overridden_at_boot(order, OWN, parsed, wanted) == {
        'net.ipv4.conf.eth0/100.rp_filter': [('/etc/sysctl.d/99-zz-local.conf', '2')]}


def test_every_later_file_that_overrides_is_listed_in_boot_order():
    dirs = {'/etc/sysctl.d': ['99-zz-local.conf'], '/usr/lib/sysctl.d': ['99-zzz-vendor.conf']}
    order = ss.boot_order(listdir_of(dirs), OWN)
    parsed = {'/etc/sysctl.d/99-zz-local.conf': {'vm.swappiness': ('vm.swappiness', '30')},
              '/usr/lib/sysctl.d/99-zzz-vendor.conf': {'vm.swappiness': ('vm.swappiness', '1')}}
    assert ss.overridden_at_boot(order, OWN, parsed, {'vm.swappiness': 10}) == {
        'vm.swappiness': [('/etc/sysctl.d/99-zz-local.conf', '30'), ('/usr/lib/sysctl.d/99-zzz-vendor.conf', '1')]}


def test_no_override_when_our_file_is_not_in_the_boot_order():
    order = ['/etc/sysctl.d/99-zz-local.conf']
    parsed = {'/etc/sysctl.d/99-zz-local.conf': {'vm.swappiness': ('vm.swappiness', '30')}}
    assert ss.overridden_at_boot(order, OWN, parsed, {'vm.swappiness': 10}) == {}


# ---------------------------------------------------------------------------
# Namespaces (facts sheet section 6)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('name, namespace', [
    ('net.core.somaxconn', 'network'),
    ('net.ipv4.tcp_rmem', 'network'),
    ('net.ipv4.tcp_wmem', 'network'),
    ('net.ipv4.tcp_max_orphans', 'network'),
    ('net.ipv4.conf.eth0/100.rp_filter', 'network'),
    ('kernel.shmmax', 'IPC'),
    ('kernel.shmall', 'IPC'),
    ('kernel.shm_rmid_forced', 'IPC'),
    ('kernel.msgmnb', 'IPC'),
    ('kernel.msgmax', 'IPC'),
    ('kernel.sem', 'IPC'),
    ('fs.mqueue.msg_max', 'IPC'),
    ('fs.mqueue.queues_max', 'IPC'),
    ('kernel.hostname', 'UTS'),
    ('kernel.domainname', 'UTS'),
    ('user.max_user_namespaces', 'user'),
    ('user.max_net_namespaces', 'user'),
])
def test_namespaced_keys_name_their_namespace(name, namespace):
    assert ss.namespace_holding(name, False) == namespace
    assert ss.namespace_holding(name, True) == namespace


@pytest.mark.parametrize('name', ['kernel.pid_max', 'kernel.panic', 'kernel.isolate_max_map_count', 'vm.swappiness',
                                  'vm.overcommit_memory', 'fs.file-max', 'fs.inotify.max_user_watches',
                                  'kernel.sysrq', 'kernel.core_pattern'])
def test_other_keys_are_global(name):
    assert ss.namespace_holding(name, False) is None
    assert ss.namespace_holding(name, True) is None


def test_max_map_count_is_held_by_the_pid_namespace_only_while_isolated():
    assert ss.namespace_holding('vm.max_map_count', True) == 'PID'
    assert ss.namespace_holding('vm.max_map_count', False) is None


# /proc/self/ns links of the initial namespaces (include/linux/proc_ns.h: PROC_PID_INIT_INO 0xEFFFFFFC,
# PROC_IPC_INIT_INO 0xEFFFFFFF, PROC_UTS_INIT_INO 0xEFFFFFFE, PROC_USER_INIT_INO 0xEFFFFFFD) and of a
# container's own ones, numbered at creation. The network namespace has no fixed number.
INITIAL_LINKS = {'pid': 'pid:[4026531836]', 'ipc': 'ipc:[4026531839]', 'uts': 'uts:[4026531838]',
                 'user': 'user:[4026531837]', 'net': 'net:[4026531992]'}
OWN_LINKS = {'pid': 'pid:[4026532401]', 'ipc': 'ipc:[4026532402]', 'uts': 'uts:[4026532403]',
             'user': 'user:[4026532400]', 'net': 'net:[4026532404]'}


def test_initial_namespaces_are_not_private():
    assert ss.private_namespaces(INITIAL_LINKS, False) == set()


@pytest.mark.parametrize('kind', ['pid', 'ipc', 'uts', 'user'])
def test_a_namespace_other_than_the_initial_one_is_private(kind):
    links = dict(INITIAL_LINKS, **{kind: OWN_LINKS[kind]})
    assert ss.private_namespaces(links, False) == set([kind])


@pytest.mark.parametrize('kind', ['pid', 'ipc', 'uts', 'user'])
def test_initial_number_of_another_kind_is_private(kind):
    # Each kind has its own initial number: the pid link showing the user namespace's is not initial.
    other = dict(pid='user', ipc='uts', uts='ipc', user='pid')[kind]
    number = INITIAL_LINKS[other].split(':', 1)[1]
    links = dict(INITIAL_LINKS, **{kind: kind + ':' + number})
    assert ss.private_namespaces(links, False) == set([kind])


def test_network_namespace_is_private_only_when_the_caller_says_so():
    # Its link has no fixed number: an own-looking link alone proves nothing.
    assert ss.private_namespaces(OWN_LINKS, False) == set(['pid', 'ipc', 'uts', 'user'])
    assert ss.private_namespaces(OWN_LINKS, True) == set(['pid', 'ipc', 'uts', 'user', 'net'])
    assert ss.private_namespaces(INITIAL_LINKS, True) == set(['net'])


@pytest.mark.parametrize('links', [{}, dict((kind, None) for kind in INITIAL_LINKS), {'pid': ''}],
                         ids=['absent', 'unreadable', 'empty'])
def test_links_that_cannot_be_read_count_as_shared(links):
    assert ss.private_namespaces(links, False) == set()
    assert ss.private_namespaces(links, True) == set(['net'])


def test_one_unreadable_link_leaves_the_others_private():
    links = dict(OWN_LINKS, ipc=None)
    assert ss.private_namespaces(links, False) == set(['pid', 'uts', 'user'])


CONTAINER = 'a container (podman, PID namespace not the initial one)'
NETNS = 'a network namespace of its own'
# A container with all its own namespaces, as rootless podman makes it.
ALL_PRIVATE = set(['pid', 'ipc', 'uts', 'user', 'net'])


def shared_reason(holder, confinement):
    return ('held by the %s namespace, which %s shares with the machine: a write would change the machine\'s '
            'own value, so it is written to the file only' % (holder, confinement))


@pytest.mark.parametrize('name', ['kernel.pid_max', 'vm.swappiness', 'vm.max_map_count', 'net.core.somaxconn',
                                  'kernel.shmmax'])
def test_nothing_is_refused_on_a_host(name):
    assert ss.live_refusal(name, None, set(), '0') is None
    assert ss.live_refusal(name, None, set(), '1') is None
    assert ss.live_refusal(name, None, set(), None) is None


@pytest.mark.parametrize('name', ['net.core.somaxconn', 'net.ipv4.tcp_rmem', 'kernel.shmmax', 'fs.mqueue.msg_max',
                                  'kernel.hostname', 'user.max_user_namespaces'])
def test_keys_the_container_namespaces_hold_are_written_live(name):
    assert ss.live_refusal(name, CONTAINER, ALL_PRIVATE, '0') is None


@pytest.mark.parametrize('name', ['kernel.pid_max', 'vm.swappiness', 'kernel.isolate_max_map_count'])
def test_global_keys_are_refused_in_a_container_with_the_reason(name):
    reason = ss.live_refusal(name, CONTAINER, ALL_PRIVATE, '1')
    assert reason == ('global to the kernel, and %s holds only its own namespaces\' keys: a write would reach '
                      'every namespace of the machine, so it is written to the file only' % CONTAINER)


def test_max_map_count_in_a_container_follows_the_gate():
    assert ss.live_refusal('vm.max_map_count', CONTAINER, ALL_PRIVATE, '1') is None
    assert ss.live_refusal('vm.max_map_count', CONTAINER, ALL_PRIVATE, ' 1\n') is None
    reason = ss.live_refusal('vm.max_map_count', CONTAINER, ALL_PRIVATE, '0\n')
    assert reason.startswith('held by the PID namespace only while kernel.isolate_max_map_count is 1 (it is 0); '
                             'in %s a write' % CONTAINER)


def test_max_map_count_gate_is_read_as_a_number():
    assert ss.live_refusal('vm.max_map_count', CONTAINER, ALL_PRIVATE, '00').startswith(
        'held by the PID namespace only while kernel.isolate_max_map_count is 1 (it is 0)')
    assert ss.live_refusal('vm.max_map_count', CONTAINER, ALL_PRIVATE, '0x1') is None


def test_max_map_count_without_the_gate_is_global_in_a_container():
    # A stock kernel has no kernel.isolate_max_map_count.
    assert ss.live_refusal('vm.max_map_count', CONTAINER, ALL_PRIVATE, None).startswith('global to the kernel')


@pytest.mark.parametrize('name', ['net.core.somaxconn', 'net.ipv4.tcp_rmem', 'net.ipv4.conf.eth0/100.rp_filter'])
def test_container_on_the_host_network_refuses_network_keys(name):
    # podman run --network=host: its own PID, IPC and UTS namespaces, the machine's network.
    private = set(['pid', 'ipc', 'uts'])
    assert ss.live_refusal(name, CONTAINER, private, '1') == shared_reason('network', CONTAINER)


def test_container_on_the_host_network_still_writes_its_own_namespaces_keys():
    private = set(['pid', 'ipc', 'uts'])
    for name in ('kernel.shmmax', 'fs.mqueue.msg_max', 'kernel.hostname', 'vm.max_map_count'):
        assert ss.live_refusal(name, CONTAINER, private, '1') is None
    # Rootful podman leaves the user namespace shared.
    assert ss.live_refusal('user.max_user_namespaces', CONTAINER, private, '1') == shared_reason('user', CONTAINER)


@pytest.mark.parametrize('name', ['kernel.shmmax', 'kernel.msgmnb', 'kernel.sem', 'fs.mqueue.msg_max'])
def test_container_sharing_the_machines_ipc_refuses_ipc_keys(name):
    # podman run --ipc=host.
    private = ALL_PRIVATE - set(['ipc'])
    assert ss.live_refusal(name, CONTAINER, private, '1') == shared_reason('IPC', CONTAINER)
    assert ss.live_refusal('net.core.somaxconn', CONTAINER, private, '1') is None


@pytest.mark.parametrize('name', ['net.core.somaxconn', 'net.ipv4.tcp_rmem', 'net.ipv4.conf.all.rp_filter'])
def test_network_namespace_alone_writes_network_keys(name):
    assert ss.live_refusal(name, NETNS, set(['net']), '1') is None


@pytest.mark.parametrize('name, holder', [
    ('kernel.shmmax', 'IPC'),
    ('fs.mqueue.queues_max', 'IPC'),
    ('kernel.hostname', 'UTS'),
    ('kernel.domainname', 'UTS'),
    ('user.max_user_namespaces', 'user'),
    ('vm.max_map_count', 'PID'),
])
def test_network_namespace_alone_refuses_the_keys_of_the_namespaces_it_shares(name, holder):
    # ip netns exec: every namespace but the network one is the machine's.
    assert ss.live_refusal(name, NETNS, set(['net']), '1') == shared_reason(holder, NETNS)


def test_network_namespace_confinement_is_named_in_the_global_reason():
    assert NETNS in ss.live_refusal('vm.swappiness', NETNS, set(['net']), None)
    assert ss.live_refusal('vm.max_map_count', NETNS, set(['net']), '0').startswith(
        'held by the PID namespace only while kernel.isolate_max_map_count is 1 (it is 0); in %s' % NETNS)


# ---------------------------------------------------------------------------
# Red lines (facts sheet section 7)
# ---------------------------------------------------------------------------

def test_rp_filter_red_line_matches_every_interface_and_the_slash_form():
    settings = {'net.ipv4.conf.all.rp_filter': 1, 'net.ipv4.conf.default.rp_filter': '1',
                'net.ipv4.conf.eth0.rp_filter': ' 1 ', 'net/ipv4/conf/eth0.100/rp_filter': 1,
                'net.ipv4.conf.lo.rp_filter': 0, 'net.ipv4.conf.eth1.rp_filter': 2}
    assert ss.red_line_violations(settings, TKE_RED_LINES) == [
        'net.ipv4.conf.all.rp_filter = 1 is refused: VPC-CNI needs rp_filter 0',
        'net.ipv4.conf.default.rp_filter = 1 is refused: VPC-CNI needs rp_filter 0',
        'net.ipv4.conf.eth0.rp_filter = 1 is refused: VPC-CNI needs rp_filter 0',
        'net/ipv4/conf/eth0.100/rp_filter = 1 is refused: VPC-CNI needs rp_filter 0',
    ]


def test_every_violation_is_listed_not_only_the_first():
    settings = {'net.ipv4.ip_forward': '0', 'net.ipv4.tcp_tw_recycle': 1, 'net.ipv4.conf.all.rp_filter': 1,
                'vm.swappiness': 0}
    assert ss.red_line_violations(settings, TKE_RED_LINES) == [
        'net.ipv4.conf.all.rp_filter = 1 is refused: VPC-CNI needs rp_filter 0',
        'net.ipv4.ip_forward = 0 is refused: breaks node networking',
        'net.ipv4.tcp_tw_recycle = 1 is refused: NAT failures',
    ]


def test_red_line_values_are_compared_whitespace_normalised():
    red_lines = [{'key': 'net.ipv4.tcp_rmem', 'value': TCP_RMEM_AS_WRITTEN, 'reason': 'too small for the VPC'}]
    assert ss.red_line_violations({'net.ipv4.tcp_rmem': TCP_RMEM_AS_PRINTED}, red_lines) == [
        'net.ipv4.tcp_rmem = %s is refused: too small for the VPC' % TCP_RMEM_AS_WRITTEN]
    assert ss.red_line_violations({'net.ipv4.tcp_rmem': '4096 87380 4194304'}, red_lines) == []


@pytest.mark.parametrize('key, value', [('net.ipv4.ip_forward', '00'), ('net.ipv4.ip_forward', '0x0'),
                                        ('net.ipv4.conf.all.rp_filter', '0x1'), ('net.ipv4.conf.eth0.rp_filter', '01'),
                                        ('net.ipv4.tcp_tw_recycle', '0x01')])
def test_red_line_catches_another_spelling_of_the_number(key, value):
    # The kernel reads "00" as 0 and "0x1" as 1: the red line must too.
    problems = ss.red_line_violations({key: value}, TKE_RED_LINES)
    assert len(problems) == 1 and problems[0].startswith('%s = %s is refused: ' % (key, value))


def test_red_line_given_in_another_base_catches_the_decimal_value():
    red_lines = [{'key': 'kernel.shmmni', 'value': '0x1000', 'reason': 'too many segments'}]
    assert ss.red_line_violations({'kernel.shmmni': 4096}, red_lines) == [
        'kernel.shmmni = 4096 is refused: too many segments']
    assert ss.red_line_violations({'kernel.shmmni': '0x100'}, red_lines) == []


def test_allowed_values_and_other_keys_cross_no_red_line():
    settings = {'net.ipv4.ip_forward': 1, 'net.ipv4.tcp_tw_recycle': 0, 'net.ipv4.conf.all.rp_filter': 0,
                'net.ipv4.conf.all.forwarding': 0}
    assert ss.red_line_violations(settings, TKE_RED_LINES) == []
    assert ss.red_line_violations(settings, []) == []

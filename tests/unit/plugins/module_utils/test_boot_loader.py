# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB environment blocks, BLS entries, generated grub.cfg files and the boot change plan.

The environment block format is GRUB's grub-core/lib/envblk.c: the header line, NAME=value lines
(a backslash or a newline in a value is preceded by a backslash), then '#' up to 1024 bytes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import boot_loader

# What grub2-editenv leaves on a TencentOS 3.1 / EL8 host: saved_entry, kernelopts, boot_success.
KERNELOPTS = 'root=/dev/mapper/tl-root ro crashkernel=auto resume=/dev/mapper/tl-swap rd.lvm.lv=tl/root rhgb quiet'
TK4_OLD = '5.4.119-19-0009.1'
TK4_NEW = '5.4.119-19-0010.1'
TK3_OLD = '4.14.105-19-0013'
TK3_NEW = '4.14.105-19-0020.1'
STOCK_EL7 = '3.10.0-1160.el7.x86_64'


# --- the environment block ---------------------------------------------------------------------

def test_parse_reads_the_variables_in_order_and_skips_header_and_padding(boot_tree):
    text = boot_tree.grubenv_block(['saved_entry=abc-%s' % TK4_OLD, 'kernelopts=' + KERNELOPTS, 'boot_success=0'])
    assert boot_loader.parse_grubenv(text) == [
        ('saved_entry', 'abc-%s' % TK4_OLD), ('kernelopts', KERNELOPTS), ('boot_success', '0')]


def test_parse_of_nothing_is_no_variables():
    assert boot_loader.parse_grubenv(None) == []
    assert boot_loader.parse_grubenv('') == []


def test_render_is_exactly_1024_bytes_header_first_hash_padded():
    text = boot_loader.render_grubenv([('saved_entry', TK3_OLD)])
    assert len(text.encode('utf-8')) == 1024
    assert text.startswith('# GRUB Environment Block\nsaved_entry=%s\n#' % TK3_OLD)
    body = '# GRUB Environment Block\nsaved_entry=%s\n' % TK3_OLD
    assert text == body + '#' * (1024 - len(body))


def test_render_of_an_empty_block_is_the_header_and_padding():
    assert boot_loader.render_grubenv([]) == '# GRUB Environment Block\n' + '#' * (1024 - 25)


def test_render_then_parse_gives_the_same_variables(boot_tree):
    pairs = [('saved_entry', 'abc-%s' % TK4_OLD), ('kernelopts', KERNELOPTS), ('boot_success', '0')]
    text = boot_loader.render_grubenv(pairs)
    assert boot_loader.parse_grubenv(text) == pairs
    # ... and it is byte for byte what grub2-editenv writes for them.
    assert text == boot_tree.grubenv_block(['saved_entry=abc-%s' % TK4_OLD, 'kernelopts=' + KERNELOPTS,
                                            'boot_success=0'])


def test_multibyte_values_are_counted_in_bytes():
    text = boot_loader.render_grubenv([('title', u'内核')])
    assert len(text.encode('utf-8')) == 1024
    assert len(text) == 1024 - 4


def test_backslash_and_newline_are_escaped_as_grub_editenv_does():
    # envblk.c grub_envblk_set: a backslash before each backslash and each newline.
    text = boot_loader.render_grubenv([('a', 'one\\two\nthree')])
    assert text.startswith('# GRUB Environment Block\na=one\\\\two\\\nthree\n#')
    assert boot_loader.parse_grubenv(text) == [('a', 'one\\two\nthree')]


def test_an_escaped_newline_written_by_grub_does_not_split_the_variable():
    # grub_envblk_iterate: a backslash takes the next character, whatever it is, literally.
    text = '# GRUB Environment Block\nmenu_auto_hide=1\\\n2\nx=\\n\nboot_success=0\n' + '#' * 900
    assert boot_loader.parse_grubenv(text) == [('menu_auto_hide', '1\n2'), ('x', 'n'), ('boot_success', '0')]


def test_block_that_does_not_fit_raises_value_error():
    with pytest.raises(ValueError) as raised:
        boot_loader.render_grubenv([('kernelopts', 'x' * 1000)])
    assert 'more than 1024' in str(raised.value)


def test_block_that_fits_exactly_has_no_padding():
    header = '# GRUB Environment Block\n'
    value = 'x' * (1024 - len(header) - len('k=\n'))
    text = boot_loader.render_grubenv([('k', value)])
    assert len(text) == 1024 and not text.endswith('#')


def test_set_values_replaces_in_place_keeps_others_and_appends_new_ones():
    pairs = [('saved_entry', 'old'), ('kernelopts', KERNELOPTS), ('boot_success', '0')]
    assert boot_loader.set_grubenv_values(pairs, {'saved_entry': 'new', 'next_entry': 'once'}) == [
        ('saved_entry', 'new'), ('kernelopts', KERNELOPTS), ('boot_success', '0'), ('next_entry', 'once')]


def test_new_variables_are_appended_in_name_order():
    # The same request gives the same block whatever the order of the dict.
    assert boot_loader.set_grubenv_values([('kernelopts', KERNELOPTS)], {'saved_entry': 's', 'next_entry': 'n'}) == [
        ('kernelopts', KERNELOPTS), ('next_entry', 'n'), ('saved_entry', 's')]


def test_set_values_with_none_removes_the_variable():
    pairs = [('saved_entry', 'old'), ('next_entry', 'once'), ('boot_success', '0')]
    assert boot_loader.set_grubenv_values(pairs, {'next_entry': None, 'absent': None}) == [
        ('saved_entry', 'old'), ('boot_success', '0')]


def test_unset_variable_reads_as_empty():
    assert boot_loader.grubenv_value([('saved_entry', 'x')], 'next_entry') == ''
    assert boot_loader.grubenv_value([('saved_entry', 'x')], 'saved_entry') == 'x'


# --- BLS entries ---------------------------------------------------------------------------------

@pytest.mark.parametrize('prefix', ['', '/boot'])
def test_bls_entry_names_its_kernel_with_or_without_the_boot_prefix(boot_tree, prefix):
    text = boot_tree.bls_entry(TK4_OLD, 'TencentOS Linux (%s) 3.1 (Final)' % TK4_OLD, prefix)
    entry = boot_loader.parse_bls_entry(text, boot_tree.bls_id(TK4_OLD))
    assert entry == {'id': boot_tree.bls_id(TK4_OLD), 'title': 'TencentOS Linux (%s) 3.1 (Final)' % TK4_OLD,
                     'kernel': TK4_OLD,
                     'names': [boot_tree.bls_id(TK4_OLD), 'TencentOS Linux (%s) 3.1 (Final)' % TK4_OLD]}


def test_bls_entry_id_is_the_file_name_not_its_id_field(boot_tree):
    # GRUB's blscfg and grub2-set-default on EL8 name an entry by its file name.
    entry = boot_loader.parse_bls_entry(boot_tree.bls_entry(TK4_OLD, 't'), 'from-file-name')
    assert entry['id'] == 'from-file-name' and entry['names'] == ['from-file-name', 't']


def test_bls_entry_fields_separated_by_tabs_are_read():
    text = 'title\tTencentOS Linux (%s) 3.1 (Final)\nlinux\t/vmlinuz-%s\ninitrd  /initramfs-%s.img\n' % (
        TK4_OLD, TK4_OLD, TK4_OLD)
    entry = boot_loader.parse_bls_entry(text, 'x')
    assert (entry['title'], entry['kernel']) == ('TencentOS Linux (%s) 3.1 (Final)' % TK4_OLD, TK4_OLD)


def test_bls_entry_first_value_of_a_repeated_key_counts_and_bare_keys_are_harmless():
    text = 'linux /vmlinuz-%s\nlinux /vmlinuz-%s\ngrub_users\n' % (TK4_OLD, TK4_NEW)
    assert boot_loader.parse_bls_entry(text, 'x')['kernel'] == TK4_OLD


def test_bls_entry_without_a_kernel_image_has_no_kernel():
    entry = boot_loader.parse_bls_entry('title EFI shell\nefi /EFI/tools/shell.efi\n', 'shell')
    assert entry['kernel'] is None and entry['title'] == 'EFI shell'


def test_kernel_of_image_reads_vmlinuz_names_only():
    assert boot_loader.kernel_of_image('/boot/vmlinuz-6.6.98-40.2.tl4.x86_64') == '6.6.98-40.2.tl4.x86_64'
    assert boot_loader.kernel_of_image('/initramfs-%s.img' % TK4_OLD) is None
    assert boot_loader.kernel_of_image(None) is None


# --- legacy grub.cfg -----------------------------------------------------------------------------

def test_grub_cfg_menu_entries_have_title_id_and_kernel(boot_tree):
    entries = boot_loader.parse_grub_cfg(boot_tree.grub_cfg([TK3_NEW, TK3_OLD, STOCK_EL7]))
    assert [entry['kernel'] for entry in entries] == [TK3_NEW, TK3_OLD, STOCK_EL7]
    first = entries[0]
    assert first['title'] == 'TencentOS Linux (%s) 2.4 (Final)' % TK3_NEW
    assert first['id'] == 'gnulinux-%s-advanced-6c5e0f9a-2b1d-4c3e-9f8a-7d6b5c4a3e2f' % TK3_NEW
    assert first['names'] == [first['title'], first['id']]


def test_grub_cfg_with_boot_on_the_root_file_system(boot_tree):
    entries = boot_loader.parse_grub_cfg(boot_tree.grub_cfg([TK3_OLD], prefix='/boot'))
    assert [entry['kernel'] for entry in entries] == [TK3_OLD]


def test_grub_cfg_double_quoted_titles_without_id_and_linuxefi():
    text = ('menuentry "Tencent tlinux (%s)" --class os {\n'
            '\tlinuxefi /vmlinuz-%s root=/dev/vda1\n'
            '\tinitrdefi /initramfs-%s.img\n}\n') % (TK3_OLD, TK3_OLD, TK3_OLD)
    assert boot_loader.parse_grub_cfg(text) == [
        {'id': '', 'title': 'Tencent tlinux (%s)' % TK3_OLD, 'kernel': TK3_OLD,
         'names': ['Tencent tlinux (%s)' % TK3_OLD]}]


def test_grub_cfg_header_lines_are_not_menu_entries(boot_tree):
    # 00_header sets and exports menuentry_id_option; no entry comes of it.
    assert boot_loader.parse_grub_cfg(boot_tree.grub_cfg([])) == []


@pytest.mark.parametrize('name, kernel', [
    ('TencentOS Linux (%s) 2.4 (Final)' % TK3_OLD, TK3_OLD),
    ('gnulinux-%s-advanced-6c5e0f9a-2b1d-4c3e-9f8a-7d6b5c4a3e2f' % STOCK_EL7, STOCK_EL7),
    ('0', TK3_NEW),
    ('2', STOCK_EL7),
])
def test_resolve_entry_by_title_id_or_index(boot_tree, name, kernel):
    entries = boot_loader.parse_grub_cfg(boot_tree.grub_cfg([TK3_NEW, TK3_OLD, STOCK_EL7]))
    assert boot_loader.resolve_entry(entries, name)['kernel'] == kernel


@pytest.mark.parametrize('name', ['', None, '3', 'TencentOS Linux (9.9.9) 2.4 (Final)'])
def test_resolve_entry_of_no_name_or_unknown_name_is_none(boot_tree, name):
    entries = boot_loader.parse_grub_cfg(boot_tree.grub_cfg([TK3_NEW, TK3_OLD, STOCK_EL7]))
    assert boot_loader.resolve_entry(entries, name) is None


# --- read_boot_state ----------------------------------------------------------------------------

def test_bls_state_lists_newest_first_and_reads_saved_entry(boot_tree):
    root = boot_tree.bls([TK4_OLD, TK4_NEW, '4.18.0-348.el8.x86_64'],
                         grubenv=['saved_entry=' + boot_tree.bls_id(TK4_OLD), 'kernelopts=' + KERNELOPTS])
    state = boot_loader.read_boot_state(root)
    assert state['style'] == 'bls'
    assert state['grub_cfg'] is None
    assert state['grubenv_exists'] is True
    assert [entry['kernel'] for entry in state['entries']] == [TK4_NEW, TK4_OLD, '4.18.0-348.el8.x86_64']
    assert state['entries'][0] == {'name': boot_tree.bls_id(TK4_NEW), 'kernel': TK4_NEW,
                                   'title': 'TencentOS Linux (%s) 3.1 (Final)' % TK4_NEW}
    assert state['saved_entry'] == boot_tree.bls_id(TK4_OLD)
    assert state['default_kernel'] == TK4_OLD
    assert state['next_entry'] == '' and state['next_kernel'] is None
    assert state['grubenv_pairs'][1] == ('kernelopts', KERNELOPTS)


def test_bls_state_with_next_entry_names_the_next_kernel(boot_tree):
    root = boot_tree.bls([TK4_OLD, TK4_NEW], grubenv=['saved_entry=' + boot_tree.bls_id(TK4_OLD),
                                                      'next_entry=' + boot_tree.bls_id(TK4_NEW)])
    state = boot_loader.read_boot_state(root)
    assert (state['default_kernel'], state['next_kernel']) == (TK4_OLD, TK4_NEW)


def test_saved_entry_naming_nothing_means_grubs_first_entry(boot_tree):
    root = boot_tree.bls([TK4_OLD, TK4_NEW], grubenv=['saved_entry=%s-5.4.119-19-0001' % boot_tree.machine_id])
    state = boot_loader.read_boot_state(root)
    assert state['saved_entry'] == '%s-5.4.119-19-0001' % boot_tree.machine_id
    assert state['default_kernel'] == TK4_NEW


def test_missing_grubenv_means_grubs_first_entry(boot_tree):
    root = boot_tree.bls([TK4_OLD, TK4_NEW])
    state = boot_loader.read_boot_state(root)
    assert state['grubenv_exists'] is False and state['grubenv_pairs'] == []
    assert state['default_kernel'] == TK4_NEW and state['next_kernel'] is None


def test_legacy_state_keeps_menu_order_and_names_entries_by_title(boot_tree):
    root = boot_tree.legacy([TK3_NEW, TK3_OLD, STOCK_EL7],
                            grubenv=['saved_entry=' + boot_tree.legacy_title(TK3_OLD),
                                     'next_entry=' + boot_tree.legacy_title(TK3_NEW)])
    state = boot_loader.read_boot_state(root)
    assert state['style'] == 'legacy'
    assert state['grub_cfg'] == '/boot/grub2/grub.cfg'
    assert [entry['name'] for entry in state['entries']] == [
        boot_tree.legacy_title(kernel) for kernel in (TK3_NEW, TK3_OLD, STOCK_EL7)]
    assert (state['default_kernel'], state['next_kernel']) == (TK3_OLD, TK3_NEW)


def test_legacy_saved_entry_as_an_index(boot_tree):
    root = boot_tree.legacy([TK3_NEW, TK3_OLD, STOCK_EL7], grubenv=['saved_entry=2'])
    assert boot_loader.read_boot_state(root)['default_kernel'] == STOCK_EL7


def test_legacy_saved_entry_naming_nothing_means_the_first_menu_entry(boot_tree):
    root = boot_tree.legacy([TK3_OLD, STOCK_EL7], grubenv=['saved_entry=CentOS Linux (3.10.0-957.el7.x86_64) 7'])
    assert boot_loader.read_boot_state(root)['default_kernel'] == TK3_OLD


def test_legacy_grub_cfg_on_the_efi_partition_is_found(boot_tree):
    boot_tree.path('/boot/efi/EFI/tencentos/grub.cfg').write(boot_tree.grub_cfg([TK3_OLD]), ensure=True)
    state = boot_loader.read_boot_state(boot_tree.root)
    assert state['style'] == 'legacy' and state['grub_cfg'] == '/boot/efi/EFI/tencentos/grub.cfg'
    assert state['default_kernel'] == TK3_OLD


def test_no_entries_is_style_none(boot_tree):
    boot_tree.grubenv(['saved_entry=whatever'])
    state = boot_loader.read_boot_state(boot_tree.root)
    assert state['style'] == 'none' and state['entries'] == []
    assert state['default_kernel'] is None and state['next_kernel'] is None


# --- plan_boot_change -----------------------------------------------------------------------------

def test_plan_sets_next_and_default_by_bls_id(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls([TK4_OLD, TK4_NEW], grubenv=['kernelopts=' + KERNELOPTS]))
    assert boot_loader.plan_boot_change(state, next_kernel=TK4_NEW, default_kernel=TK4_OLD) == (
        {'next_entry': boot_tree.bls_id(TK4_NEW), 'saved_entry': boot_tree.bls_id(TK4_OLD)}, [], [])


def test_plan_sets_legacy_entries_by_title(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.legacy([TK3_NEW, TK3_OLD], grubenv=[]))
    assert boot_loader.plan_boot_change(state, next_kernel=TK3_NEW, default_kernel=TK3_OLD) == (
        {'next_entry': boot_tree.legacy_title(TK3_NEW), 'saved_entry': boot_tree.legacy_title(TK3_OLD)}, [], [])


def test_plan_changes_nothing_when_already_set(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls(
        [TK4_OLD, TK4_NEW], grubenv=['saved_entry=' + boot_tree.bls_id(TK4_OLD),
                                     'next_entry=' + boot_tree.bls_id(TK4_NEW)]))
    assert boot_loader.plan_boot_change(state, next_kernel=TK4_NEW, default_kernel=TK4_OLD) == ({}, [], [])


def test_plan_changes_only_what_differs(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls(
        [TK4_OLD, TK4_NEW], grubenv=['saved_entry=' + boot_tree.bls_id(TK4_OLD)]))
    assert boot_loader.plan_boot_change(state, next_kernel=TK4_NEW, default_kernel=TK4_OLD) == (
        {'next_entry': boot_tree.bls_id(TK4_NEW)}, [], [])


def test_plan_reports_a_kernel_without_entry_as_missing(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls([TK4_OLD], grubenv=[]))
    values, problems, missing = boot_loader.plan_boot_change(state, next_kernel=TK4_NEW, default_kernel=TK4_OLD)
    assert missing == [TK4_NEW]
    assert problems == []
    assert values == {'saved_entry': boot_tree.bls_id(TK4_OLD)}


def test_plan_without_boot_entries_is_a_problem(boot_tree):
    boot_tree.grubenv([])
    state = boot_loader.read_boot_state(boot_tree.root)
    values, problems, missing = boot_loader.plan_boot_change(state, next_kernel=TK4_NEW)
    assert values == {} and missing == []
    assert problems == ['no boot entries found: neither /boot/loader/entries/*.conf nor a grub.cfg with menu entries']


def test_plan_without_boot_entries_and_nothing_asked_is_fine(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.root)
    assert boot_loader.plan_boot_change(state) == ({}, [], [])


def test_clear_next_unsets_a_pending_one_time_entry(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls(
        [TK4_OLD, TK4_NEW], grubenv=['saved_entry=' + boot_tree.bls_id(TK4_OLD),
                                     'next_entry=' + boot_tree.bls_id(TK4_NEW)]))
    assert boot_loader.plan_boot_change(state, clear_next=True) == ({'next_entry': None}, [], [])


def test_clear_next_without_a_pending_entry_changes_nothing(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls([TK4_OLD], grubenv=['saved_entry=' + boot_tree.bls_id(TK4_OLD)]))
    assert boot_loader.plan_boot_change(state, clear_next=True) == ({}, [], [])


def test_clear_next_is_ignored_when_a_next_kernel_is_given(boot_tree):
    state = boot_loader.read_boot_state(boot_tree.bls(
        [TK4_OLD, TK4_NEW], grubenv=['next_entry=' + boot_tree.bls_id(TK4_OLD)]))
    assert boot_loader.plan_boot_change(state, next_kernel=TK4_NEW, clear_next=True) == (
        {'next_entry': boot_tree.bls_id(TK4_NEW)}, [], [])


@pytest.mark.parametrize('default_kernel, next_kernel, pending', [
    ('5.4.119-19-0009.1', None, False),
    ('5.4.119-19-0009.1', '5.4.119-19-0010.1', True),
    ('5.4.119-19-0010.1', None, True),
    (None, None, False),
])
def test_summary_tells_a_reboot_is_pending_when_a_one_time_boot_is_set_or_the_default_differs(
        default_kernel, next_kernel, pending):
    state = {'style': 'bls', 'default_kernel': default_kernel, 'next_kernel': next_kernel}
    summary = boot_loader.boot_summary(state, '5.4.119-19-0009.1')
    assert summary == {'style': 'bls', 'default': default_kernel, 'next': next_kernel, 'reboot_pending': pending}


def test_bls_saved_entry_given_as_a_title_resolves_as_grub_does(boot_tree):
    root = boot_tree.bls([TK4_NEW, TK4_OLD], ['saved_entry=TencentOS Linux (%s) 3.1 (Final)' % TK4_OLD])
    assert boot_loader.read_boot_state(root)['default_kernel'] == TK4_OLD


def test_bls_turned_off_in_default_grub_means_the_menu_entries_of_grub_cfg(boot_tree):
    boot_tree.bls([TK4_OLD])
    root = boot_tree.legacy([TK4_OLD])
    boot_tree.path('/etc/default/grub').write('GRUB_DEFAULT=saved\nGRUB_ENABLE_BLSCFG=false\n', ensure=True)
    state = boot_loader.read_boot_state(root)
    assert state['style'] == 'legacy' and state['grub_default'] == 'saved'


def test_grub_default_is_read_without_quotes(boot_tree):
    root = boot_tree.bls([TK4_OLD])
    boot_tree.path('/etc/default/grub').write('GRUB_TIMEOUT=5\nGRUB_DEFAULT="0"\n', ensure=True)
    assert boot_loader.read_boot_state(root)['grub_default'] == '0'

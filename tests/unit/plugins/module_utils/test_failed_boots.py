# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of kernels that did not come up: read, a kernel added or replaced, a kernel removed."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.tencentos.fleet.plugins.module_utils import failed_boots

TEXT = '# written by tencentos.fleet\n5.4.119-19-0010.1 2026-12-01T10:00:00Z\n4.14.105-19-0020.1\n'


def test_parse_reads_each_kernel_and_when_and_skips_comments():
    assert failed_boots.parse(TEXT) == {'5.4.119-19-0010.1': '2026-12-01T10:00:00Z', '4.14.105-19-0020.1': 'unknown time'}
    assert failed_boots.parse(None) == {}


def test_a_failure_replaces_the_kernels_line_and_keeps_the_others():
    text = failed_boots.with_failure(TEXT, '5.4.119-19-0010.1', '2026-12-07T08:00:00Z')
    assert text == ('# written by tencentos.fleet\n4.14.105-19-0020.1\n'
                    '5.4.119-19-0010.1 2026-12-07T08:00:00Z\n')
    assert failed_boots.with_failure(None, '6.6.98-40.2.tl4.x86_64', 'now') == '6.6.98-40.2.tl4.x86_64 now\n'


def test_without_removes_only_that_kernel():
    assert failed_boots.without(TEXT, '4.14.105-19-0020.1') == (
        '# written by tencentos.fleet\n5.4.119-19-0010.1 2026-12-01T10:00:00Z\n')
    assert failed_boots.without(TEXT, '9.9.9-1-0001') == TEXT
    assert failed_boots.without('', 'x') == ''

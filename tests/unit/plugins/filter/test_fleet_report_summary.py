# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's figures, which report.yml publishes with set_stats."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.fleet_report_rows import fleet_report_rows
from ansible_collections.tencentos.fleet.plugins.filter.fleet_report_summary import FilterModule, fleet_report_summary

from ansible_collections.tencentos.fleet.tests.unit.plugins.filter.test_fleet_report_rows import (
    TOS24_FACTS, TOS31_FACTS, hostvars)


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert FilterModule().filters() == {'fleet_report_summary': fleet_report_summary}


def test_the_summary_counts_releases_and_lines_and_names_the_hosts_to_look_at():
    pending = dict(TOS24_FACTS, kernel=dict(TOS24_FACTS['kernel'], boot={
        'default': '4.14.105-19-0013', 'next': '4.14.105-19-0020.1', 'reboot_pending': True, 'style': 'legacy'}))
    unsigned = dict(TOS31_FACTS, repos={'enabled': [{'file': '/etc/yum.repos.d/x.repo', 'gpgcheck': False,
                                                     'host': 'mirror.example.com', 'id': 'x'}],
                                        'gpgcheck': False, 'hosts': ['mirror.example.com'], 'managed_file': None})
    rows = fleet_report_rows(['tos24', 'tos31', 'tos31b', 'gone'],
                             hostvars(tos24=(pending, None), tos31=(unsigned, None), tos31b=(TOS31_FACTS, None),
                                      gone=(None, None)))
    assert fleet_report_summary(rows) == {
        'hosts': 4,
        'without_facts': ['gone'],
        'releases': {'TencentOS 2.4': 1, 'TencentOS 3.1': 2},
        'kernel_lines': {'tk3': 1, 'tk4': 2},
        'reboot_pending': ['tos24'],
        'gpg_off': ['tos31'],
    }


def test_an_empty_fleet_sums_to_nothing():
    assert fleet_report_summary([]) == {'hosts': 0, 'without_facts': [], 'releases': {}, 'kernel_lines': {},
                                        'reboot_pending': [], 'gpg_off': []}


@pytest.mark.parametrize('rows', ['tos24', [['tos24']], None])
def test_input_that_is_not_rows_is_refused(rows):
    with pytest.raises(AnsibleFilterError, match='the input must be the rows of fleet_report_rows'):
        fleet_report_summary(rows)

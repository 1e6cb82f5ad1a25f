# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report's HTML page: self-contained, escaped, and true to the report."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import copy
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.audit_html import FilterModule, audit_html

from ansible_collections.tencentos.fleet.tests.unit.plugins.filter.audit_report_fixture import (
    CONCERNS, REPORT, TOS24, check_schema, fleet_of, renamed, report_of)

HOSTILE_HOST = '<script>alert("host")</script>'
HOSTILE_MESSAGE = 'net.core.somaxconn is </script><script>alert(1)</script> & "128"\u2028<!-- not 4096'
VOID_ELEMENTS = ('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr')
# Attributes that would make a browser fetch something.
FETCHING_ATTRIBUTES = ('src', 'href', 'xlink:href', 'srcset', 'action', 'formaction', 'poster', 'data', 'background')


class Page(HTMLParser):
    """What the tests read of a page: every element with its attributes and place, the text inside each element
    with an id, the scripts' and styles' contents."""

    def __init__(self, page):
        super(Page, self).__init__(convert_charrefs=True)
        self.elements = []
        self.open = []
        self.texts = {}
        self.scripts = []
        self.styles = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = {'tag': tag, 'attrs': dict(attrs), 'parents': [parent['tag'] for parent in self.open],
                   'parent_ids': [parent['attrs'].get('id') for parent in self.open]}
        self.elements.append(element)
        if tag not in VOID_ELEMENTS:
            self.open.append(element)
            if tag == 'script':
                self.scripts.append(element)
                element['content'] = ''

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.open.pop()

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()['tag'] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            if 'id' in element['attrs']:
                self.texts[element['attrs']['id']] = self.texts.get(element['attrs']['id'], '') + data
        if self.open and self.open[-1]['tag'] == 'script':
            self.open[-1]['content'] += data
        if self.open and self.open[-1]['tag'] == 'style':
            self.styles.append(data)

    def find(self, tag=None, **attrs):
        return [element for element in self.elements if (tag is None or element['tag'] == tag)
                and all(element['attrs'].get(name.replace('_', '-')) == value for name, value in attrs.items())]

    def text(self, element_id):
        return ' '.join(self.texts.get(element_id, '').split())

    def host_rows(self):
        return [element for element in self.find('tr') if element['parents'][-2:] == ['table', 'tbody']
                and 'fleet' in element['parent_ids']]

    def embedded_report(self):
        data = [script for script in self.scripts if script['attrs'].get('id') == 'audit-data']
        assert len(data) == 1 and data[0]['attrs'].get('type') == 'application/json'
        return json.loads(data[0]['content'])


def hostile_report():
    hostile = renamed(TOS24, HOSTILE_HOST)
    hostile['concerns']['sysctl']['findings'][0]['message'] = HOSTILE_MESSAGE
    hostile['concerns']['repos']['summary'] = '<b>2</b> differences & more'
    hostile['release'] = 'TencentOS <i>Server</i> 2.4'
    return report_of([copy.deepcopy(REPORT['hosts'][0]), hostile])


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert FilterModule().filters() == {'audit_html': audit_html}


def test_the_reports_of_these_tests_follow_the_schema():
    for report in (REPORT, hostile_report(), fleet_of(500)):
        check_schema(report)
    assert report_of(REPORT['hosts'])['summary'] == REPORT['summary']


def test_the_page_fetches_nothing_and_its_policy_allows_only_its_own_style_and_script():
    text = audit_html(REPORT)
    page = Page(text)
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert page.find('link') == []
    fetching = [(element['tag'], name, value) for element in page.elements
                for name, value in element['attrs'].items() if name in FETCHING_ATTRIBUTES]
    assert fetching == []
    assert not re.search(r'url\s*\(|@import', ''.join(page.styles))
    assert not re.search(r'https?:|file:|fetch\(|XMLHttpRequest', ''.join(page.styles) + page.scripts[-1]['content'])
    policy = page.find('meta', http_equiv='Content-Security-Policy')[0]['attrs']['content']
    assert "default-src 'none'" in policy

    def digest(source):
        return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode('utf-8')).digest()).decode('ascii')
    # A script or style the policy does not name would not run: the page's own must match their hashes.
    code = [script for script in page.scripts if 'type' not in script['attrs']]
    assert len(code) == 1 and 'script-src %s;' % digest(code[0]['content']) in policy
    assert len(page.styles) == 1 and 'style-src %s;' % digest(page.styles[0]) in policy


def test_the_counts_are_the_summary_s():
    page = Page(audit_html(REPORT))
    assert [page.text('count-%s' % name) for name in ('hosts', 'ok', 'drift', 'error', 'unreachable')] == \
        ['4', '1', '1', '1', '1']
    assert page.text('drift-per-concern') == \
        'Hosts with drift per concern: repos 1, kernel 0, sysctl 1, hotpatch 0, stats_isolation 0.'
    assert page.text('collection-version') == '1.0.0'
    assert page.find('time', datetime='2026-12-08T03:30:00Z')


def test_the_table_has_one_row_per_host_with_its_status_and_a_badge_per_concern():
    page = Page(audit_html(REPORT))
    rows = page.host_rows()
    assert [(row['attrs']['data-host'], row['attrs']['data-status'], row['attrs']['data-drift']) for row in rows] == [
        ('tos31', 'ok', ''), ('tos24', 'drift', 'repos sysctl'), ('oc9', 'error', ''), ('tos32', 'unreachable', '')]
    cells = [element['attrs'] for element in page.find('td') if 'data-concern' in element['attrs']]
    assert len(cells) == 4 * len(CONCERNS)
    assert [(cell['data-concern'], cell['data-status'], cell['data-findings']) for cell in cells[5:10]] == [
        ('repos', 'drift', '2'), ('kernel', 'ok', '0'), ('sysctl', 'drift', '3'), ('hotpatch', 'ok', '0'),
        ('stats_isolation', 'ok', '0')]
    # The badge says the status in words (and the number of findings), not in colour alone.
    badges = re.findall(r'<span class="badge drift"[^>]*>([^<]*)</span>', audit_html(REPORT))
    assert badges == ['drift', 'drift 2', 'drift 3']
    assert [element['attrs']['data-sort'] for element in page.find('td') if 'data-status' in element['attrs']
            and 'data-concern' not in element['attrs']] == ['3', '0', '1', '2']


def test_the_controls_are_there_for_the_script_and_hidden_without_it():
    page = Page(audit_html(REPORT))
    assert 'hidden' in page.find('div', id='controls')[0]['attrs']  # the script shows them
    assert page.find('input', id='filter', type='search')
    assert [option['attrs']['value'] for option in page.elements if 'status-filter' in option['parent_ids']] == \
        ['all', 'drift', 'error', 'unreachable', 'ok']
    assert [option['attrs']['value'] for option in page.elements if 'concern-filter' in option['parent_ids']] == \
        ['any'] + CONCERNS
    assert page.text('shown') == '4 of 4 hosts shown'
    assert 'audit.yml' in page.text('fleet')  # the caption
    assert 'hidden' in page.find('aside', id='detail')[0]['attrs']


def test_the_script_keeps_the_filter_in_the_url_fragment():
    # What it does with the fragment is tested in a browser (tests/browser/test_audit_page.py), which skips where
    # Chromium is missing; this says the script still reads it, follows it and writes it back.
    script = [script for script in Page(audit_html(REPORT)).scripts if 'type' not in script['attrs']][0]['content']
    assert "new URLSearchParams(location.hash.replace(/^#/, ''))" in script
    assert "addEventListener('hashchange', readFragment)" in script
    assert 'history.replaceState(' in script


def test_the_page_embeds_the_report_once_as_json():
    page = Page(audit_html(REPORT))
    assert page.embedded_report() == REPORT


def test_report_text_cannot_add_markup_or_script():
    report = hostile_report()
    text = audit_html(report)
    page = Page(text)
    assert 'alert' not in ''.join(script['content'] for script in page.scripts if 'type' not in script['attrs'])
    assert len(page.scripts) == 2 and len(re.findall('</script', text, re.IGNORECASE)) == 2
    assert page.find('b') == [] and page.find('i') == []
    assert [row['attrs']['data-host'] for row in page.host_rows()] == ['tos31', HOSTILE_HOST]
    assert page.find('button', **{'class': 'host'})[1] and HOSTILE_HOST in page.texts['fleet']
    assert '&lt;script&gt;alert(&quot;host&quot;)&lt;/script&gt;' in text
    embedded = [script for script in page.scripts if script['attrs'].get('id') == 'audit-data'][0]['content']
    assert not re.search('[<>&\u2028\u2029]', embedded)
    assert page.embedded_report() == report


def test_the_charts_are_svg_with_titles_and_numbers():
    page = Page(audit_html(REPORT))
    for chart_id, title in (('chart-kernel', 'Hosts by kernel line and release'), ('chart-concern', 'Drift by concern')):
        svg = page.find('svg', id=chart_id)
        assert svg and svg[0]['attrs']['role'] == 'img'
        assert page.text(chart_id + '-title') == title
    kernel = page.text('chart-kernel')
    for label in ('tk3', 'tk4', 'oc9', 'TencentOS Server 2.4', 'OpenCloudOS 9.2'):
        assert label + ': 1' in kernel
    concern = page.text('chart-concern')
    for name, drift, error in (('repos', 1, 0), ('kernel', 0, 1), ('sysctl', 1, 0), ('hotpatch', 0, 0)):
        assert '%s: drift %d, error %d' % (name, drift, error) in concern
    bars = [element['attrs'] for element in page.find('rect') if 'chart-concern' in element['parent_ids']]
    assert [rect['width'] for rect in bars[:4]] == ['70.0', '0.0', '0.0', '70.0']  # of 280 for 4 hosts


def test_500_hosts_make_a_page_under_2_5_mb():
    # 2.5 MB is about 5 KB a host: its table row (about 1.2 KB with five concern badges and their summaries) and its
    # share of the embedded JSON (about 1.4 KB for a host with five findings), with room for longer texts. A page
    # that writes a host's findings twice (in the table and in the JSON) or per concern cell would pass it.
    report = fleet_of(500)
    text = audit_html(report)
    assert len(text.encode('utf-8')) < 2500000
    assert len(Page(text).host_rows()) == 500
    assert Page(text).text('count-drift') == str(report['summary']['by_status']['drift'])


@pytest.mark.parametrize('report', [None, 'report', [], {'schema': 'tencentos.fleet.audit', 'schema_version': '2.0'},
                                    dict(REPORT, hosts=[{'host': 'tos31'}])])
def test_what_is_not_an_audit_report_is_refused(report):
    with pytest.raises(AnsibleFilterError, match='the input must be the report of playbooks/audit.yml'):
        audit_html(report)

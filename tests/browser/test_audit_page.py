# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report's HTML page (the audit_html filter) in a browser: headless Chromium opens it from disk, runs its
script, and dumps the DOM it ends with, which these tests read with html.parser.

There is no DevTools client here: the page's filter is driven through the URL fragment, which the page reads when it
opens (``#status=drift&concern=sysctl&q=tos3&host=tos24``). Every Chromium run has a profile of its own in the
test's tmp_path. Where Chromium is missing the tests skip, and fail under CI (molecule/resources/scripts/
prepare-machine.sh installs it there). The screenshot of a 12-host fleet's page is kept as
$TENCENTOS_FLEET_WORKDIR/artifacts/audit-page.png for people to look at.

Run from the checkout: PYTHONPATH=.ansible/collections .venv/bin/python -m pytest -q tests/browser
"""

import json
import os
import shutil
import struct
import subprocess
import tempfile
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from ansible_collections.tencentos.fleet.plugins.filter.audit_html import audit_html
from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_html import csp_hash

from ansible_collections.tencentos.fleet.tests.unit.plugins.filter.audit_report_fixture import (
    CONCERNS, OC9, REPORT, TOS24, TOS31, TOS32, check_schema, concern, finding, fleet_of, renamed, report_of)

WORKDIR = os.environ.get('TENCENTOS_FLEET_WORKDIR') or '/var/tmp/tencentos-fleet'
SCREENSHOT = os.path.join(WORKDIR, 'artifacts', 'audit-page.png')
WINDOW = (1400, 1000)
# A run takes about 2 s here; the 500-host page's a few more. The limit is for a Chromium that hangs.
TIMEOUT = 120
# Chromium's sandbox refuses to start as root, and these tests run as root (in CI's container too), hence
# --no-sandbox: the page is the test's own file, and its Content-Security-Policy lets it load nothing.
# --disable-dev-shm-usage: a container's /dev/shm is small. --virtual-time-budget lets the page's script finish
# before the DOM is dumped or the screenshot taken.
CHROMIUM_OPTIONS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
                    '--virtual-time-budget=5000')
VOID_ELEMENTS = ('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr')

HOSTILE_HOST = '<script>alert(1)</script>'
HOSTILE_MESSAGE = '"><img src=x onerror=alert(2)> net.core.somaxconn is 128, not 4096'


class Element:
    """An element of the dumped DOM: its tag, attributes and children (elements and text)."""

    def __init__(self, tag, attrs):
        self.tag = tag
        self.attrs = dict(attrs)
        self.children = []

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find(self, tag=None, **attrs):
        return [element for element in self.iter() if (tag is None or element.tag == tag)
                and all(element.attrs.get(name.replace('_', '-')) == value for name, value in attrs.items())]

    def by_id(self, element_id):
        found = self.find(id=element_id)
        assert len(found) == 1, 'the page has %d elements with the id %s' % (len(found), element_id)
        return found[0]

    def text(self):
        """The text inside, its white space collapsed, as a person reads it."""
        return ' '.join(''.join(child.text() if isinstance(child, Element) else child
                                for child in self.children).split())

    @property
    def hidden(self):
        return 'hidden' in self.attrs


class Dom(HTMLParser):
    """The tree of a page Chromium serialized (so every element that is not void is closed)."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.root = Element('#document', {})
        self.open = [self.root]
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.open[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.open[-1].children.append(Element(tag, attrs))

    def handle_endtag(self, tag):
        if tag in [element.tag for element in self.open[1:]]:
            while self.open.pop().tag != tag:
                pass

    def handle_data(self, data):
        self.open[-1].children.append(data)


def chromium_binary():
    binary = shutil.which('chromium') or shutil.which('chromium-browser')
    if binary is None:
        reason = 'chromium is not installed (Debian: apt-get install chromium)'
        if os.environ.get('CI', '').strip().lower() not in ('', '0', 'false', 'no'):
            pytest.fail('%s; CI is set, and CI must run the browser tests' % reason)
        pytest.skip(reason)
    return binary


def chromium(tmp_path, url, *options):
    """Run headless Chromium on ``url`` with a profile of its own; its standard output."""
    profile = tempfile.mkdtemp(prefix='chromium-profile-', dir=str(tmp_path))
    command = [chromium_binary()] + list(CHROMIUM_OPTIONS) + ['--user-data-dir=%s' % profile] + list(options) + [url]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, '%s exited with %d: %s' % (' '.join(command), done.returncode,
                                                            done.stderr.decode('utf-8', 'replace')[-2000:])
    return done.stdout.decode('utf-8')


def page_file(tmp_path, report, name='audit.html'):
    path = tmp_path / name
    path.write_text(audit_html(report), encoding='utf-8')
    return path


def opened(tmp_path, report, **fragment):
    """The DOM of ``report``'s page after its script ran, opened with ``fragment`` as its URL fragment."""
    url = page_file(tmp_path, report).as_uri() + ('#' + urlencode(fragment) if fragment else '')
    return Dom(chromium(tmp_path, url, '--dump-dom')).root


def rows(dom):
    return dom.by_id('fleet').find('tbody')[0].find('tr')


def shown_hosts(dom):
    return [row.attrs['data-host'] for row in rows(dom) if not row.hidden]


def fleet_host(name, release, kernel, line, status='ok', **concerns):
    """A host of the simulated fleet (molecule/resources/fleet.yml: its os-release PRETTY_NAME, uname -r and
    kernel line), as desired but in ``concerns``."""
    host = {'host': name, 'status': status, 'release': release, 'kernel': kernel, 'kernel_line': line,
            'concerns': {'repos': concern('ok', '1 repository as desired'),
                         'kernel': concern('ok', 'runs %s, the desired kernel, and boots it next' % kernel),
                         'sysctl': concern('ok', '12 settings as desired, live and in /etc/sysctl.d/90-tencentos-fleet.conf'),
                         'hotpatch': concern('not_applicable', 'no hot patch desired and none loaded'),
                         'stats_isolation': concern('not_applicable', 'the %s kernel has no stats isolation' % line)}}
    host['concerns'].update(concerns)
    return host


SWAPPINESS = concern('drift', '1 of 12 settings differs',
                     finding('live_value', 'vm.swappiness', '10', '60', 'vm.swappiness is 60, not 10'))
TLINUX_MIRROR = concern('drift', '1 difference in 1 repository',
                        finding('repo_baseurl', 'tlinux', 'http://10.0.2.2:18080/tlinux/2.2/$basearch/os/',
                                'http://mirrors.tencent.com/tlinux/2.2/$basearch/os/',
                                'tlinux takes packages from mirrors.tencent.com instead of the fleet mirror'))
NO_HOTPATCH = concern('drift', '1 hot patch desired, none loaded',
                      finding('loaded', 'kpatch_cve_2026_1234', 'loaded', 'not loaded',
                              'kpatch_cve_2026_1234 is not loaded: the kernel runs without the fix'))


def twelve_hosts():
    """A report that looks like a real fleet's: 12 hosts of the simulated fleet's releases, 4 drifting in one or two
    of three concerns, one errored, one unreachable."""
    return report_of([
        renamed(TOS24, 'tos24'),
        fleet_host('tos24-2', 'TencentOS Server 2.4', '4.14.105-19-0020.1', 'tk3'),
        renamed(TOS31, 'tos31'),
        fleet_host('tos31-2', 'TencentOS Server 3.1 (Final)', '5.4.119-19-0009.1', 'tk4', 'drift', sysctl=SWAPPINESS),
        renamed(TOS31, 'tos31-3'),
        fleet_host('tos4', 'TencentOS Server 4.4', '6.6.98-40.2.tl4.x86_64', 'tl4', 'drift', hotpatch=NO_HOTPATCH),
        renamed(OC9, 'oc9'),
        fleet_host('oc9-2', 'OpenCloudOS 9.0', '6.6.114-43.oc9.x86_64', 'oc9'),
        fleet_host('oc8', 'OpenCloudOS 8.6', '5.4.241-30.0017.19', 'oc8'),
        fleet_host('tlinux22', 'Tencent tlinux 2.2 (Final)', '4.14.105-1-tlinux3-0013', 'tkernel3', 'drift',
                   repos=TLINUX_MIRROR),
        fleet_host('centos7', 'CentOS Linux 7 (Core)', '3.10.0-1160.el7.x86_64', 'stock'),
        renamed(TOS32, 'tos32'),
    ])


def hosts_where(report, test):
    return [host['host'] for host in report['hosts'] if test(host)]


def test_the_twelve_host_fleet_follows_the_schema():
    check_schema(twelve_hosts())


def test_the_page_renders_with_its_counts_table_and_charts(tmp_path):
    dom = opened(tmp_path, REPORT)
    report = json.loads(dom.by_id('audit-data').text())
    assert report == REPORT
    summary = report['summary']
    assert [row.attrs['data-host'] for row in rows(dom)] == [host['host'] for host in REPORT['hosts']]
    # The script ran: it shows the controls, which the page hides for a browser without JavaScript.
    assert not dom.by_id('controls').hidden
    assert dom.by_id('shown').text() == '4 of 4 hosts shown'
    assert shown_hosts(dom) == ['tos31', 'tos24', 'oc9', 'tos32']
    assert dom.by_id('detail').hidden
    assert dom.by_id('count-hosts').text() == str(summary['hosts'])
    for status in ('ok', 'drift', 'error', 'unreachable'):
        assert dom.by_id('count-%s' % status).text() == str(summary['by_status'][status])
    kernel_chart, concern_chart = dom.by_id('chart-kernel'), dom.by_id('chart-concern')
    assert kernel_chart.tag == concern_chart.tag == 'svg'
    for counts in (summary['by_kernel_line'], summary['by_release']):
        for label, hosts in counts.items():
            assert '%s: %d' % (label, hosts) in kernel_chart.text()
    for name in CONCERNS:
        counts = summary['by_concern'][name]
        assert '%s: drift %d, error %d' % (name, counts['drift'], counts['error']) in concern_chart.text()


def test_the_status_in_the_fragment_leaves_the_drifting_hosts(tmp_path):
    report = twelve_hosts()
    dom = opened(tmp_path, report, status='drift')
    drifting = hosts_where(report, lambda host: host['status'] == 'drift')
    assert drifting == ['tos24', 'tos31-2', 'tos4', 'tlinux22']
    assert shown_hosts(dom) == drifting
    assert dom.by_id('shown').text() == '4 of 12 hosts shown'


def test_the_text_in_the_fragment_leaves_the_host_it_names(tmp_path):
    dom = opened(tmp_path, twelve_hosts(), q='linux2')
    assert shown_hosts(dom) == ['tlinux22']
    assert dom.by_id('shown').text() == '1 of 12 hosts shown'


def test_the_concern_in_the_fragment_leaves_the_hosts_it_drifted_on(tmp_path):
    report = twelve_hosts()
    dom = opened(tmp_path, report, concern='sysctl')
    assert shown_hosts(dom) == hosts_where(report, lambda host: host['concerns']['sysctl']['status'] == 'drift') == \
        ['tos24', 'tos31-2']
    assert dom.by_id('shown').text() == '2 of 12 hosts shown'


def test_the_parts_of_the_fragment_narrow_together(tmp_path):
    dom = opened(tmp_path, twelve_hosts(), status='drift', concern='sysctl', q='tos3')
    assert shown_hosts(dom) == ['tos31-2']


def test_unknown_values_in_the_fragment_are_ignored(tmp_path):
    dom = opened(tmp_path, twelve_hosts(), status='broken', concern='firewall', host='tos99', colour='red')
    assert len(shown_hosts(dom)) == 12
    assert dom.by_id('shown').text() == '12 of 12 hosts shown'
    assert dom.by_id('detail').hidden


def test_the_host_in_the_fragment_opens_its_findings(tmp_path):
    dom = opened(tmp_path, twelve_hosts(), host='tos24')
    detail = dom.by_id('detail')
    assert not detail.hidden
    assert dom.by_id('detail-title').text() == 'tos24 (drift)'
    assert [row.attrs['data-host'] for row in rows(dom) if 'selected' in row.attrs.get('class', '')] == ['tos24']
    messages = [finding['message'] for name in CONCERNS for finding in TOS24['concerns'][name]['findings']]
    assert len(messages) == 5
    for message in messages:
        assert message in detail.text()
    assert [section.attrs['data-concern'] for section in detail.find('section')] == CONCERNS


def test_the_page_writes_the_fragment_as_the_controls_change(tmp_path):
    # Without a DevTools client, a second script (allowed by the page's policy like the page's own) does what a
    # person would: chooses a status, types in the filter, selects a host; it writes down the fragment after each
    # step, then changes the fragment as a shared link would and writes down what the page shows.
    driver = """
(function () {
  var steps = [];
  var status = document.getElementById('status-filter');
  status.value = 'drift';
  status.dispatchEvent(new Event('change'));
  steps.push(location.hash);
  var box = document.getElementById('filter');
  box.value = 'tos 3';
  box.dispatchEvent(new Event('input'));
  steps.push(location.hash);
  document.querySelector('#fleet tbody tr[data-host="tos31-2"] button').click();
  steps.push(location.hash);
  document.getElementById('detail-close').click();
  steps.push(location.hash);
  window.addEventListener('hashchange', function () {
    steps.push(document.getElementById('shown').textContent);
    var written = document.createElement('pre');
    written.id = 'steps';
    written.textContent = JSON.stringify(steps);
    document.body.appendChild(written);
  });
  location.hash = '#concern=repos';
}());
"""
    page = page_file(tmp_path, twelve_hosts())
    text = page.read_text(encoding='utf-8')
    assert text.count('script-src ') == 1 and text.count('</body>') == 1
    text = text.replace('script-src ', 'script-src %s ' % csp_hash(driver)).replace(
        '</body>', '<script>%s</script>\n</body>' % driver)
    page.write_text(text, encoding='utf-8')
    dom = Dom(chromium(tmp_path, page.as_uri(), '--dump-dom')).root
    assert json.loads(dom.by_id('steps').text()) == [
        '#status=drift', '#status=drift&q=tos+3', '#status=drift&q=tos+3&host=tos31-2', '#status=drift&q=tos+3',
        '2 of 12 hosts shown']
    assert shown_hosts(dom) == ['tos24', 'tlinux22']  # the fragment's concern alone: the status and text went
    assert dom.by_id('detail').hidden


def test_report_text_shows_as_text_and_adds_no_element(tmp_path):
    hostile = renamed(TOS24, HOSTILE_HOST)
    hostile['concerns']['sysctl']['findings'][0]['message'] = HOSTILE_MESSAGE
    hostile['release'] = 'TencentOS Server 2.4 "><img src=x onerror=alert(3)>'
    report = report_of([renamed(TOS31, 'tos31'), hostile])
    dom = opened(tmp_path, report, host=HOSTILE_HOST)
    assert [row.attrs['data-host'] for row in rows(dom)] == ['tos31', HOSTILE_HOST]
    assert rows(dom)[1].find('button')[0].text() == HOSTILE_HOST
    assert HOSTILE_MESSAGE in dom.by_id('detail-body').text()
    assert dom.by_id('detail-title').text() == '%s (drift)' % HOSTILE_HOST
    assert dom.find('img') == []
    assert [script.attrs.get('id') for script in dom.find('script')] == ['audit-data', None]
    assert not any(name.startswith('on') for element in dom.iter() for name in element.attrs)


def test_500_hosts_filter_by_status(tmp_path):
    report = fleet_of(500)
    dom = opened(tmp_path, report, status='drift')
    drifting = hosts_where(report, lambda host: host['status'] == 'drift')
    assert len(rows(dom)) == 500
    assert shown_hosts(dom) == drifting
    assert dom.by_id('shown').text() == '%d of 500 hosts shown' % len(drifting)


def png_size(path):
    """The width and height in a PNG file's IHDR chunk."""
    with open(path, 'rb') as png:
        head = png.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n' and head[12:16] == b'IHDR', '%s is not a PNG file' % path
    return struct.unpack('>II', head[16:24])


def test_a_screenshot_of_a_fleet_s_page_is_kept(tmp_path):
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    if os.path.exists(SCREENSHOT):
        os.remove(SCREENSHOT)
    window = '--window-size=%d,%d' % WINDOW
    chromium(tmp_path, page_file(tmp_path, twelve_hosts()).as_uri(), '--screenshot=%s' % SCREENSHOT, window)
    empty = tmp_path / 'empty.html'
    empty.write_text('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>empty</title></head>'
                     '<body></body></html>\n', encoding='utf-8')
    blank = str(tmp_path / 'empty.png')
    chromium(tmp_path, empty.as_uri(), '--screenshot=%s' % blank, window)
    assert png_size(SCREENSHOT) == png_size(blank) == WINDOW
    # Not blank, without decoding it: PNG compresses an empty white window to a few kB (6 kB here), the page's text,
    # badges and bars to about 180 kB. A page that drew nothing, or only its background, would be near the first.
    assert os.path.getsize(SCREENSHOT) > 5 * os.path.getsize(blank)

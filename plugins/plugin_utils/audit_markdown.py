# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report (docs/audit-report.schema.json) as Markdown, short enough for a ticket or a chat message.

A title, when the report was written, a one-line verdict, a table of the concerns by status, and a table of
the hosts that drift or errored, cut at ``max_hosts`` rows. Plain values in, text out; controller side only.
"""

from __future__ import annotations

TITLE = 'TencentOS fleet audit'
CONCERN_STATUSES = ('ok', 'drift', 'error', 'not_applicable', 'not_checked')
# The hosts of the hosts table, worst first.
LISTED_STATUSES = ('drift', 'error')


def cell(value):
    """``value`` as the text of one table cell: a ``|`` escaped, line breaks as <br>, None as a dash."""
    if value is None:
        return '-'
    text = str(value).replace('\r\n', '\n').replace('\r', '\n')
    return text.replace('|', '\\|').replace('\n', '<br>')


def row(values):
    return '| %s |' % ' | '.join(cell(value) for value in values)


def hosts_phrase(count):
    return '%d host%s' % (count, '' if count == 1 else 's')


def verdict(summary):
    """One line: how many hosts drift, and how many could not be checked."""
    hosts = summary['hosts']
    by_status = summary['by_status']
    if by_status['drift']:
        line = '%d of %s %s from the desired state' % (
            by_status['drift'], hosts_phrase(hosts), 'drifts' if by_status['drift'] == 1 else 'drift')
    else:
        line = 'No drift on %s' % hosts_phrase(hosts)
    unchecked = ['%d with errors' % by_status['error']] if by_status['error'] else []
    unchecked += ['%d unreachable' % by_status['unreachable']] if by_status['unreachable'] else []
    return '**%s**%s.' % (line, ' (%s)' % ', '.join(unchecked) if unchecked else '')


def concern_table(report):
    lines = [row(['Concern', 'ok', 'drift', 'error', 'not applicable', 'not checked']),
             '| --- | ---: | ---: | ---: | ---: | ---: |']
    by_concern = report['summary']['by_concern']
    for concern in report['concerns']:
        counts = by_concern.get(concern, {})
        lines.append(row([concern] + [counts.get(status, 0) for status in CONCERN_STATUSES]))
    return lines


def host_line(report, host):
    """Host, status, its concerns of that status (with their number of findings) and the first thing to read."""
    concerns = [(name, host['concerns'][name]) for name in report['concerns']
                if name in host['concerns'] and host['concerns'][name]['status'] == host['status']]
    named = ', '.join('%s (%d)' % (name, len(concern['findings'])) if concern['findings'] else name
                      for name, concern in concerns)
    first = next((concern['findings'][0]['message'] for name, concern in concerns if concern['findings']), None)
    if first is None and concerns:
        first = concerns[0][1]['summary']
    return row([host['host'], host['status'], named, first])


def host_table(report, max_hosts):
    listed = sorted((host for host in report['hosts'] if host['status'] in LISTED_STATUSES),
                    key=lambda host: (LISTED_STATUSES.index(host['status']), str(host['host'])))
    if not listed:
        return []
    lines = ['', row(['Host', 'Status', 'Concerns', 'First finding']), '| --- | --- | --- | --- |']
    lines += [host_line(report, host) for host in listed[:max_hosts]]
    if len(listed) > max_hosts:
        lines += ['', '\u2026 and %d more %s (see the HTML page or the JSON)' % (
            len(listed) - max_hosts, 'host' if len(listed) - max_hosts == 1 else 'hosts')]
    return lines


def render(report, max_hosts=50):
    """The Markdown text of ``report``, listing at most ``max_hosts`` hosts that drift or errored."""
    lines = ['# %s' % TITLE, '',
             'Generated %s by tencentos.fleet %s.' % (report['generated'], report['collection_version']), '',
             verdict(report['summary']), '']
    lines += concern_table(report)
    lines += host_table(report, max_hosts)
    return '\n'.join(lines) + '\n'

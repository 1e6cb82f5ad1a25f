# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report (docs/audit-report.schema.json) as one self-contained HTML5 page.

Nothing is loaded from anywhere: the style, the script and the two bar charts (hand-written SVG) are in the
page, and its Content-Security-Policy allows only that style and that script (by their SHA-256), so the page
opens from disk or as a downloaded AWX artifact and cannot fetch anything. The fleet table is written here, in
Python, and reads without JavaScript; the script only filters it (toggling ``hidden`` on rows), sorts it
(moving the rows) and shows a host's findings, which it takes from the report embedded once in the page as
``<script type="application/json" id="audit-data">``. The filter and the host shown are kept in the URL fragment
(``#status=drift&concern=sysctl&q=tos3&host=tos24``), read when the page opens and written as they change, so that
a link shares them; tests/browser opens the page so in headless Chromium.

Every text from the report is escaped (``html.escape``) where it goes into the HTML; in the embedded JSON, ``<``,
``>``, ``&``, U+2028 and U+2029 are written as ``\\u`` escapes, so no text can close the script element; the
script puts report text into the page with ``textContent`` only. Controller side only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

TITLE = 'TencentOS fleet audit'
HOST_STATUSES = ('drift', 'error', 'unreachable', 'ok')
CONCERN_STATUSES = ('drift', 'error', 'not_checked', 'not_applicable', 'ok')
# Sort keys: the worst first when sorted ascending (drift > error > unreachable > ok).
HOST_SEVERITY = {status: rank for rank, status in enumerate(HOST_STATUSES)}
CONCERN_SEVERITY = {status: rank for rank, status in enumerate(CONCERN_STATUSES)}
BADGE_WORDS = {'not_applicable': 'n/a', 'not_checked': 'not checked'}
MISSING = {'status': 'not_checked', 'summary': 'not in the report', 'findings': []}
JSON_ESCAPES = {ord('<'): '\\u003c', ord('>'): '\\u003e', ord('&'): '\\u0026',
                0x2028: '\\u2028', 0x2029: '\\u2029'}

# The bar charts' geometry, in SVG user units: labels on the left, bars after them, the number after each bar.
CHART_WIDTH = 520
LABEL_WIDTH = 170
BAR_WIDTH = 280
ROW_HEIGHT = 20
HEADING_HEIGHT = 24
LABEL_CHARACTERS = 26

STYLE = """
:root { --ok: #1b7f3b; --drift: #b35900; --error: #c0162b; --unreachable: #5b4a8b; --muted: #5f6368;
        --line: #d0d4d9; --bg-alt: #f5f6f8; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 1rem 1.5rem; color: #1f2328; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
.meta, .note, caption, .none { color: var(--muted); }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; }
.counts .number { display: block; font-size: 1.4rem; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; margin: 1rem 0; }
.charts figure { margin: 0; }
.charts svg { width: 520px; max-width: 100%; height: auto; font-size: 12px; }
svg .heading { font-weight: 600; }
svg .bar { fill: #3b6ea5; } svg .bar.drift { fill: var(--drift); } svg .bar.error { fill: var(--error); }
.controls { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin: 1rem 0 .5rem; }
.controls input { min-width: 18rem; }
table { border-collapse: collapse; }
#fleet { width: 100%; }
#fleet caption { text-align: left; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
#fleet tbody tr { cursor: pointer; }
#fleet tbody tr:hover, #fleet tbody tr.selected { background: var(--bg-alt); }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
button.host { font: inherit; border: 0; background: none; padding: 0; color: #0b57d0; text-decoration: underline;
              cursor: pointer; }
.line { color: var(--muted); }
.badge { display: inline-block; border-radius: 4px; padding: 0 .4rem; font-size: .85rem; white-space: nowrap;
         border: 1px solid currentColor; }
.badge.ok { color: var(--ok); } .badge.drift { color: #fff; background: var(--drift); }
.badge.error { color: #fff; background: var(--error); } .badge.unreachable { color: #fff; background: var(--unreachable); }
.badge.not_applicable, .badge.not_checked { color: var(--muted); border-style: dashed; }
#detail { position: fixed; right: 0; top: 0; bottom: 0; width: min(46rem, 100%); overflow: auto; background: #fff;
          border-left: 2px solid var(--line); box-shadow: -4px 0 12px rgba(0, 0, 0, .12); padding: 1rem 1.25rem; }
#detail h2 { margin-top: 0; }
#detail h3 { margin-bottom: .25rem; }
#detail td { word-break: break-word; }
@media print {
  .controls, #detail, th button::after { display: none; }
  .badge.drift, .badge.error, .badge.unreachable { color: #000; background: none; }
}
"""

SCRIPT = """
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('audit-data').textContent);
  var table = document.getElementById('fleet');
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var byName = {};
  report.hosts.forEach(function (host) { byName[host.host] = host; });
  var BADGE = {not_applicable: 'n/a', not_checked: 'not checked'};

  // What the text box searches, per row: the host's names, release, kernel, summaries and findings.
  var haystacks = rows.map(function (row) {
    var host = byName[row.dataset.host];
    var parts = [host.host, host.release, host.kernel, host.kernel_line];
    Object.keys(host.concerns).forEach(function (name) {
      var concern = host.concerns[name];
      parts.push(concern.summary);
      concern.findings.forEach(function (f) { parts.push(f.check, f.item, f.expected, f.actual, f.message); });
    });
    return parts.filter(function (part) { return part !== null && part !== undefined; }).join('\\n').toLowerCase();
  });
  var drifted = rows.map(function (row) { return (row.dataset.drift || '').split(' '); });

  var box = document.getElementById('filter');
  var statusFilter = document.getElementById('status-filter');
  var concernFilter = document.getElementById('concern-filter');
  var shown = document.getElementById('shown');

  function applyFilter() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var status = statusFilter.value;
    var concern = concernFilter.value;
    var count = 0;
    rows.forEach(function (row, index) {
      var visible = (status === 'all' || row.dataset.status === status) &&
        (concern === 'any' || drifted[index].indexOf(concern) >= 0) &&
        words.every(function (word) { return haystacks[index].indexOf(word) >= 0; });
      if (row.hidden === visible) { row.hidden = !visible; }
      if (visible) { count += 1; }
    });
    shown.textContent = count + ' of ' + rows.length + ' hosts shown';
  }

  // Sorting moves the existing rows; the text and severity keys are the cells' data-sort.
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});
  function sortBy(header) {
    var column = headers.indexOf(header);
    var ascending = header.getAttribute('aria-sort') !== 'ascending';
    var numeric = header.dataset.sortType === 'severity';
    var keyed = rows.map(function (row, index) {
      var key = row.cells[column].dataset.sort;
      return {row: row, index: index, key: numeric ? Number(key) : key};
    });
    keyed.sort(function (a, b) {
      var order = numeric ? a.key - b.key : collator.compare(a.key, b.key);
      return (ascending ? order : -order) || a.index - b.index;
    });
    headers.forEach(function (other) { other.setAttribute('aria-sort', 'none'); });
    header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    table.tBodies[0].appendChild(fragment);
  }
  headers.forEach(function (header) {
    header.querySelector('button').addEventListener('click', function () { sortBy(header); });
  });

  // A host's findings, per concern, built with textContent only.
  var detail = document.getElementById('detail');
  var detailTitle = document.getElementById('detail-title');
  var detailBody = document.getElementById('detail-body');
  var selected = null;
  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text === null ? '\\u2014' : String(text); }
    if (className) { node.className = className; }
    return node;
  }
  function showHost(row) {
    var host = byName[row.dataset.host];
    if (selected) { selected.classList.remove('selected'); }
    selected = row;
    row.classList.add('selected');
    detailTitle.textContent = host.host + ' (' + host.status + ')';
    while (detailBody.firstChild) { detailBody.removeChild(detailBody.firstChild); }
    detailBody.appendChild(element('p', [host.release, host.kernel].filter(Boolean).join(', ') || 'no facts', 'meta'));
    report.concerns.forEach(function (name) {
      var concern = host.concerns[name] || {status: 'not_checked', summary: 'not in the report', findings: []};
      var section = element('section');
      section.dataset.concern = name;
      var heading = element('h3', name + ' ');
      heading.appendChild(element('span', BADGE[concern.status] || concern.status, 'badge ' + concern.status));
      section.appendChild(heading);
      section.appendChild(element('p', concern.summary));
      if (concern.findings.length) {
        var findings = element('table');
        var head = findings.createTHead().insertRow();
        ['check', 'item', 'expected', 'actual', 'message'].forEach(function (column) {
          head.appendChild(element('th', column));
        });
        var body = findings.createTBody();
        concern.findings.forEach(function (finding) {
          var line = body.insertRow();
          ['check', 'item', 'expected', 'actual', 'message'].forEach(function (column) {
            line.appendChild(element('td', finding[column], finding[column] === null ? 'none' : ''));
          });
        });
        section.appendChild(findings);
      }
      detailBody.appendChild(section);
    });
    detail.hidden = false;
    detailTitle.focus();
  }
  function closeDetail() {
    detail.hidden = true;
    if (selected) { selected.classList.remove('selected'); selected.querySelector('button').focus(); }
    selected = null;
  }

  // The state of the controls and the host shown, in the URL fragment, so that a link can share it:
  // #status=drift&concern=sysctl&q=tos3&host=tos24, every part optional. A value the page has no option or host
  // for is ignored: its control keeps its default. The page writes the fragment back as the controls change, with
  // history.replaceState (no history entry per key typed, and no hashchange event).
  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) { return option.value === value; });
  }
  function rowOf(name) {
    return rows.filter(function (row) { return row.dataset.host === name; })[0] || null;
  }
  function readFragment() {
    var state = new URLSearchParams(location.hash.replace(/^#/, ''));
    var status = state.get('status');
    var concern = state.get('concern');
    statusFilter.value = hasOption(statusFilter, status) ? status : 'all';
    concernFilter.value = hasOption(concernFilter, concern) ? concern : 'any';
    box.value = state.get('q') || '';
    applyFilter();
    var row = rowOf(state.get('host'));
    if (row && row !== selected) {
      showHost(row);
    } else if (!row && !detail.hidden) {
      closeDetail();
    }
  }
  function writeFragment() {
    var state = new URLSearchParams();
    if (statusFilter.value !== 'all') { state.set('status', statusFilter.value); }
    if (concernFilter.value !== 'any') { state.set('concern', concernFilter.value); }
    if (box.value) { state.set('q', box.value); }
    if (selected && !detail.hidden) { state.set('host', selected.dataset.host); }
    var fragment = state.toString();
    try {
      history.replaceState(history.state, '', fragment ? '#' + fragment : location.href.split('#')[0]);
    } catch (error) {
      // A browser that refuses it (a sandboxed frame) keeps the page working, without the link.
    }
  }
  function changed() {
    applyFilter();
    writeFragment();
  }
  box.addEventListener('input', changed);
  statusFilter.addEventListener('change', changed);
  concernFilter.addEventListener('change', changed);
  table.tBodies[0].addEventListener('click', function (event) {
    var row = event.target.closest('tr');
    if (row) { showHost(row); writeFragment(); }
  });
  document.getElementById('detail-close').addEventListener('click', function () { closeDetail(); writeFragment(); });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !detail.hidden) { closeDetail(); writeFragment(); }
  });
  window.addEventListener('hashchange', readFragment);

  document.getElementById('controls').hidden = false;
  readFragment();
}());
"""


def text(value):
    """``value`` escaped for HTML text and attribute values; None is empty."""
    return html.escape('' if value is None else str(value), quote=True)


def embedded_json(report):
    """The report as JSON that no text of it can end a script element with."""
    return json.dumps(report, ensure_ascii=False, separators=(',', ':')).translate(JSON_ESCAPES)


def csp_hash(source):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode('utf-8')).digest()).decode('ascii')


def concern_of(host, name):
    return host['concerns'].get(name, MISSING)


def badge(status, count=0, title=None):
    """A status as a coloured badge that says it in words; with the number of findings when there are any."""
    words = BADGE_WORDS.get(status, status) + (' %d' % count if count else '')
    title_attribute = ' title="%s"' % text(title) if title else ''
    return '<span class="badge %s"%s>%s</span>' % (text(status), title_attribute, text(words))


def short_label(label):
    label = str(label)
    return label if len(label) <= LABEL_CHARACTERS else label[:LABEL_CHARACTERS - 1] + '\u2026'


def bar_chart(chart_id, title, description, groups, scale):
    """A horizontal bar chart as inline SVG.

    ``groups`` is a list of ``(heading, bars)`` (no heading line for a heading of None); a bar is a
    ``(label, segments)``, its segments ``(value, css class, word)`` drawn one after the other, relative to
    ``scale`` (the number of hosts), and then said in text: the value alone for one segment without a word,
    else each word with its value.
    """
    parts = []
    y = 0
    for heading, bars in groups:
        if heading is not None:
            y += HEADING_HEIGHT
            parts.append('<text class="heading" x="0" y="%d">%s</text>' % (y - 7, text(heading)))
        if not bars:
            y += ROW_HEIGHT
            parts.append('<text class="none" x="%d" y="%d">none</text>' % (LABEL_WIDTH, y - 6))
        for label, segments in bars:
            y += ROW_HEIGHT
            drawn, words = [], []
            x = LABEL_WIDTH
            for value, css_class, word in segments:
                words.append('%s %d' % (word, value) if word else '%d' % value)
                width = round(BAR_WIDTH * value / scale, 1) if scale else 0
                drawn.append('<rect class="%s" x="%s" y="%d" width="%s" height="%d"/>'
                             % (text(css_class), x, y - 16, width, ROW_HEIGHT - 6))
                x = round(x + width, 1)
            said = ', '.join(words)
            parts.append('<g><title>%s: %s</title><text x="0" y="%d">%s</text>%s<text x="%s" y="%d">%s</text></g>'
                         % (text(label), text(said), y - 6, text(short_label(label)), ''.join(drawn), x + 4, y - 6,
                            text(said)))
    return ('<svg id="%s" role="img" viewBox="0 0 %d %d" aria-labelledby="%s-title %s-desc">'
            '<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>%s</svg>'
            % (chart_id, CHART_WIDTH, y + 4, chart_id, chart_id, chart_id, text(title), chart_id,
               text(description), ''.join(parts)))


def counted(counts):
    """``{name: hosts}`` as bars, the most hosts first."""
    return [(name, [(count, 'bar', None)])
            for name, count in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))]


def listed(bars):
    return ', '.join('%s %d' % (label, segments[0][0]) for label, segments in bars) or 'none'


def charts(report):
    summary = report['summary']
    lines, releases = counted(summary['by_kernel_line']), counted(summary['by_release'])
    kernel_chart = bar_chart(
        'chart-kernel', 'Hosts by kernel line and release',
        'Hosts per kernel line: %s. Hosts per release: %s.' % (listed(lines), listed(releases)),
        [('Kernel line', lines), ('Release', releases)], summary['hosts'])
    by_concern = summary['by_concern']
    concern_counts = [(name, by_concern.get(name, {}).get('drift', 0), by_concern.get(name, {}).get('error', 0))
                      for name in report['concerns']]
    concern_chart = bar_chart(
        'chart-concern', 'Drift by concern',
        'Hosts with drift and with errors per concern: %s.' % (
            '; '.join('%s drift %d, error %d' % counts for counts in concern_counts) or 'none'),
        [('Hosts with drift, with errors', [(name, [(drift, 'bar drift', 'drift'), (error, 'bar error', 'error')])
                                            for name, drift, error in concern_counts])],
        summary['hosts'])
    return ('<section class="charts" aria-label="Charts">\n<figure>%s</figure>\n<figure>%s</figure>\n</section>'
            % (kernel_chart, concern_chart))


def header(report):
    summary = report['summary']
    by_status = summary['by_status']
    counts = [('hosts', summary['hosts'])]
    counts += [(status, by_status[status]) for status in ('ok', 'drift', 'error', 'unreachable')]
    drift_line = ', '.join('%s %d' % (name, summary['by_concern'].get(name, {}).get('drift', 0))
                           for name in report['concerns'])
    generated = text(report['generated'])
    return '\n'.join([
        '<header>',
        '<h1>%s</h1>' % TITLE,
        '<p class="meta">Generated <time id="generated" datetime="%s">%s</time> by tencentos.fleet '
        '<span id="collection-version">%s</span>.</p>' % (generated, generated, text(report['collection_version'])),
        '<ul class="counts">%s</ul>' % ''.join(
            '<li class="%s"><span class="number" id="count-%s">%d</span> %s</li>' % (name, name, count, name)
            for name, count in counts),
        '<p id="drift-per-concern">Hosts with drift per concern: %s.</p>' % text(drift_line or 'no concern checked'),
        '</header>'])


def controls(report):
    status_options = ''.join('<option value="%s">%s</option>' % (value, label) for value, label in (
        ('all', 'all statuses'), ('drift', 'drift'), ('error', 'error'), ('unreachable', 'unreachable'), ('ok', 'ok')))
    concern_options = '<option value="any">any concern</option>' + ''.join(
        '<option value="%s">%s drifted</option>' % (text(name), text(name)) for name in report['concerns'])
    hosts = len(report['hosts'])
    return '\n'.join([
        '<div class="controls" id="controls" hidden>',
        '<label>Filter <input type="search" id="filter" placeholder="host, release, kernel or finding"></label>',
        '<label>Status <select id="status-filter">%s</select></label>' % status_options,
        '<label>Concern <select id="concern-filter">%s</select></label>' % concern_options,
        '<output id="shown" aria-live="polite">%d of %d hosts shown</output>' % (hosts, hosts),
        '</div>'])


def host_row(report, host):
    """One row of the fleet table; each cell's data-sort is what the script sorts by."""
    status = host['status']
    concerns = [(name, concern_of(host, name)) for name in report['concerns']]
    drifted = ' '.join(name for name, concern in concerns if concern['status'] == 'drift')
    kernel = text(host['kernel']) if host['kernel'] else '<span class="none">unknown</span>'
    if host['kernel_line']:
        kernel += ' <span class="line">%s</span>' % text(host['kernel_line'])
    cells = [
        '<td data-sort="%s"><button type="button" class="host" aria-controls="detail">%s</button></td>'
        % (text(host['host']), text(host['host'])),
        '<td data-sort="%s">%s</td>' % (text(host['release']), text(host['release']) or '<span class="none">unknown</span>'),
        '<td data-sort="%s">%s</td>' % (text(host['kernel']), kernel),
        '<td data-sort="%d" data-status="%s">%s</td>'
        % (HOST_SEVERITY.get(status, len(HOST_SEVERITY)), text(status), badge(status)),
    ]
    for name, concern in concerns:
        findings = len(concern['findings'])
        rank = CONCERN_SEVERITY.get(concern['status'], len(CONCERN_SEVERITY))
        cells.append('<td data-concern="%s" data-status="%s" data-findings="%d" data-sort="%d">%s</td>' % (
            text(name), text(concern['status']), findings, rank * 100000 - min(findings, 99999),
            badge(concern['status'], findings, concern['summary'])))
    return '<tr data-host="%s" data-status="%s" data-drift="%s">%s</tr>' % (
        text(host['host']), text(status), text(drifted), ''.join(cells))


def fleet_table(report):
    # data-column names the host's columns, data-concern the concerns' (a concern is named kernel too).
    columns = [('data-column="host"', 'Host', 'text'), ('data-column="release"', 'Release', 'text'),
               ('data-column="kernel"', 'Kernel', 'text'), ('data-column="status"', 'Status', 'severity')]
    columns += [('data-concern="%s"' % text(name), name.replace('_', ' '), 'severity') for name in report['concerns']]
    head = ''.join('<th scope="col" aria-sort="none" %s data-sort-type="%s"><button type="button">%s</button></th>'
                   % (attribute, sort_type, text(label)) for attribute, label, sort_type in columns)
    lines = ['<table id="fleet">',
             '<caption>Generated by tencentos.fleet\'s playbooks/audit.yml: one row per host, one column per concern. '
             'Select a host to see its findings.</caption>',
             '<thead><tr>%s</tr></thead>' % head,
             '<tbody>']
    lines.extend(host_row(report, host) for host in report['hosts'])
    lines.extend(['</tbody>', '</table>'])
    return '\n'.join(lines)


def detail_area():
    return ('<aside id="detail" aria-labelledby="detail-title" hidden>\n'
            '<button type="button" id="detail-close">Close</button>\n'
            '<h2 id="detail-title" tabindex="-1"></h2>\n<div id="detail-body"></div>\n</aside>')


def render(report):
    """The HTML page of ``report``."""
    policy = "default-src 'none'; style-src %s; script-src %s; base-uri 'none'; form-action 'none'" % (
        csp_hash(STYLE), csp_hash(SCRIPT))
    return '\n'.join([
        '<!DOCTYPE html>',
        '<html lang="en">',
        '<head>',
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % text(policy),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="tencentos.fleet %s, playbooks/audit.yml">' % text(report['collection_version']),
        '<title>%s</title>' % TITLE,
        '<style>%s</style>' % STYLE,
        '</head>',
        '<body>',
        header(report),
        '<noscript><p class="note">This page was generated by tencentos.fleet\'s playbooks/audit.yml. Without '
        'JavaScript the table below is complete, but it cannot be filtered or sorted and a host\'s findings are not '
        'shown: the JSON report has them.</p></noscript>',
        charts(report),
        '<main>',
        controls(report),
        fleet_table(report),
        '</main>',
        detail_area(),
        '<script type="application/json" id="audit-data">%s</script>' % embedded_json(report),
        '<script>%s</script>' % SCRIPT,
        '</body>',
        '</html>',
        ''])

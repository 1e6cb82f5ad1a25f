# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml prints and writes the fleet report from both controllers.

ansible-core 2.16's template lookup used to turn the report's rows, rendered as JSON text, into a
list before from_json read them, so 2.16 printed no report; the rows are data from a filter now.
Both controllers run the playbook against the same fleet one after the other, so their reports must
be the same. With --limit (AWX's Limit field), the report covers the hosts of the limit, and only those.
"""

import json
import os

import pytest
import yaml

CONTROLLERS = ('oldest', 'newest')


@pytest.fixture(scope='module')
def reports(tmp_path_factory, ansible_on, fleet_inventory):
    """site.yml from each controller: the run, and the report it wrote as text and JSON."""
    with open(fleet_inventory) as handle:
        hosts = sorted(yaml.safe_load(handle)['all']['children']['tencentos_fleet']['hosts'])
    runs = {}
    for controller in CONTROLLERS:
        work = str(tmp_path_factory.mktemp('site-' + controller))
        run = ansible_on(controller)('ansible-playbook', 'playbooks/site.yml', '-e', 'tencentos_fleet_report_dir=' + work)
        text = json_rows = None
        if os.path.exists(os.path.join(work, 'fleet-report.json')):
            with open(os.path.join(work, 'fleet-report.txt')) as handle:
                text = handle.read()
            with open(os.path.join(work, 'fleet-report.json')) as handle:
                json_rows = json.load(handle)
        runs[controller] = {'run': run, 'text': text, 'rows': json_rows}
    return {'hosts': hosts, 'runs': runs}


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_site_prints_a_report_line_for_every_host(reports, controller):
    run = reports['runs'][controller]['run']
    assert run.returncode == 0, run.stdout
    text = reports['runs'][controller]['text']
    assert text is not None, run.stdout
    lines = text.splitlines()
    assert lines[0] == 'tencentos.fleet report: %d host(s)' % len(reports['hosts'])
    assert sorted(line.split()[0] for line in lines[3:]) == reports['hosts']
    # The debug task prints the same lines as the file holds, each as a JSON string of its list.
    for line in lines:
        assert json.dumps(line) in run.stdout, line


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_site_writes_one_row_of_data_per_host(reports, controller):
    rows = reports['runs'][controller]['rows']
    assert [row['host'] for row in rows] == reports['hosts']
    assert all(row['kernel'] not in (None, '-') and row['release'] for row in rows), rows


def test_both_controllers_report_the_same_fleet(reports):
    assert reports['runs']['oldest']['rows'] == reports['runs']['newest']['rows']
    assert reports['runs']['oldest']['text'] == reports['runs']['newest']['text']


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_site_gives_no_warning(reports, controller, warnings_of):
    assert warnings_of(reports['runs'][controller]['run'].stdout) == []


@pytest.fixture(scope='module')
def limited_reports(tmp_path_factory, ansible_on):
    """site.yml from each controller with --limit tos31,tos24: the run and the rows it wrote."""
    runs = {}
    for controller in CONTROLLERS:
        work = str(tmp_path_factory.mktemp('site-limit-' + controller))
        run = ansible_on(controller)('ansible-playbook', 'playbooks/site.yml', '--limit', 'tos31,tos24',
                                     '-e', 'tencentos_fleet_report_dir=' + work)
        rows = None
        if os.path.exists(os.path.join(work, 'fleet-report.json')):
            with open(os.path.join(work, 'fleet-report.json')) as handle:
                rows = json.load(handle)
        runs[controller] = {'run': run, 'rows': rows}
    return runs


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_with_a_limit_the_report_lists_the_hosts_of_the_limit_with_their_facts(limited_reports, controller):
    run, rows = limited_reports[controller]['run'], limited_reports[controller]['rows']
    assert run.returncode == 0, run.stdout
    assert rows is not None, run.stdout
    assert [row['host'] for row in rows] == ['tos24', 'tos31']
    assert all(row['kernel'] not in (None, '-') and row['release'].startswith('TencentOS') for row in rows), rows
    assert '"tencentos.fleet report: 2 host(s)"' in run.stdout, run.stdout


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_site_publishes_the_report_s_figures_for_awx(reports, controller, published_figures):
    run, rows = reports['runs'][controller]['run'], reports['runs'][controller]['rows']
    figures = published_figures(run.stdout)
    assert figures is not None, run.stdout[-3000:]
    summary = figures['tencentos_fleet_report']
    assert summary['hosts'] == len(reports['hosts']) and summary['without_facts'] == []
    assert sum(summary['releases'].values()) == len(rows)
    assert sum(summary['kernel_lines'].values()) == len(rows)
    assert summary['kernel_lines'] == dict((line, [row['line'] for row in rows].count(line)) for line in summary['kernel_lines'])


@pytest.mark.parametrize('controller', CONTROLLERS)
def test_with_a_limit_the_figures_count_the_hosts_of_the_limit(limited_reports, controller, published_figures):
    figures = published_figures(limited_reports[controller]['run'].stdout)
    assert figures is not None and figures['tencentos_fleet_report']['hosts'] == 2, limited_reports[controller]['run'].stdout

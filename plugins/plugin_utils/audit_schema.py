# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes a value the audit report of docs/audit-report.schema.json, for the filter that writes it and the
three that render it. Controller code."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

SCHEMA = 'tencentos.fleet.audit'
# 1.x: a later version that only adds fields raises the minor number, one that removes or renames a field the major.
SCHEMA_VERSION = '1.0'
NOT_A_REPORT = 'the input must be the report of playbooks/audit.yml (docs/audit-report.schema.json, schema_version 1.x)'


def is_report(value):
    """Whether ``value`` says it is an audit report of a schema version the renderers read (1.x)."""
    if not isinstance(value, Mapping) or value.get('schema') != SCHEMA:
        return False
    return str(value.get('schema_version')).split('.', 1)[0] == SCHEMA_VERSION.split('.', 1)[0]


def rendered(filter_name, render, report, *args):
    """``render(report, *args)``, for the filter ``filter_name``: a value that is no report, or one whose parts are not
    as the schema says, is refused with an error that names the filter."""
    if not is_report(report):
        raise AnsibleFilterError('%s: %s' % (filter_name, NOT_A_REPORT))
    try:
        return render(report, *args)
    except (KeyError, TypeError, AttributeError, ValueError) as problem:
        raise AnsibleFilterError('%s: %s; it does not (%r)' % (filter_name, NOT_A_REPORT, problem)) from problem

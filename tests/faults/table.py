# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the fault suite's table of host counts, one row per case, from the JSON files the cases wrote.

    python3 tests/faults/table.py $TENCENTOS_FLEET_WORKDIR/faults

tools/faults.sh runs it after the suite, whether it passed or not: a case that failed has written its counts
before asserting, and a case that wrote none (it broke before its counts) is named as such. Exit code 1 when a
host was left inconsistent or a case has no counts.
"""

import glob
import json
import os
import sys

COLUMNS = (('CASE', 'case'), ('HOSTS', 'hosts'), ('CHANGED', 'changed'), ('FAILED AND NAMED', 'failed_named'),
           ('INCONSISTENT', 'inconsistent'), ('FAULT', 'fault'))


def main():
    results = sys.argv[1]
    cases = len(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test_*.py')))
    rows = []
    for path in sorted(glob.glob(os.path.join(results, '*.json')), key=os.path.getmtime):
        with open(path) as handle:
            rows.append(json.load(handle))
    cells = [[title for title, _key in COLUMNS]] + [[str(row.get(key, '-')) for _title, key in COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS) - 1)]
    for line in cells[:1] + [['-' * width for width in widths] + ['-----']] + cells[1:]:
        numbers = [cell.rjust(width) if index else cell.ljust(width) for index, (cell, width) in enumerate(zip(line, widths))]
        print('  '.join(numbers + [line[-1]]))
    seeds = sorted(set(str(row.get('seed')) for row in rows))
    left = sum(row.get('inconsistent', 0) for row in rows)
    print('%d of %d cases counted; seed %s; hosts left inconsistent: %d (must be 0)%s' % (
        len(rows), cases, ', '.join(seeds) or '-', left,
        ''.join('\n  %s: %s' % (row['case'], ', '.join(row['inconsistent_hosts'])) for row in rows if row.get('inconsistent'))))
    return 1 if left or len(rows) < cases else 0


if __name__ == '__main__':
    sys.exit(main())

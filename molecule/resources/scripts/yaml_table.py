"""Print fields of a YAML list of flat mappings as tab-separated lines.

    python3 yaml_table.py [--sep SEP] FILE FIELD [FIELD...]

Empty values print as empty fields: shell readers should pass a non-blank --sep (bash's `read`
merges runs of tabs).

Only the subset our data files use is accepted: comments, a top-level `- key: value` list whose
items hold scalars (plain, 'single' or "double" quoted). Anything else is an error, so the files
stay readable by this parser and by yaml.safe_load in the tests alike.
"""
import re
import sys

ITEM = re.compile(r'^(- |  )([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$')


def scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '"\'':
        return text[1:-1]
    return text.split(' #', 1)[0].strip()


def read_items(path):
    items = []
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#') or line == '---':
                continue
            match = ITEM.match(line)
            if not match:
                raise SystemExit('%s:%d: not a flat list item: %r' % (path, number, line))
            if match.group(1) == '- ':
                items.append({})
            elif not items:
                raise SystemExit('%s:%d: key before the first item' % (path, number))
            items[-1][match.group(2)] = scalar(match.group(3) or '')
    return items


def main(argv):
    sep = '\t'
    if len(argv) > 2 and argv[1] == '--sep':
        sep, argv = argv[2], argv[:1] + argv[3:]
    if len(argv) < 3:
        raise SystemExit(__doc__)
    path, fields = argv[1], argv[2:]
    for number, item in enumerate(read_items(path), 1):
        missing = [f for f in fields if f not in item]
        if missing:
            raise SystemExit('%s: item %d lacks %s' % (path, number, ', '.join(missing)))
        print(sep.join(item[f] for f in fields))


if __name__ == '__main__':
    main(sys.argv)

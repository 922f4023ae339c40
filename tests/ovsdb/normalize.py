#!/usr/bin/env python3
"""Normalises ovs-vsctl / ovsdb-client output so that two servers' outputs
compare equal when they hold the same data: UUIDs become <uuid>, the items
of [..] and {..} lists are sorted, and the records (blank-line separated) and
the children of each indented line are sorted (both servers order rows by
their random UUIDs)."""
import re, sys

UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
TS = re.compile(r'"_date":[0-9]+|_version\s+:.*')


def sort_lists(line):
    def fix(m):
        inner = m.group(2)
        if '[' in inner or '{' in inner:
            return m.group(0)
        items = sorted(x.strip() for x in inner.split(',')) if inner.strip() else []
        return m.group(1) + ', '.join(items) + m.group(3)
    return re.sub(r'(\[)([^\[\]{}]*)(\])', fix, re.sub(r'(\{)([^\[\]{}]*)(\})', fix, line))


def tree(lines):
    """Sorts each line's indented children, recursively."""
    out, i = [], 0
    while i < len(lines):
        ind = len(lines[i]) - len(lines[i].lstrip())
        j = i + 1
        while j < len(lines) and len(lines[j]) - len(lines[j].lstrip()) > ind:
            j += 1
        out.append([lines[i]] + tree(lines[i + 1:j]))
        i = j
    out.sort()
    return [l for block in out for l in block]


text = sys.stdin.read()
text = UUID.sub('<uuid>', text)
lines = [sort_lists(l.rstrip()) for l in text.split('\n')]
records, cur = [], []
for l in lines:
    if l.strip() == '':
        if cur:
            records.append(cur)
        cur = []
    else:
        cur.append(l)
if cur:
    records.append(cur)
records = sorted('\n'.join(tree(r)) for r in records)
print('\n\n'.join(records))

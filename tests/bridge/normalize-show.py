#!/usr/bin/env python3
"""Normalizes `ovs-vsctl show` for comparison: drops the root UUID line
and sorts every level's blocks (bridges, ports, interfaces and their
lines), since the tool prints rows in hash order of their UUIDs."""
import sys

def parse(lines, start, indent):
    items = []
    i = start
    while i < len(lines):
        line = lines[i]
        depth = len(line) - len(line.lstrip(" "))
        if depth < indent:
            break
        children, i = parse(lines, i + 1, depth + 1)
        items.append((line, children))
    return items, i

def render(items, out):
    for line, children in sorted(items, key=lambda x: (x[0], str(x[1]))):
        out.append(line)
        render(children, out)

lines = [l.rstrip("\n") for l in sys.stdin if l.strip()]
if lines and not lines[0].startswith(" "):
    lines = lines[1:]
items, _ = parse(lines, 0, 0)
out = []
render(items, out)
print("\n".join(out))

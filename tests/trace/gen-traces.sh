#!/usr/bin/env bash
# Expands a scenario's trace templates: `{a|b|c}` stands for each of a, b, c
# (every combination when a line has several). One trace per output line.
exec python3 - "$1" <<'PY'
import itertools, re, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    parts = re.split(r"\{([^{}]*)\}", line)
    choices = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    for combo in itertools.product(*choices):
        print("".join(combo))
PY

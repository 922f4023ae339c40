#!/usr/bin/env bash
# Differential test, second part (run by run.sh): flows added to a real
# Open vSwitch (dummy datapath, private run directory) with `ovs-ofctl
# [-O V] add-flow` and read back with `dump-flows` must print as
# `svs ofctl dump-flows-format -O V` prints them (durations set to 0s).
#
# Usage: tests/parse-flow-actions/dump.sh SVS_BINARY CORPUS_FILE [STRIDE]
#   STRIDE  takes every STRIDE-th flow of the corpus (default 5)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
svs=$1 corpus=$2 stride=${3:-5}
. "$here/../lib/ovs.sh"
ovs_start parse-flow-dump
ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=dummy

same=0 bad=0 skipped=0
for version in OpenFlow10 OpenFlow13; do
    "$svs" ofctl dump-flows-format -O "$version" < "$corpus" > "$RUN/svs.$version"
    i=0 n=0
    while IFS= read -r flow; do
        i=$((i + 1))
        (( i % stride == 0 )) || continue
        expected=$(sed -n "${i}p" "$RUN/svs.$version")
        [[ $expected == error:* ]] && continue
        ovs-ofctl -O "$version" del-flows br0
        if ! ovs-ofctl -O "$version" add-flow br0 "$flow" 2>/dev/null; then
            # Refused by the switch (unknown group or meter, ...): not a syntax matter.
            skipped=$((skipped + 1))
            continue
        fi
        n=$((n + 1))
        got=$(ovs-ofctl -O "$version" dump-flows br0 | sed -n '2,$p' | sed -E 's/duration=[0-9.]+s/duration=0s/; s/idle_age=[0-9]+/idle_age=0/')
        if [[ $got == "$expected" ]]; then
            same=$((same + 1))
        else
            bad=$((bad + 1))
            if (( bad <= ${SHOW:-20} )); then
                printf 'DUMP DIFFERS (-O %s): %s\n  ovs: %s\n  svs: %s\n' "$version" "$flow" "$got" "$expected"
            fi
        fi
    done < "$corpus"
done
if (( bad > 0 )); then
    echo "parse-flow-actions dump-flows: $bad of $((same + bad)) differ ($skipped refused by the switch)"
    exit 1
fi
echo "parse-flow-actions dump-flows: $same identical ($skipped refused by the switch)"

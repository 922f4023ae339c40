#!/usr/bin/env bash
# Differential test: svs's OpenFlow flow syntax (match, flow-mod keywords,
# actions and instructions) against `ovs-ofctl parse-flow`, in the default
# protocol set (OpenFlow 1.0 + NXM) and with `-O OpenFlow13` (VERSIONS="..."
# picks others: OpenFlow11, 12, 14 and 15 agree as well).
#
# Usage: tests/parse-flow-actions/run.sh [SVS_BINARY]
#   SVS_BINARY  defaults to $SVS, then .build/debug/svs
#
# For each flow of the corpus (gen_corpus.py) and each version, the output of
# `ovs-ofctl [-O V] parse-flow FLOW` (stdout, plus the `ovs-ofctl: ERROR`
# line from stderr) must equal `svs ofctl parse-flow --batch -O V` byte for
# byte. Flows that ovs-ofctl cannot decode after encoding them itself are
# skipped. Then dump.sh adds a sample of the flows to a real ovs-vswitchd and
# compares its dump-flows with svs's. Exits 1 on differences, showing the
# first 20.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
svs=${1:-${SVS:-.build/debug/svs}}

if [[ ! -x $svs ]]; then
    echo "parse-flow-actions: svs binary '$svs' not found (build it, or pass its path)" >&2
    exit 2
fi
command -v ovs-ofctl >/dev/null || { echo "parse-flow-actions: ovs-ofctl not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_corpus.py" > "$work/corpus"
n=$(wc -l < "$work/corpus")

same=0 skipped=0 bad=0
versions=(${VERSIONS:-OpenFlow10 OpenFlow13})
for version in "${versions[@]}"; do
    "$svs" ofctl parse-flow --batch -O "$version" < "$work/corpus" > "$work/svs.$version"
    # Split svs's output into one file per flow.
    mkdir -p "$work/s.$version"
    awk -v dir="$work/s.$version" 'BEGIN{i=1} /^--$/{i++; next} {print > (dir "/" i)}' "$work/svs.$version"
    i=0
    while IFS= read -r flow; do
        i=$((i + 1))
        out=$(ovs-ofctl -O "$version" parse-flow "$flow" 2>"$work/err" || true)
        if [[ $out == *'decode error'* ]]; then
            skipped=$((skipped + 1))
            continue
        fi
        err=$(grep '^ovs-ofctl: ' "$work/err" || true)
        expected=$out${out:+${err:+$'\n'}}$err
        got=$(cat "$work/s.$version/$i" 2>/dev/null || true)
        if [[ $expected == "$got" ]]; then
            same=$((same + 1))
        else
            bad=$((bad + 1))
            if (( bad <= ${SHOW:-20} )); then
                printf 'DIFFERS (-O %s): %s\n--- ovs-ofctl:\n%s\n--- svs:\n%s\n\n' "$version" "$flow" "$expected" "$got"
            fi
        fi
    done < "$work/corpus"
done

if (( bad > 0 )); then
    echo "parse-flow-actions: $bad of $((same + bad + skipped)) outputs differ ($n flows x ${#versions[@]} versions)"
    exit 1
fi
echo "parse-flow-actions: $same outputs identical, $skipped skipped ($n flows x ${#versions[@]} versions)"
"$here/dump.sh" "$svs" "$work/corpus" "${DUMP_STRIDE:-5}"

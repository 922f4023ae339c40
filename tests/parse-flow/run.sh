#!/usr/bin/env bash
# Differential test: svs's OpenFlow match parser and formatter against
# `ovs-ofctl parse-flow`.
#
# Usage: tests/parse-flow/run.sh [SVS_BINARY]
#   SVS_BINARY  defaults to $SVS, then .build/debug/svs
#
# For each match of the corpus (gen_corpus.py), runs
# `ovs-ofctl parse-flow "<match>,actions=drop"` and keeps the flow's match
# (the "usable protocols" line is ignored), and feeds the same line to
# `svs ofctl normalize-match`. Both must print the same match, or both must
# refuse with the same message. Exits 1 on differences, showing the first.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
svs=${1:-${SVS:-.build/debug/svs}}

if [[ ! -x $svs ]]; then
    echo "parse-flow: svs binary '$svs' not found (build it, or pass its path)" >&2
    exit 2
fi
command -v ovs-ofctl >/dev/null || { echo "parse-flow: ovs-ofctl not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_corpus.py" > "$work/corpus"
"$svs" ofctl normalize-match < "$work/corpus" > "$work/svs"

# ovs-ofctl: one process per match (an error ends a whole parse-flows file).
: > "$work/ovs"
while IFS= read -r m; do
    if out=$(ovs-ofctl parse-flow "$m,actions=drop" 2>"$work/err"); then
        line=$(grep -m1 'FLOW_MOD' <<<"$out" || true)
        if [[ $line == *'decode error'* || -z $line ]]; then
            echo "skip: ovs-ofctl cannot decode its own encoding" >> "$work/ovs"
            continue
        fi
        line=${line#* ADD }
        line=${line%actions=drop}
        line=${line% }
        echo "$line" >> "$work/ovs"
    else
        msg=$(grep -m1 '^ovs-ofctl: ' "$work/err" || true)
        echo "error: ${msg#ovs-ofctl: }" >> "$work/ovs"
    fi
done < "$work/corpus"

same=0 skipped=0 bad=0
exec 3<"$work/corpus" 4<"$work/ovs" 5<"$work/svs"
while IFS= read -r m <&3; do
    IFS= read -r o <&4 || o="<missing>"
    IFS= read -r s <&5 || s="<missing>"
    if [[ $o == skip:* ]]; then
        skipped=$((skipped + 1))
    elif [[ $o == "$s" ]]; then
        same=$((same + 1))
    elif [[ $o == error:* && $s == error:* ]]; then
        bad=$((bad + 1))
        if (( bad <= 20 )); then
            printf 'MESSAGE DIFFERS: %s\n  ovs-ofctl: %s\n  svs:       %s\n' "$m" "$o" "$s"
        fi
    else
        bad=$((bad + 1))
        if (( bad <= 20 )); then
            printf 'MISMATCH: %s\n  ovs-ofctl: %s\n  svs:       %s\n' "$m" "$o" "$s"
        fi
    fi
done

if (( bad > 0 )); then
    echo "parse-flow: $bad of $((same + bad + skipped)) matches differ"
    exit 1
fi
echo "parse-flow: $same matches identical ($skipped skipped)"

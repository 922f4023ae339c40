#!/usr/bin/env bash
# Differential test: `svs ofctl parse-pcap` against `ovs-ofctl parse-pcap`.
#
# Usage: tests/parse-pcap/run.sh [SVS_BINARY]
#   SVS_BINARY  defaults to $SVS, then .build/debug/svs
#   SEED        corpus seed (random if unset)
#   COUNT       packets in the corpus (default 3000)
#
# Generates a corpus, runs both tools, compares stdout line for line and the
# exit status, then does the same for a set of odd capture files (truncated,
# big-endian, SLL, bad magic...). On a mismatch prints the seed, the packet
# index, both lines and the packet's hex, and exits 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
svs=${1:-${SVS:-.build/debug/svs}}
seed=${SEED:-$(( (RANDOM << 15 | RANDOM) ))}
count=${COUNT:-3000}

if [[ ! -x $svs ]]; then
    echo "parse-pcap: svs binary '$svs' not found (build it, or pass its path)" >&2
    exit 2
fi
command -v ovs-ofctl >/dev/null || { echo "parse-pcap: ovs-ofctl not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "parse-pcap: seed $seed"
python3 "$here/gen_corpus.py" --seed "$seed" --count "$count" \
    --out "$work/corpus.pcap" --hex "$work/corpus.hex" --odd "$work/odd"

# Runs both tools on FILE; sets ovs_rc and svs_rc, outputs in $work/{ovs,svs}.out.
run_both() {
    local file=$1
    set +e
    ovs-ofctl parse-pcap "$file" >"$work/ovs.out" 2>"$work/ovs.err"
    ovs_rc=$?
    "$svs" ofctl parse-pcap "$file" >"$work/svs.out" 2>"$work/svs.err"
    svs_rc=$?
    set -e
}

# Prints the first differing line of the two outputs, with the packet's hex
# when a hex listing is given. Returns 1 if they differ.
compare() {
    local what=$1 hexfile=${2:-}
    if cmp -s "$work/ovs.out" "$work/svs.out" && [[ $ovs_rc == "$svs_rc" ]]; then
        return 0
    fi
    echo "parse-pcap: MISMATCH on $what (seed $seed)"
    if [[ $ovs_rc != "$svs_rc" ]]; then
        echo "  exit status: ovs-ofctl $ovs_rc, svs $svs_rc"
    fi
    local line
    line=$(python3 - "$work/ovs.out" "$work/svs.out" <<'PY'
import sys
a = open(sys.argv[1], "rb").read().split(b"\n")
b = open(sys.argv[2], "rb").read().split(b"\n")
for i in range(max(len(a), len(b))):
    if i >= len(a) or i >= len(b) or a[i] != b[i]:
        print(i + 1)
        break
PY
)
    if [[ -n $line ]]; then
        echo "  first difference at line/packet $line (1-based):"
        echo "  ovs-ofctl: $(sed -n "${line}p" "$work/ovs.out")"
        echo "  svs:       $(sed -n "${line}p" "$work/svs.out")"
        if [[ -n $hexfile ]]; then
            echo "  hex:       $(sed -n "${line}p" "$hexfile")"
        fi
    fi
    echo "  stderr ovs-ofctl: $(head -3 "$work/ovs.err" | sed 's/^[^|]*|//' | tr '\n' ' ')"
    echo "  stderr svs:       $(head -3 "$work/svs.err" | sed 's/^[^|]*|//' | tr '\n' ' ')"
    return 1
}

failed=0
run_both "$work/corpus.pcap"
compare "corpus" "$work/corpus.hex" || failed=1
packets=$(wc -l <"$work/ovs.out")

odd=0
for f in "$work"/odd/*.pcap; do
    run_both "$f"
    # Error messages must agree too, apart from the log timestamps.
    if ! diff -q <(sed 's/^[^|]*|//' "$work/ovs.err") <(sed 's/^[^|]*|//' "$work/svs.err") >/dev/null; then
        echo "parse-pcap: stderr differs on $(basename "$f") (seed $seed)"
        diff <(sed 's/^[^|]*|//' "$work/ovs.err") <(sed 's/^[^|]*|//' "$work/svs.err") | head -5 || true
        failed=1
    fi
    compare "$(basename "$f")" || failed=1
    odd=$((odd + 1))
done

if [[ $failed != 0 ]]; then
    exit 1
fi
echo "parse-pcap: $odd odd capture files identical"
echo "parse-pcap: $packets packets identical"

#!/usr/bin/env bash
# Differential test of the datapath flow syntax: every flow of corpus.txt
# (KEY<TAB>ACTIONS) is added to a real ovs-vswitchd (netdev datapath) with
# `ovs-appctl dpctl/add-flow`, read back with `dpctl/dump-flows`, and compared
# with what `svs dpctl normalize` prints for the same text. Flows that
# Open vSwitch refuses must be refused by svs too. Run as root.
#
#   SVS=path/to/svs tests/dpctl-syntax/run.sh [CORPUS]
#
# VLAN_LIMIT=N sets other_config:vlan-limit (default 1, OVS's; 0 = no limit)
# for both switches.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
corpus=${1:-$here/corpus.txt}
vlan_limit=${VLAN_LIMIT:-1}
[ -x "$SVS" ] || { echo "dpctl-syntax: no svs binary at $SVS (set SVS)" >&2; exit 2; }
. "$here/../lib/ovs.sh"
ovs_start dpctl-syntax -- set Open_vSwitch . other_config:vlan-limit="$vlan_limit"
ovs-vsctl --db=unix:"$RUN/db.sock" --timeout=10 add-br br0 -- set bridge br0 datapath_type=netdev \
    -- add-port br0 p1 -- set interface p1 type=dummy \
    -- add-port br0 p2 -- set interface p2 type=dummy
appctl() { ovs-appctl --timeout=10 "$@"; }
# The flows go to a datapath of their own: no bridge owns it, so no
# revalidator deletes them between add-flow and dump-flows.
dp=netdev@svs-syntax
appctl dpctl/add-dp "$dp" >/dev/null

# What Open vSwitch makes of each flow: the dump-flows line without its
# statistics, or "error" when add-flow refuses it.
ovs_out=$RUN/ovs.txt
: >"$ovs_out"
n=0
while IFS= read -r line; do
    case "$line" in '#'* | '') continue ;; esac
    key=${line%%$'\t'*}
    actions=${line#*$'\t'}
    n=$((n + 1))
    if appctl dpctl/add-flow "$dp" "$key" "$actions" >/dev/null 2>"$RUN/err"; then
        dump=$(appctl dpctl/dump-flows "$dp" | grep -v '^flow-dump' | sed -E \
            's/, packets:[0-9]+, bytes:[0-9]+, used:[^,]+(, flags:[^,]+)?, actions:/, actions:/' || true)
        [ -n "$dump" ] || dump="error: flow added but not dumped"
        printf '%s\n' "$dump" >>"$ovs_out"
        appctl dpctl/del-flows "$dp" >/dev/null
    else
        echo "error" >>"$ovs_out"
    fi
done <"$corpus"

svs_out=$RUN/svs.txt
"$SVS" dpctl normalize --vlan-limit "$vlan_limit" <"$corpus" >"$svs_out"

# Compare line by line; both refusing is agreement.
mismatch=0
same=0
refused=0
i=0
exec 3<"$ovs_out" 4<"$svs_out" 5< <(grep -v -e '^#' -e '^$' "$corpus")
while IFS= read -r o <&3; do
    IFS= read -r s <&4 || s="<missing>"
    IFS= read -r c <&5 || c="<missing>"
    i=$((i + 1))
    if [ "$o" = "$s" ]; then
        same=$((same + 1))
    elif [ "$o" = error ] && [ "${s#error}" != "$s" ]; then
        refused=$((refused + 1))
    else
        mismatch=$((mismatch + 1))
        if [ $mismatch -le 20 ]; then
            echo "dpctl-syntax: flow $i differs"
            echo "  input: $c"
            echo "  ovs:   $o"
            echo "  svs:   $s"
        fi
    fi
done
# DPCTL_SYNTAX_SAVE=FILE keeps Open vSwitch's answers (input, tab, output) for unit-test tables.
if [ -n "${DPCTL_SYNTAX_SAVE:-}" ]; then
    paste <(grep -v -e '^#' -e '^$' "$corpus") "$ovs_out" >"$DPCTL_SYNTAX_SAVE"
fi
if [ $mismatch -gt 0 ]; then
    echo "dpctl-syntax: $mismatch of $n flows differ ($same identical, $refused refused by both)"
    exit 1
fi
echo "dpctl-syntax: $same flows identical ($refused more refused by both)"

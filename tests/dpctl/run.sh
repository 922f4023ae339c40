#!/usr/bin/env bash
# Differential test of the dpctl commands: session.txt runs through a real
# ovs-vswitchd (`ovs-appctl dpctl/...` on a netdev datapath of its own) and
# through `svs dpctl --batch` on an svs datapath of the same name. For every
# command the outputs must agree: dump-flows lines (sorted: both dump in hash
# order), the statistics `-s` prints, and whether it failed and with what
# message. Run as root.
#
#   SVS=path/to/svs tests/dpctl/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SVS=${SVS:-.build/debug/svs}
[ -x "$SVS" ] || { echo "dpctl: no svs binary at $SVS (set SVS)" >&2; exit 2; }
. "$here/../lib/ovs.sh"
ovs_start svs-dpctl
# A datapath no bridge owns: no revalidator removes the flows added to it.
dp=netdev@svs-dpctl
ovs-appctl --timeout=10 dpctl/add-dp "$dp" >/dev/null

# Words of each session line, as the shell reads them (quotes removed).
mapfile -t lines < <(grep -vE '^(#|$)' "$here/session.txt")

# Normalises one command's output: flow lines sorted, `used:` ages dropped.
normal() { sed -E 's/used:[0-9.]+s/used:AGE/' | { grep -v '^flow-dump from' || true; } | sort; }
# The error message of a failed command: its first line after the program name.
message() { head -1 | sed -E 's/^(ovs-vswitchd|svs dpctl): //'; }

# Open vSwitch, one command at a time.
declare -a ovs_result
for i in "${!lines[@]}"; do
    eval "words=(${lines[$i]//DP/$dp})"
    cmd=${words[0]}
    if out=$(ovs-appctl --timeout=10 "dpctl/$cmd" "${words[@]:1}" 2>"$RUN/err"); then
        ovs_result[$i]="ok"$'\n'"$(normal <<<"$out")"
    else
        ovs_result[$i]="error: $(message <"$RUN/err")"
    fi
done

# svs, the whole session in one process; a mark line ends each command.
mark="@@svs-dpctl-mark@@"
{ echo "add-dp $dp"; for l in "${lines[@]}"; do echo "${l//DP/$dp}"; done; } >"$RUN/svs.in"
"$SVS" dpctl --batch --mark "$mark" <"$RUN/svs.in" >"$RUN/svs.out" 2>"$RUN/svs.err" || true
python3 - "$RUN/svs.out" "$RUN/svs.err" "$mark" >"$RUN/svs.split" <<'PY'
import sys
out, err, mark = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
outs = out.split(mark + " ")
errs = err.split(mark + "\n")
# outs[k] (k >= 1) begins with this command's status, then the next command's output.
for k in range(1, len(outs)):
    status, _, _ = outs[k].partition("\n")
    body = outs[k - 1].partition("\n")[2] if k > 1 else outs[0]
    e = errs[k - 1].strip().splitlines()
    print("\x1e" + status + "\x1f" + body + "\x1f" + (e[0] if e else ""))
PY
mapfile -d $'\x1e' -t records <"$RUN/svs.split"
records=("${records[@]:1}")   # drop the empty first field
records=("${records[@]:1}")   # drop add-dp, which only svs ran

failed=0
for i in "${!lines[@]}"; do
    IFS=$'\x1f' read -r -d '' status body err <<<"${records[$i]}" || true
    if [ "$status" = 0 ]; then
        svs_result="ok"$'\n'"$(normal <<<"${body%$'\n'}")"
    else
        svs_result="error: $(message <<<"$err")"
    fi
    if [ "$svs_result" != "${ovs_result[$i]}" ]; then
        failed=$((failed + 1))
        echo "dpctl: MISMATCH on: ${lines[$i]}"
        echo "  ovs-vswitchd: ${ovs_result[$i]//$'\n'/$'\n'                }"
        echo "  svs:          ${svs_result//$'\n'/$'\n'                }"
    fi
done
if [ $failed -gt 0 ]; then
    echo "dpctl: $failed of ${#lines[@]} commands differ"
    exit 1
fi
echo "dpctl: ${#lines[@]} commands agree"

"""Compares ofproto/trace outputs of OVS and svs, trace by trace.

Usage: compare.py NAME TRACES OVS_OUTPUT SVS_OUTPUT
Prints differences to stderr and "TOTAL SAME DIFFERENT BYTE_IDENTICAL" on stdout.
The `Datapath actions:` line is compared as a multiset of outputs with the
header changes before each (OVS floods in hash order).
"""
import difflib
import re
import sys


def split_actions(text):
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        out.append(cur)
    return out


# Flow-line fields that give the packet's initial header values.
INITIAL = {"eth.src": "dl_src", "eth.dst": "dl_dst", "ipv4.src": "nw_src", "ipv4.dst": "nw_dst",
           "ipv4.tos": "nw_tos", "ipv4.ttl": "nw_ttl"}


def parse_set(a):
    """set(eth(src=1,dst=2)) -> {"eth.src": "1", "eth.dst": "2"}, or None."""
    m = re.match(r"^set\((\w+)\((.*)\)\)$", a)
    if not m:
        return None
    out = {}
    for kv in split_actions(m.group(2)):
        if "=" not in kv:
            return None
        k, v = kv.split("=", 1)
        out[m.group(1) + "." + k] = v
    return out


def normalize_actions(line, initial_vlans, flow_fields):
    acts = split_actions(line)
    simple = all(a.isdigit() or a.startswith(("push_vlan(", "set(", "push_mpls(", "pop_mpls("))
                 or a == "pop_vlan" for a in acts)
    if not simple:
        return line
    initial = {k: flow_fields[v] for k, v in INITIAL.items() if v in flow_fields}
    vlans, fields, others, events = list(initial_vlans), dict(initial), {}, []
    for a in acts:
        if a.isdigit():
            changed = tuple(sorted((k, v) for k, v in fields.items() if initial.get(k) != v))
            events.append((a, tuple(vlans), changed, tuple(sorted(others.items()))))
        elif a.startswith("push_vlan("):
            vlans.append(a)
        elif a == "pop_vlan":
            if vlans:
                vlans.pop()
            else:
                others["popped"] = others.get("popped", "") + "x"
        elif parse_set(a) is not None:
            fields.update(parse_set(a))
        else:
            others[a] = a
    return repr(sorted(events))


def normalize(output):
    lines = []
    initial = []
    m = re.search(r"^Flow: .*?dl_vlan=(\d+),dl_vlan_pcp=(\d+)", output, re.M)
    if m:
        initial = ["push_vlan(vid=%s,pcp=%s)" % m.groups()]
    # Packet-in continuations take recirculation ids from OVS's global pool.
    output = re.sub(r"(controller\(reason=\d+,dont_send=\d,continuation=\d,)recirc_id=\d+", r"\1recirc_id=N", output)
    flow_fields = {}
    m = re.search(r"^Flow: (.*)$", output, re.M)
    if m:
        for kv in m.group(1).split(","):
            if "=" in kv:
                k, v = kv.split("=", 1)
                flow_fields[k] = v
    for l in output.split("\n"):
        # fdb/show ages depend on timing.
        l = re.sub(r"^(\s+\S+\s+\d+\s+[0-9a-f:]{17}\s+)\d+$", r"\1AGE", l)
        if l.startswith("Datapath actions: "):
            l = "Datapath actions: " + normalize_actions(l[len("Datapath actions: "):], initial, flow_fields)
        lines.append(l.rstrip())
    while lines and lines[-1] == "":
        lines.pop()
    # fdb/show lists entries least recently refreshed first, and OVS
    # refreshes at most once per (wall-clock) second: compare as a set.
    if lines and lines[0] == " port  VLAN  MAC                Age":
        lines = lines[:1] + sorted(lines[1:])
    return "\n".join(lines)


def main():
    name, traces, ovs, svs = sys.argv[1:5]
    args = [l.strip() for l in open(traces) if l.strip()]
    o = open(ovs).read().split("=== END ===\n")
    s = open(svs).read().split("=== END ===\n")
    total = same = diff = raw = 0
    for i, a in enumerate(args):
        total += 1
        oo = o[i] if i < len(o) else "<missing>"
        ss = s[i] if i < len(s) else "<missing>"
        # ovs-appctl errors carry the program prefix; svs prints the bare message.
        oo = oo.replace("ovs-appctl: ovs-vswitchd: server returned an error\n", "")
        if oo.rstrip("\n") == ss.rstrip("\n"):
            raw += 1
        if normalize(oo) == normalize(ss):
            same += 1
        else:
            diff += 1
            if diff <= 15:
                d = difflib.unified_diff(normalize(oo).split("\n"), normalize(ss).split("\n"),
                                         "ovs", "svs", lineterm="", n=2)
                sys.stderr.write(f"=== {name}: ofproto/trace {a}\n" + "\n".join(d) + "\n")
    sys.stdout.write(f"{total} {same} {diff} {raw}\n")


main()

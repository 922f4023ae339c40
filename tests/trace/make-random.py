"""Writes scenarios/NAME/{br0.flows,traces}: random rules and packets,
the same every time (seeded). Run from tests/trace:
    python3 make-random.py random 4; python3 make-random.py random2 9"""
import os
import random
import sys

name, seed = sys.argv[1], int(sys.argv[2])
of13 = len(sys.argv) > 3 and sys.argv[3] == "of13"
rng = random.Random(seed)
os.makedirs("scenarios/" + name, exist_ok=True)
PROTOS = ["", "ip", "tcp", "udp", "arp", "icmp"]


def mac():
    return "00:00:00:00:00:%02x" % rng.randint(1, 9)


def ip():
    return "10.0.%d.%d" % (rng.randint(0, 3), rng.randint(1, 9))


def match(proto):
    parts = [proto] if proto else []
    if rng.random() < 0.4:
        parts.append("in_port=%d" % rng.randint(1, 7))
    if rng.random() < 0.3:
        parts.append("dl_src=" + mac())
    if rng.random() < 0.3:
        parts.append("dl_dst=" + mac())
    if rng.random() < 0.2 and not proto:
        parts.append("dl_vlan=%d" % rng.choice([10, 20]))
    if proto in ("ip", "tcp", "udp", "icmp"):
        if rng.random() < 0.4:
            parts.append("nw_src=10.0.%d.0/%d" % (rng.randint(0, 3), rng.choice([24, 16, 32])))
        if rng.random() < 0.4:
            parts.append("nw_dst=" + ip())
    if proto in ("tcp", "udp") and rng.random() < 0.5:
        parts.append("tp_dst=%d" % rng.choice([22, 53, 80, 443]))
    return parts


def actions(proto, table):
    acts = []
    for _ in range(rng.randint(1, 4)):
        c = rng.random()
        if c < 0.25:
            acts.append("output:%d" % rng.randint(1, 7))
        elif c < 0.35:
            acts.append("mod_dl_src:" + mac())
        elif c < 0.45:
            acts.append("mod_dl_dst:" + mac())
        elif c < 0.55 and proto in ("ip", "tcp", "udp", "icmp"):
            acts.append(rng.choice(["mod_nw_src:", "mod_nw_dst:"]) + ip())
        elif c < 0.6 and proto in ("ip", "tcp", "udp", "icmp"):
            acts.append(rng.choice(["mod_nw_tos:%d" % (4 * rng.randint(0, 63)), "dec_ttl", "mod_nw_ttl:%d" % rng.randint(1, 99)]))
        elif c < 0.65 and proto in ("tcp", "udp"):
            acts.append(rng.choice(["mod_tp_dst:", "mod_tp_src:"]) + str(rng.randint(1, 9999)))
        elif c < 0.72 and not of13:
            acts.append(rng.choice(["mod_vlan_vid:%d" % rng.randint(1, 30), "strip_vlan", "mod_vlan_pcp:%d" % rng.randint(0, 7)]))
        elif c < 0.8:
            acts.append("load:%d->NXM_NX_REG%d[]" % (rng.randint(0, 3), rng.randint(0, 2)))
        elif c < 0.87 and table == 0:
            acts.append("resubmit(,1)")
        elif c < 0.9 and of13:
            acts.append(rng.choice(["push_vlan:0x8100,set_field:%d->vlan_vid" % (4096 + rng.randint(1, 30)),
                                    "set_field:%s->eth_src" % mac(), "set_field:%d->reg3" % rng.randint(0, 9)]))
        elif c < 0.92:
            acts.append("NORMAL")
        else:
            acts.append("output:%d" % rng.randint(1, 7))
    text = ",".join(acts)
    if of13 and rng.random() < 0.2:
        text += ",clear_actions"
    if of13 and rng.random() < 0.4:
        text += ",write_actions(output:%d)" % rng.randint(1, 7)
    if of13 and table == 0 and rng.random() < 0.3:
        text += ",goto_table:1"
    return text


with open("scenarios/%s/br0.flows" % name, "w") as f:
    if of13:
        f.write("# protocol: OpenFlow13\n")
    for table, n in ((0, 40), (1, 15)):
        for _ in range(n):
            proto = rng.choice(PROTOS)
            m = match(proto)
            if table == 1 and rng.random() < 0.7:
                m.append("reg%d=%d" % (rng.randint(0, 2), rng.randint(0, 3)))
            head = ["table=%d" % table, "priority=%d" % rng.randint(1, 100)]
            f.write(",".join(head + m) + ",actions=" + actions(proto, table) + "\n")

with open("scenarios/%s/traces" % name, "w") as f:
    for _ in range(160):
        proto = rng.choice(PROTOS)
        parts = ["in_port=%d" % rng.randint(1, 7)] + ([proto] if proto else [])
        if rng.random() < 0.3:
            parts.append("dl_vlan=%d" % rng.choice([10, 20, 30]))
        parts += ["dl_src=" + mac(), "dl_dst=" + mac()]
        if proto in ("ip", "tcp", "udp", "icmp"):
            parts += ["nw_src=" + ip(), "nw_dst=" + ip(), "nw_ttl=%d" % rng.choice([1, 2, 64]),
                      "nw_tos=%d" % (4 * rng.randint(0, 4))]
        if proto == "tcp":
            parts += ["tcp_src=%d" % rng.randint(1, 9999), "tcp_dst=%d" % rng.choice([22, 53, 80, 443])]
        if proto == "udp":
            parts += ["udp_src=%d" % rng.randint(1, 9999), "udp_dst=%d" % rng.choice([22, 53, 80, 443])]
        f.write("br0 " + ",".join(parts) + "\n")

#!/usr/bin/env python3
"""Sends malformed and edge-case group-mods, meter-mods and group/meter
multipart requests to two OpenFlow management sockets (Open vSwitch's and
svs's) and prints, per message, the replies of each (type and body in hex)
when they differ. Exits 1 if any differ.

    raw.py OVS_SOCKET SVS_SOCKET
"""
import socket
import struct
import sys

def msg(version, type_, body, xid=0x77):
    return struct.pack("!BBHI", version, type_, 8 + len(body), xid) + body

def gm11(command, gtype, gid, buckets=b""):
    return struct.pack("!HBBI", command, gtype, 0, gid) + buckets

def bucket11(length, weight=0, port=0xFFFFFFFF, group=0xFFFFFFFF, actions=b""):
    return struct.pack("!HHII4x", length, weight, port, group) + actions

def gm15(command, gtype, gid, buckets=b"", cmd_bucket=0xFFFFFFFF, blen=None, props=b""):
    return struct.pack("!HBBIH2xI", command, gtype, 0, gid, len(buckets) if blen is None else blen, cmd_bucket) + buckets + props

def bucket15(bid, actions=b"", props=b"", length=None, alen=None):
    n = 8 + len(actions) + len(props)
    return struct.pack("!HHI", n if length is None else length, len(actions) if alen is None else alen, bid) + actions + props

OUT1 = struct.pack("!HHIH6x", 0, 16, 1, 0xFFFF)
OUT1_10 = struct.pack("!HHHH", 0, 8, 1, 0)

def mm(command, flags, mid, bands=b""):
    return struct.pack("!HHI", command, flags, mid) + bands

def band(btype, rate, burst=0, length=16, extra=0):
    return struct.pack("!HHIIB3x", btype, length, rate, burst, extra)

def mp(type_, body=b""):
    return struct.pack("!HH4x", type_, 0) + body

CASES = [
    ("group-mod bad type", 4, 15, gm11(0, 7, 1, bucket11(32, actions=OUT1))),
    ("group-mod bad command", 4, 15, gm11(9, 0, 1, bucket11(32, actions=OUT1))),
    ("group-mod short bucket", 4, 15, gm11(0, 0, 1, bucket11(8))),
    ("group-mod long bucket", 4, 15, gm11(0, 0, 1, bucket11(64, actions=OUT1))),
    ("group-mod bad watch port", 4, 15, gm11(0, 3, 1, bucket11(32, port=0xFFFF0000, actions=OUT1))),
    ("group-mod delete with buckets", 4, 15, gm11(2, 0, 1, bucket11(32, actions=OUT1))),
    ("group-mod truncated", 4, 15, struct.pack("!HBB", 0, 0, 0)),
    ("group-mod bad action", 4, 15, gm11(0, 0, 1, bucket11(24, actions=struct.pack("!HHI", 99, 8, 0)))),
    ("group-mod weight on all", 5, 15, gm11(0, 0, 1, bucket11(32, weight=3, actions=OUT1))),
    ("group-mod id over max", 4, 15, gm11(0, 0, 0xFFFFFF01, bucket11(32, actions=OUT1))),
    ("group-mod ok", 4, 15, gm11(0, 1, 21, bucket11(32, weight=2, actions=OUT1) + bucket11(32, weight=5, actions=OUT1))),
    ("group-mod 1.5 bucket array too long", 6, 15, gm15(0, 0, 2, bucket15(0, OUT1), blen=200)),
    ("group-mod 1.5 command bucket on add", 6, 15, gm15(0, 0, 2, bucket15(0, OUT1), cmd_bucket=0)),
    ("group-mod 1.5 bad actions length", 6, 15, gm15(0, 0, 2, bucket15(0, OUT1, alen=40))),
    ("group-mod 1.5 duplicate bucket ids", 6, 15, gm15(0, 0, 2, bucket15(4, OUT1) + bucket15(4, OUT1))),
    ("group-mod 1.5 bucket id over max", 6, 15, gm15(0, 0, 2, bucket15(0xFFFFFF01, OUT1))),
    ("group-mod 1.5 unknown bucket property", 6, 15, gm15(0, 0, 2, bucket15(0, OUT1, struct.pack("!HHI", 9, 8, 0)))),
    ("group-mod 1.5 remove with buckets", 6, 15, gm15(5, 0, 21, bucket15(0, OUT1), cmd_bucket=0xFFFFFFFF)),
    ("group-mod 1.5 ok weight property", 6, 15, gm15(0, 1, 22, bucket15(3, OUT1, struct.pack("!HHH2x", 0, 6, 9)))),
    ("NXT group-mod bad type", 1, 4, struct.pack("!II", 0x2320, 31) + gm15(0, 9, 3, bucket15(0, OUT1_10))),
    ("NXT group-mod ok", 1, 4, struct.pack("!II", 0x2320, 31) + gm15(0, 2, 23, bucket15(0, OUT1_10))),
    ("meter-mod bad command", 4, 29, mm(7, 1, 1, band(1, 10))),
    ("meter-mod kbps and pktps", 4, 29, mm(0, 3, 1, band(1, 10))),
    ("meter-mod unknown flag", 4, 29, mm(0, 0x11, 1, band(1, 10))),
    ("meter-mod band length", 4, 29, mm(0, 1, 1, band(1, 10, length=8))),
    ("meter-mod band type", 4, 29, mm(0, 1, 1, band(3, 10))),
    ("meter-mod dscp band", 4, 29, mm(0, 1, 1, band(2, 10, extra=1))),
    ("meter-mod zero rate", 4, 29, mm(0, 1, 1, band(1, 0))),
    ("meter-mod meter 0", 4, 29, mm(0, 1, 0, band(1, 10))),
    ("meter-mod meter all", 4, 29, mm(0, 1, 0xFFFFFFFF, band(1, 10))),
    ("meter-mod nine bands", 4, 29, mm(0, 1, 1, band(1, 10) * 9)),
    ("meter-mod trailing bytes", 4, 29, mm(0, 1, 1, band(1, 10) + b"\0" * 4)),
    ("meter-mod no bands", 5, 29, mm(0, 2, 31)),
    ("meter-mod controller meter", 6, 29, mm(0, 2, 0xFFFFFFFE, band(1, 100))),
    ("meter-mod delete meter 0", 4, 29, mm(2, 0, 0)),
    ("meter-mod truncated", 4, 29, struct.pack("!HH", 0, 1)),
    ("group stats truncated", 4, 18, mp(6)),
    ("group desc 1.5 one group", 6, 18, mp(7, struct.pack("!I4x", 21))),
    ("group features", 5, 18, mp(8)),
    ("meter stats truncated", 4, 18, mp(9, b"\0\0")),
    ("meter config unknown", 4, 18, mp(10, struct.pack("!I4x", 12345))),
    ("meter config controller", 6, 18, mp(10, struct.pack("!I4x", 0xFFFFFFFE))),
    ("meter stats all", 4, 18, mp(9, struct.pack("!I4x", 0xFFFFFFFF))),
]

def exchange(path, version, type_, body):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)
    s.connect(path)
    s.sendall(msg(version, 0, struct.pack("!HHI", 1, 8, 1 << version)))
    s.sendall(msg(version, type_, body))
    barrier = 18 if version == 1 else 20
    s.sendall(msg(version, barrier, b"", xid=0x99))
    buf, replies = b"", []
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
            done = False
            while len(buf) >= 8:
                v, t, l, x = struct.unpack("!BBHI", buf[:8])
                if len(buf) < l:
                    break
                body_, buf = buf[8:l], buf[l:]
                if t == 0:
                    continue
                if t == barrier + 1 and x == 0x99:
                    done = True
                    break
                # Durations in meter stats differ: mask them.
                if t == 19 and body_[:2] == b"\0\x09":
                    body_ = bytearray(body_)
                    i = 8
                    while i + 40 <= len(body_):
                        n = struct.unpack("!H", body_[i + 4:i + 6])[0]
                        body_[i + 32:i + 40] = b"\0" * 8
                        i += max(n, 40)
                    body_ = bytes(body_)
                replies.append("%d %d %s" % (v, t, body_.hex()))
            if done:
                break
    except socket.timeout:
        replies.append("timeout")
    s.close()
    return replies

def main():
    ovs, svs = sys.argv[1], sys.argv[2]
    bad = 0
    for name, version, type_, body in CASES:
        o = exchange(ovs, version, type_, body)
        v = exchange(svs, version, type_, body)
        if o != v:
            bad += 1
            print("=== groups raw: %s\n  ovs: %s\n  svs: %s" % (name, o, v), file=sys.stderr)
    print("groups: raw messages: %d of %d replies agree" % (len(CASES) - bad, len(CASES)))
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())

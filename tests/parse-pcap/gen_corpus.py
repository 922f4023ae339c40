#!/usr/bin/env python3
"""Generate a pcap corpus for the parse-pcap differential test.

Usage: gen_corpus.py --seed N --count M --out FILE [--hex FILE] [--odd DIR]

The corpus mixes, deterministically for a seed:
  * well-formed packets of every kind OVS's flow extraction knows (VLAN, QinQ,
    MPLS stacks, ARP/RARP, 802.3/LLC/SNAP, IPv4 with options and fragments,
    IPv6 extension chains and fragments, TCP/UDP/SCTP/ICMP/IGMP, ICMPv6 and
    ND with good, duplicate and bad options, NSH, tunnels in IP, unknown
    EtherTypes and IP protocols);
  * every truncation (each length from 0 to the full size) of a rotating
    selection of those packets;
  * copies with a few header bytes changed at random (lengths, offsets,
    option sizes...);
  * random garbage.
--hex writes the packets as one hex line each (line i = packet i, from 1).
--odd writes odd capture files (truncated, big-endian, SLL, bad magic...).
"""

import argparse
import random
import struct
import sys
import os

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.layers.l2 import Ether, Dot1Q, Dot1AD, ARP, LLC, SNAP
from scapy.layers.inet import IP, TCP, UDP, ICMP, IPOption_Router_Alert, IPOption_NOP
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, ICMPv6EchoRequest,
                                ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS, ICMPv6ND_RA,
                                ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptPrefixInfo, ICMPv6NDOptMTU, PadN)
from scapy.layers.sctp import SCTP, SCTPChunkInit
from scapy.layers.vxlan import VXLAN
from scapy.layers.l2 import GRE
from scapy.layers.ipsec import AH, ESP
from scapy.contrib.mpls import MPLS
from scapy.contrib.igmp import IGMP
from scapy.contrib.geneve import GENEVE
from scapy.packet import Raw


class Gen:
    def __init__(self, rng):
        self.r = rng

    # --- random field helpers -------------------------------------------
    def mac(self):
        r = self.r
        choice = r.random()
        if choice < 0.1:
            return "00:00:00:00:00:00"
        if choice < 0.2:
            return "ff:ff:ff:ff:ff:ff"
        return ":".join("%02x" % r.randrange(256) for _ in range(6))

    def ip4(self):
        r = self.r
        if r.random() < 0.1:
            return "0.0.0.0"
        return ".".join(str(r.randrange(256)) for _ in range(4))

    def ip6(self):
        r = self.r
        c = r.random()
        if c < 0.1:
            return "::"
        if c < 0.2:
            return "fe80::%x" % r.randrange(1 << 16)
        if c < 0.3:
            return "::ffff:%d.%d.%d.%d" % tuple(r.randrange(256) for _ in range(4))
        if c < 0.4:
            return "2001:db8::%x:%x" % (r.randrange(1 << 16), r.randrange(1 << 16))
        if c < 0.5:
            return "::%d.%d.%d.%d" % tuple(r.randrange(1, 256) for _ in range(4))
        return ":".join("%x" % r.randrange(1 << 16) for _ in range(8))

    def port(self):
        r = self.r
        return r.choice([0, 1, 53, 80, 443, 4789, 6081, 65535, r.randrange(65536), r.randrange(65536)])

    def eth(self, type=None):
        e = Ether(src=self.mac(), dst=self.mac())
        if type is not None:
            e.type = type
        return e

    def l2(self, type):
        """Ethernet with 0, 1, 2 or 3 VLAN tags in front of EtherType `type`."""
        r = self.r
        n = r.choice([0, 0, 0, 0, 0, 1, 1, 2, 3])
        tpids = []
        for i in range(n):
            tpids.append(r.choice([0x8100, 0x88a8, 0x8100]))
        e = self.eth(tpids[0] if tpids else type)
        payload = b""
        for i, tpid in enumerate(tpids):
            nxt = tpids[i + 1] if i + 1 < len(tpids) else type
            tci = r.randrange(65536) if r.random() < 0.5 else r.randrange(4096)
            payload += struct.pack(">HH", tci, nxt)
        return bytes(e) + payload

    def ip4hdr(self, proto, payload_len=None, **kw):
        r = self.r
        f = dict(src=self.ip4(), dst=self.ip4(), proto=proto,
                 tos=r.choice([0, 0, r.randrange(256)]), ttl=r.choice([64, 1, 255, 0, r.randrange(256)]),
                 id=r.randrange(65536))
        f.update(kw)
        return IP(**f)

    def ip6hdr(self, nh=None, **kw):
        r = self.r
        f = dict(src=self.ip6(), dst=self.ip6(), tc=r.choice([0, r.randrange(256)]),
                 fl=r.choice([0, r.randrange(1 << 20)]), hlim=r.choice([64, 255, r.randrange(256)]))
        if nh is not None:
            f["nh"] = nh
        f.update(kw)
        return IPv6(**f)

    def payload(self, maxlen=40):
        return Raw(bytes(self.r.randrange(256) for _ in range(self.r.randrange(maxlen + 1))))

    # --- L4 -------------------------------------------------------------
    def tcp(self):
        r = self.r
        opts = r.choice([[], [], [("MSS", 1460)], [("NOP", None), ("WScale", 7)],
                         [("SAckOK", b""), ("Timestamp", (r.randrange(1 << 32), 0))]])
        t = TCP(sport=self.port(), dport=self.port(), flags=r.randrange(1 << 9),
                seq=r.randrange(1 << 32), options=opts)
        if r.random() < 0.2:
            t.reserved = r.randrange(8)
        return t / self.payload()

    def udp(self):
        return UDP(sport=self.port(), dport=self.port()) / self.payload()

    def sctp(self):
        return SCTP(sport=self.port(), dport=self.port()) / SCTPChunkInit()

    def icmp(self):
        r = self.r
        return ICMP(type=r.choice([0, 8, 3, 11, r.randrange(256)]), code=r.choice([0, 0, r.randrange(256)])) / self.payload(20)

    def igmp(self):
        r = self.r
        if r.random() < 0.5:
            return IGMP(type=r.choice([0x11, 0x16, 0x17, 0x12]), gaddr=self.ip4())
        return Raw(bytes([0x22, 0, 0, 0, 0, 0, 0, 1]) + bytes(r.randrange(256) for _ in range(8)))

    def tunnel(self):
        """VXLAN, Geneve or GRE inner packet (OVS parses the outer header only)."""
        r = self.r
        inner = Ether(src=self.mac(), dst=self.mac()) / IP(src=self.ip4(), dst=self.ip4()) / UDP()
        c = r.randrange(3)
        if c == 0:
            return UDP(sport=self.port(), dport=4789) / VXLAN(vni=r.randrange(1 << 24)) / inner
        if c == 1:
            return UDP(sport=self.port(), dport=6081) / GENEVE(vni=r.randrange(1 << 24), proto=0x6558) / inner
        return GRE(proto=0x6558) / inner

    # --- packet kinds -----------------------------------------------------
    def ipv4(self):
        r = self.r
        kind = r.randrange(10)
        kw = {}
        if r.random() < 0.25:
            kw["options"] = r.choice([[IPOption_Router_Alert()], [IPOption_NOP()] * 4,
                                      [IPOption_NOP()] * 8 + [IPOption_Router_Alert()]])
        if r.random() < 0.2:
            fr = r.randrange(4)
            if fr == 0:
                kw["flags"] = "MF"
            elif fr == 1:
                kw["frag"] = r.randrange(1, 8192)
            elif fr == 2:
                kw["flags"] = "MF"
                kw["frag"] = r.randrange(1, 8192)
            else:
                kw["flags"] = "DF"
        if kind == 0 or kind == 1:
            l4 = self.tcp(); proto = 6
        elif kind == 2:
            l4 = self.udp(); proto = 17
        elif kind == 3:
            l4 = self.sctp(); proto = 132
        elif kind == 4:
            l4 = self.icmp(); proto = 1
        elif kind == 5:
            l4 = self.igmp(); proto = 2
        elif kind == 6:
            l4 = self.tunnel(); proto = 17 if isinstance(l4, UDP) else 47
        elif kind == 7:
            l4 = IP(src=self.ip4(), dst=self.ip4()) / self.udp(); proto = 4
        elif kind == 8:
            l4 = self.payload(); proto = r.choice([0, 41, 50, 51, 58, 89, 103, 255, r.randrange(256)])
        else:
            l4 = self.payload(); proto = r.randrange(256)
        pkt = self.ip4hdr(proto, **kw) / l4
        raw = bytes(pkt)
        if r.random() < 0.1:
            raw += bytes(r.randrange(1, 30))    # Ethernet padding after the datagram
        return self.l2(0x0800) + raw

    def ipv6(self):
        r = self.r
        kind = r.randrange(12)
        if kind <= 1:
            l4 = self.tcp()
        elif kind == 2:
            l4 = self.udp()
        elif kind == 3:
            l4 = self.sctp()
        elif kind == 4:
            l4 = ICMPv6EchoRequest(id=r.randrange(65536)) / self.payload(10)
        elif kind <= 7:
            l4 = self.nd()
        elif kind == 8:
            l4 = self.tunnel()
        elif kind == 9:
            l4 = Raw(bytes([r.randrange(256), r.randrange(256), 0, 0]) + bytes(r.randrange(12)))
            l4 = l4  # raw ICMPv6-ish: next header forced below
            pkt = self.ip6hdr(nh=58) / self.exts() / l4
            return self.l2(0x86dd) + bytes(pkt)
        elif kind == 10:
            l4 = self.payload()
            pkt = self.ip6hdr(nh=r.choice([59, 50, 0, 43, 60, 51, 44, r.randrange(256)])) / l4
            return self.l2(0x86dd) + bytes(pkt)
        else:
            l4 = self.payload()
        pkt = self.ip6hdr() / self.exts() / l4
        raw = bytes(pkt)
        if r.random() < 0.1:
            raw += bytes(r.randrange(1, 30))
        return self.l2(0x86dd) + raw

    def exts(self):
        """A chain of 0 to 4 IPv6 extension headers."""
        r = self.r
        chain = None
        n = r.choice([0, 0, 1, 1, 2, 3, 4])
        for _ in range(n):
            c = r.randrange(6)
            if c == 0:
                h = IPv6ExtHdrHopByHop()
                if r.random() < 0.3:
                    h = IPv6ExtHdrHopByHop(options=[PadN(optdata=bytes(r.choice([4, 12, 20])))])
            elif c == 1:
                h = IPv6ExtHdrRouting(addresses=[self.ip6() for _ in range(r.randrange(3))])
            elif c == 2:
                h = IPv6ExtHdrDestOpt()
            elif c == 3:
                h = AH(spi=r.randrange(1 << 32), icv=bytes(r.randrange(256) for _ in range(r.choice([4, 12]))))
            else:
                fr = r.randrange(5)
                if fr == 0:
                    h = IPv6ExtHdrFragment(offset=0, m=1, id=r.randrange(1 << 32))
                elif fr == 1:
                    h = IPv6ExtHdrFragment(offset=r.randrange(1, 8192), m=r.randrange(2))
                elif fr == 2:
                    h = IPv6ExtHdrFragment(offset=0, m=0)     # atomic fragment
                elif fr == 3:
                    h = IPv6ExtHdrFragment(offset=0, m=0, res1=r.randrange(1, 4))
                else:
                    h = IPv6ExtHdrFragment(offset=0, m=0, res2=r.randrange(1, 4))
            chain = h if chain is None else chain / h
        return chain if chain is not None else Raw(b"")

    def lla_opt(self, kind):
        r = self.r
        if kind == 1:
            return ICMPv6NDOptSrcLLAddr(lladdr=self.mac())
        if kind == 2:
            return ICMPv6NDOptDstLLAddr(lladdr=self.mac())
        if kind == 3:
            return ICMPv6NDOptPrefixInfo()
        if kind == 4:
            return ICMPv6NDOptMTU()
        if kind == 5:   # zero length option
            return Raw(bytes([r.choice([1, 2, 3]), 0]) + bytes(6))
        if kind == 6:   # length running past the end / longer LLA
            return Raw(bytes([r.choice([1, 2]), r.choice([2, 3, 200])]) + bytes(r.randrange(256) for _ in range(6)))
        return Raw(bytes([r.randrange(256), 1]) + bytes(r.randrange(256) for _ in range(6)))

    def nd(self):
        r = self.r
        c = r.randrange(5)
        if c <= 1:
            base = ICMPv6ND_NS(tgt=self.ip6())
        elif c <= 3:
            base = ICMPv6ND_NA(tgt=self.ip6(), R=r.randrange(2), S=r.randrange(2), O=r.randrange(2))
        else:
            base = r.choice([ICMPv6ND_RS(), ICMPv6ND_RA()])
        if r.random() < 0.15:
            base.code = r.randrange(1, 256)
        if r.random() < 0.1 and hasattr(base, "res"):
            base.res = r.randrange(1 << 29)
        opts = [self.lla_opt(r.choice([1, 1, 2, 2, 3, 4, 5, 6, 7])) for _ in range(r.choice([0, 1, 1, 2, 2, 3]))]
        p = base
        for o in opts:
            p = p / o
        return p

    def arp(self):
        r = self.r
        a = ARP(op=r.choice([1, 2, 3, 4, 0, 255, 256, r.randrange(65536)]), hwsrc=self.mac(), hwdst=self.mac(),
                psrc=self.ip4(), pdst=self.ip4())
        if r.random() < 0.15:
            a.hwtype = r.choice([0, 6, 2])
        if r.random() < 0.1:
            a.ptype = r.choice([0x86dd, 0])
        raw = bytes(a)
        if r.random() < 0.1:
            raw = raw[:4] + bytes([r.choice([6, 8, 4]), r.choice([4, 16, 6])]) + raw[6:]
        return self.l2(r.choice([0x0806, 0x0806, 0x8035])) + raw + bytes(r.choice([0, 18]))

    def mpls(self):
        r = self.r
        n = r.randrange(1, 5)
        bos_at = r.choice([n - 1, n - 1, n - 1, -1, r.randrange(n)])
        stack = b""
        for i in range(n):
            label = r.choice([0, 1, 3, r.randrange(1 << 20)])
            lse = label << 12 | r.randrange(8) << 9 | (1 if i == bos_at else 0) << 8 | r.randrange(256)
            stack += struct.pack(">I", lse)
        inner = bytes(IP(src=self.ip4(), dst=self.ip4()) / UDP()) if r.random() < 0.7 else bytes(r.randrange(20))
        return self.l2(r.choice([0x8847, 0x8848])) + stack + inner

    def llc(self):
        r = self.r
        c = r.randrange(5)
        body = bytes(IP(src=self.ip4(), dst=self.ip4()) / TCP())
        if c == 0:      # plain LLC (STP-like)
            llc = bytes([0x42, 0x42, 0x03]) + bytes(r.randrange(256) for _ in range(r.randrange(40)))
        elif c == 1:    # SNAP with an EtherType
            llc = bytes([0xaa, 0xaa, 0x03, 0, 0, 0]) + struct.pack(">H", r.choice([0x0800, 0x86dd, 0x0806, 0x8100, r.randrange(0x600, 65536)])) + body
        elif c == 2:    # SNAP with a non-zero OUI
            llc = bytes([0xaa, 0xaa, 0x03, 0, 0, r.randrange(1, 256)]) + b"\x08\x00" + body
        elif c == 3:    # SNAP with a "length" as type
            llc = bytes([0xaa, 0xaa, 0x03, 0, 0, 0]) + struct.pack(">H", r.randrange(0x600)) + body
        else:           # short
            llc = bytes([0xaa, 0xaa, 0x03, 0, 0, 0, 8][:r.randrange(8)])
        length = r.choice([len(llc), r.randrange(0x600), 0x5ff, 0])
        e = bytes(Ether(src=self.mac(), dst=self.mac(), type=length))
        tagged = self.l2(length)
        return (tagged if r.random() < 0.2 else e) + llc

    def nsh(self):
        r = self.r
        c = r.randrange(4)
        ver = 0 if c < 3 else r.randrange(1, 4)
        mdtype = [1, 2, r.randrange(256), 1][c]
        length = 6 if mdtype == 1 else r.choice([2, 3, 4, 6])
        if r.random() < 0.15:
            length = r.randrange(64)
        ttl = r.randrange(64)
        flags = r.randrange(4)
        w0 = ver << 14 | flags << 12 | ttl << 6 | length
        hdr = struct.pack(">HBBI", w0, mdtype, r.randrange(256), r.randrange(1 << 32))
        hdr += bytes(r.randrange(256) for _ in range(r.choice([16, 8, 0, 30])))
        return self.l2(0x894f) + hdr

    def unknown(self):
        r = self.r
        t = r.choice([0x0600, 0x88cc, 0x8809, 0x9000, 0xffff, 0x6558, 0x88e7, r.randrange(0x600, 65536)])
        return self.l2(t) + bytes(r.randrange(256) for _ in range(r.randrange(60)))

    def garbage(self):
        r = self.r
        n = r.choice([r.randrange(15), r.randrange(100), r.randrange(300)])
        return bytes(r.randrange(256) for _ in range(n))

    KINDS = ["ipv4", "ipv4", "ipv4", "ipv4", "ipv6", "ipv6", "ipv6", "nd", "nd", "arp", "mpls", "llc",
             "nsh", "unknown"]

    def nd_packet(self):
        return self.l2(0x86dd) + bytes(self.ip6hdr() / self.nd())


    def packet(self, kind=None):
        kind = kind or self.r.choice(self.KINDS)
        if kind == "nd":
            return self.nd_packet()
        return getattr(self, kind)()

    def mutate(self, pkt):
        r = self.r
        b = bytearray(pkt)
        if not b:
            return bytes(b)
        for _ in range(r.randrange(1, 4)):
            i = r.randrange(min(len(b), 120))
            c = r.random()
            if c < 0.4:
                b[i] = r.randrange(256)
            elif c < 0.7:
                b[i] ^= 1 << r.randrange(8)
            else:
                b[i] = r.choice([0, 0xff, 0x01, 0x80, 0x45, 0x05, 0x06])
        return bytes(b)


def write_pcap(path, packets, big_endian=False, linktype=1, nanosecond=False):
    e = ">" if big_endian else "<"
    magic = 0xa1b23c4d if nanosecond else 0xa1b2c3d4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype))
        for i, p in enumerate(packets):
            f.write(struct.pack(e + "IIII", 1700000000 + i, i % 1000000, len(p), len(p) + (i % 3)))
            f.write(p)


def odd_files(gen, directory, packets):
    """Capture files that exercise the reader rather than the parser."""
    r = gen.r
    os.makedirs(directory, exist_ok=True)
    sample = packets[: min(len(packets), 50)]
    write_pcap(os.path.join(directory, "big-endian.pcap"), sample, big_endian=True)
    write_pcap(os.path.join(directory, "nanosecond.pcap"), sample, nanosecond=True)
    write_pcap(os.path.join(directory, "empty.pcap"), [])
    write_pcap(os.path.join(directory, "zero-length.pcap"), sample[:5] + [b""] + sample[5:10])
    whole = open(os.path.join(directory, "big-endian.pcap"), "rb").read()
    for k in range(4):
        cut = r.randrange(len(whole) + 1)
        open(os.path.join(directory, "truncated-%d.pcap" % k), "wb").write(whole[:cut])
    open(os.path.join(directory, "short-header.pcap"), "wb").write(whole[: r.randrange(24)])
    open(os.path.join(directory, "bad-magic.pcap"), "wb").write(b"\x12\x34\x56\x78" + whole[4:])
    write_pcap(os.path.join(directory, "linktype-101.pcap"), sample, linktype=101)
    # Linux cooked capture: good SLL headers, then one with a bad address length.
    sll = []
    for p in sample[:20]:
        if len(p) >= 14:
            sll.append(struct.pack(">HHH", 0, 1, 6) + p[6:12] + b"\0\0" + p[12:])
    write_pcap(os.path.join(directory, "sll.pcap"), sll)
    write_pcap(os.path.join(directory, "sll-bad.pcap"), sll[:3] + [struct.pack(">HHH", 0, 1, 8) + bytes(10)] + sll[3:])
    write_pcap(os.path.join(directory, "sll-short.pcap"), sll[:3] + [bytes(10)])
    # A record length above 0xffff (tried byte-swapped by OVS), and a hopeless one.
    with open(os.path.join(directory, "swapped-length.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", 0, 0, 0x00010000 * 0x40, 64) + bytes(r.randrange(256) for _ in range(64)))
        f.write(struct.pack("<IIII", 0, 0, 0x12345678, 64) + bytes(64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hex")
    ap.add_argument("--odd")
    args = ap.parse_args()

    r = random.Random(args.seed)
    gen = Gen(r)
    count = args.count
    packets = []

    # Every kind at least a few times.
    kinds = ["ipv4", "ipv6", "nd", "arp", "mpls", "llc", "nsh", "unknown", "garbage"]
    for k in kinds:
        for _ in range(3):
            packets.append(gen.packet(k))
    base_target = max(len(packets), count * 35 // 100)
    while len(packets) < base_target:
        packets.append(gen.packet() if r.random() < 0.95 else gen.garbage())

    # Every truncation of a rotating selection of packets.
    trunc_target = count * 70 // 100
    while len(packets) < trunc_target:
        p = gen.packet()
        for n in range(1, len(p) + 1):
            if len(packets) >= trunc_target:
                break
            packets.append(p[:n])

    # Mutations and garbage.
    while len(packets) < count:
        if r.random() < 0.8:
            packets.append(gen.mutate(gen.packet()))
        else:
            packets.append(gen.garbage())

    # OVS stops reading a capture at a zero-length record (fread of 0 bytes
    # "fails"): keep those out of the corpus; odd_files() has one.
    packets = [p if p else b"\x00" for p in packets[:count]]
    write_pcap(args.out, packets)
    if args.hex:
        with open(args.hex, "w") as f:
            for p in packets:
                f.write(p.hex() + "\n")
    if args.odd:
        odd_files(gen, args.odd, packets)


if __name__ == "__main__":
    main()

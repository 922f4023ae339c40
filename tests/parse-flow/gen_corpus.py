#!/usr/bin/env python3
"""Prints the parse-flow corpus: one OpenFlow match per line, covering every
field svs parses, exact and masked, with the protocol shorthands, odd
spacing, and strings both tools must refuse."""

protos = ["ip", "ipv6", "tcp", "udp", "sctp", "icmp", "icmp6", "arp", "rarp",
          "mpls", "mplsm", "tcp6", "udp6", "sctp6", "eth", "ipv4"]
lines = []
add = lines.append
for p in protos:
    add(p)
add("")
for port in ["1", "65279", "LOCAL", "ANY", "CONTROLLER", "NORMAL", "IN_PORT", "local",
             "65534", "4294967294", "70000", "0xffff", "bogus"]:
    add(f"in_port={port}")
for f in ["dl_src", "dl_dst", "eth_src", "eth_dst"]:
    add(f"{f}=00:11:22:33:44:55")
    add(f"{f}=1:2:3:4:5:6")
    add(f"{f}=01:00:00:00:00:00/01:00:00:00:00:00")
    add(f"{f}=aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00")
    add(f"{f}=aa:bb:cc:dd:ee")
for v in ["0x0800", "0x86dd", "0x0806", "0x1234", "2048", "0x88cc", "0x10000"]:
    add(f"dl_type={v}")
    add(f"eth_type={v}")
add("dl_type=0x800,nw_proto=6")
add("dl_type=0x86dd,nw_proto=58")
for v in ["0", "5", "4095", "5000", "0xffff", "*"]:
    add(f"dl_vlan={v}")
for v in ["0", "3", "7", "9"]:
    add(f"dl_vlan_pcp={v}")
    add(f"dl_vlan=10,dl_vlan_pcp={v}")
for v in ["0x1005", "0x1005/0x1fff", "0x0000", "0x0000/0x1000", "0x1000/0x1000", "0xf005/0xefff", "0x3005"]:
    add(f"vlan_tci={v}")
for f in ["nw_src", "nw_dst", "ip_src", "ip_dst"]:
    for v in ["10.0.0.1", "10.0.0.0/8", "10.1.2.3/24", "1.2.3.4/255.0.255.0", "1.2.3.4/0", "1.2.3.4/32",
              "1.2.3.4/33", "1.2.3", "*"]:
        add(f"ip,{f}={v}")
add("nw_src=1.2.3.4")
add("arp,nw_src=1.2.3.4")
for f in ["ipv6_src", "ipv6_dst"]:
    for v in ["::1", "2001:db8::1/64", "fe80::1/ffff::1", "2001:db8::/32", "::/0", "2001:db8::1/128",
              "2001:db8::1/100", "1:2:3:4:5:6:7:8", "zz::1", "::1/129"]:
        add(f"ipv6,{f}={v}")
add("ipv6_src=::1")
for v in ["5", "0x12345", "0x5/0xf", "0xfffff"]:
    add(f"ipv6,ipv6_label={v}")
for f in ["nw_proto", "ip_proto"]:
    for v in ["6", "17", "1", "58", "99", "300"]:
        add(f"ip,{f}={v}")
        add(f"ipv6,{f}={v}")
for v in ["0", "4", "5", "252", "255"]:
    add(f"ip,nw_tos={v}")
    add(f"ipv6,nw_tos={v}")
add("nw_tos=4")
for v in ["0", "1", "3", "4"]:
    add(f"ip,nw_ecn={v}")
    add(f"ip,ip_ecn={v}")
for v in ["0", "5", "63", "64"]:
    add(f"ip,ip_dscp={v}")
add("ip,nw_tos=8,nw_ecn=2")
for v in ["0", "1", "64", "255", "256", "5/3", "5/0xff"]:
    add(f"ip,nw_ttl={v}")
for v in ["no", "yes", "first", "later", "not_later", "NO", "maybe"]:
    add(f"ip,nw_frag={v}")
    add(f"ipv6,ip_frag={v}")
for p in ["tcp", "udp", "sctp", "tcp6", "udp6", "sctp6"]:
    for f in ["tp_src", "tp_dst"]:
        for v in ["80", "0x50/0xfff0", "0", "65535", "0x8000/0x8000", "70000", "-1", "010"]:
            add(f"{p},{f}={v}")
for f in ["tcp_src", "tcp_dst", "udp_src", "udp_dst", "sctp_src", "sctp_dst"]:
    add(f"tcp,{f}=22")
    add(f"udp,{f}=53/0xff00")
add("tp_dst=80")
add("ip,tp_dst=80")
add("tcp,tp_dst=")
for v in ["+syn", "+syn-ack", "-fin", "+syn+ack+fin-rst", "syn|ack", "0x12", "0x12/0x12", "0x12/0xfff",
          "0/0x1", "+ns", "+[200]-[800]", "[400]|syn", "+cwr+ece", "+syn+syn", "+foo", "syn|foo", "0x1000", "fin"]:
    add(f"tcp,tcp_flags={v}")
    add(f"tcp6,tcp_flags={v}")
add("tcp_flags=+syn")
add("udp,tcp_flags=+syn")
for v in ["0", "3", "8", "255", "256", "3/0xf", "3/0xff"]:
    add(f"icmp,icmp_type={v}")
    add(f"icmp,icmp_code={v}")
    add(f"icmp6,icmpv6_type={v}")
    add(f"icmp6,icmpv6_code={v}")
add("icmp,icmp_type=3,icmp_code=1")
add("icmp6,icmp_type=135,nd_target=fe80::1")
add("icmp6,icmp_type=135,nd_target=fe80::1/64,nd_sll=00:11:22:33:44:55")
add("icmp6,icmp_type=136,nd_target=::1,nd_tll=00:11:22:33:44:55/ff:ff:ff:00:00:00")
add("icmp6,icmp_type=136,nd_sll=00:11:22:33:44:55")
add("icmp6,icmp_type=135,icmp_code=1,nd_target=::1")
add("icmp6,nd_target=::1")
for v in ["1", "2", "300"]:
    add(f"arp,arp_op={v}")
    add(f"rarp,arp_op={v}")
for f in ["arp_spa", "arp_tpa"]:
    for v in ["1.2.3.4", "1.2.3.0/24", "1.2.3.4/255.255.0.255"]:
        add(f"arp,{f}={v}")
for f in ["arp_sha", "arp_tha"]:
    for v in ["00:11:22:33:44:55", "00:11:22:33:44:55/ff:ff:ff:00:00:00"]:
        add(f"arp,{f}={v}")
        add(f"rarp,{f}={v}")
add("arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_sha=00:00:00:00:00:01,arp_tha=00:00:00:00:00:02")
for p in ["mpls", "mplsm"]:
    for f, vs in [("mpls_label", ["0", "5", "1048575", "0x100000"]), ("mpls_tc", ["0", "3", "9"]),
                  ("mpls_bos", ["0", "1", "2"]), ("mpls_ttl", ["0", "64", "255"])]:
        for v in vs:
            add(f"{p},{f}={v}")
add("mpls,mpls_label=5,mpls_tc=3,mpls_bos=1,mpls_ttl=5")
add("mpls_label=5")
for v in ["0", "5", "0x5/0xff", "0xffffffffffffffff", "0x1/0x8000000000000001", "0x10000000000000000"]:
    add(f"metadata={v}")
for i in list(range(16)):
    add(f"reg{i}={i * 7 + 1}")
add("reg0=5/0xff")
add("reg15=0xffffffff")
add("reg3=0x100000000")
add("reg16=1")
for i in range(8):
    add(f"xreg{i}=0x{i + 1}0000000{i}")
add("xreg1=5/0xff")
add("xreg8=1")
for v in ["5", "0x5/0xff", "0xffffffffffffffff"]:
    add(f"tun_id={v}")
    add(f"tunnel_id={v}")
for f in ["tun_src", "tun_dst"]:
    for v in ["1.1.1.1", "10.0.0.0/8", "1.2.3.4/255.0.0.255"]:
        add(f"{f}={v}")
for v in ["+oam", "-oam", "oam", "0", "1/1", "+csum"]:
    add(f"tun_flags={v}")
for v in ["5", "5/7", "0xffffffff", "0x100000000"]:
    add(f"pkt_mark={v}")
for v in ["3", "0xffffffff", "3/3"]:
    add(f"skb_priority={v}")
for v in ["trk", "+trk", "+trk-new", "-new+trk", "+trk+est-rel+rpl-inv", "trk|new", "0x21/0x21", "0x21",
          "+snat+dnat", "+bogus", "trk|est", "+trk+trk", "0x100/0x100", "new", "0"]:
    add(f"ct_state={v}")
for v in ["0", "5", "65535", "65536", "5/5"]:
    add(f"ct_zone={v}")
for v in ["5", "0x5/0xff", "0xffffffff"]:
    add(f"ct_mark={v}")
for v in ["0x1", "0x1/0x1", "0x123456789abcdef0123456789abcdef", "1", "0xff00000000000000000000000000000000",
          "0x10000000000000000/0x10000000000000000"]:
    add(f"ct_label={v}")
for v in ["0", "2", "0xffffffff", "2/2"]:
    add(f"recirc_id={v}")
add("recirc_id=2,tcp")
add("recirc_id=2,eth")
add("recirc_id=2,dl_src=01:02:03:04:05:06")
for v in ["5", "0x5/0xf", "0xffffffff"]:
    add(f"dp_hash={v}")
for v in ["5", "0", "4294967295"]:
    add(f"conj_id={v}")
# Priorities and combinations.
for v in ["0", "5", "32768", "65535", "70000", "-1"]:
    add(f"priority={v},ip")
add("tcp,tp_dst=80,priority=10,")
add("priority=100,in_port=1,dl_src=00:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,dl_vlan=5,tcp,nw_src=10.0.0.0/8,nw_dst=10.1.1.1,tp_src=1024,tp_dst=80,tcp_flags=+syn-ack")
add("in_port=2,udp6,ipv6_src=2001:db8::/32,ipv6_dst=::1,udp_dst=53,ipv6_label=0x12345,nw_ttl=64")
add("ct_state=+trk+est,ct_zone=5,ct_mark=0x1/0x1,ct_label=0x2,ip,reg0=1,metadata=0x10")
add("tun_id=0x10,tun_src=1.1.1.1,tun_dst=2.2.2.2,tun_flags=+oam,in_port=LOCAL,arp,arp_op=2")
add("pkt_mark=0x5/0xff,skb_priority=0,dp_hash=0x1/0x3,conj_id=7,icmp,icmp_type=8")
add("ip,ip,nw_dst=1.1.1.1")
add("tcp,ip")
add("ip,tcp")
add("tcp,udp")
add("ipv6,tcp")
add("tcp,nw_proto=17")
add("udp,tp_dst=5,tcp")
add("dl_vlan=5,vlan_tci=0x2000/0xe000")
add("vlan_tci=0x2000/0xe000,dl_vlan=5")
add("ip,nw_src=*,nw_dst=1.2.3.4")
# Odd spacing and delimiters.
add(" tcp ,tp_dst=80")
add("tcp  tp_dst=80")
add("tcp,\ttp_dst=80")
add(",,tcp,,tp_dst=80,,")
add("tcp,tp_dst:80")
add("tcp , tp_dst = 80 ")
add("tcp,tp_dst=0x 50")
add("ip nw_src=1.2.3.4 nw_dst=5.6.7.8")
# Errors.
for bad in ["foo=1", "foo", "vlan_tci1=0x1005", "dl_vlan_pcp1=1", "in_port=", "dl_src=", "ip,nw_src=",
            "tcp,tp_dst=abc", "tcp,tp_dst=80/abc", "tcp,tp_dst=80x", "metadata=0xg", "reg0=1/2/3",
            "ip,nw_tos=abc", "ct_state=+trk*", "tcp_flags=+", "tun_flags=+foo",
            "ip,nw_frag=", "dl_type=0x800/0xffff", "dl_type=0x800/0xff00", "nw_proto=6/0xf0"]:
    add(bad)
# Number, address and wildcard syntax corners.
for m in ['tun_ipv6_src=2001:db8::1', 'tun_ipv6_dst=2001:db8::/64', 'tcp,tp_dst=0X50', 'ip,nw_src=01.2.3.4', 'ip,nw_src=1.2.3.4/08', 'ip,nw_src= 1.2.3.4', 'dl_src=001:2:3:4:5:6', 'in_port=+1', 'in_port=01', 'priority=0x10', 'priority=010', 'ct_state=+trk+', 'ct_state=', 'tcp_flags=', 'ip,nw_frag=', 'ipv6,ipv6_src=::1/ffff::', 'ipv6,ipv6_src=::1/064', 'ipv6,ipv6_src=1.2.3.4', 'ipv6,ipv6_src=::ffff:1.2.3.4', 'reg0', 'tcp(tp_dst=80)', 'ip,nw_src=1.2.3.4/255.255.255.256', 'metadata=0x 1 2', 'ct_label=0x1/0x', 'dl_type=0x800,dl_type=0x86dd', 'tcp,tp_dst=80/0', 'tcp,tp_dst=1/', 'eth_src=ff:ff:ff:ff:ff:ff/ff:ff:ff:ff:ff:ff', 'tcp,tp_dst=0x', 'mpls,mpls_label=*', 'dl_vlan=5,dl_vlan=*', 'ip,nw_tos=*', 'ip,nw_frag=*', 'in_port=*', 'tcp,tcp_flags=*', 'ct_state=*']:
    add(m)
for m in ['ipv6,ipv6_src= ::1', 'ipv6,ipv6_src=::1/ 64', 'ipv6,ipv6_src=::1/-1', 'ipv6,ipv6_src=::1/64x', 'ipv6,ipv6_src=::1/ffff::/1', 'ct_label=0x1/0x1/0x1', 'metadata=-1', 'reg0=-1', 'ct_label=-1', 'tun_id=0x1ffffffffffffffff', 'pkt_mark= 5', 'tcp_flags=+syn ', 'ct_state=+trk|new', 'ct_state=0x21/', 'ct_state=0x21/0x', 'ct_state=1|2', 'ct_state=1||2', 'tcp,tcp_flags=-1', 'ct_state=0x1 /0x1', 'tcp,tcp_flags=+Syn', 'icmp,icmp_type=-1', 'icmp,icmp_type=0x', 'arp,arp_op=0x1ff', 'mpls,mpls_bos=*', 'nw_frag=First', 'in_port= 1', 'in_port=1x', 'in_port=-0', 'dl_vlan=-1', 'ip,nw_ttl=*', 'xreg0=0x1/0x1/', 'ipv6,ipv6_label=*']:
    add(m)
for l in lines:
    print(l)

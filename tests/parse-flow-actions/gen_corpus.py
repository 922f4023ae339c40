#!/usr/bin/env python3
"""Corpus of add-flow lines for tests/parse-flow-actions: every action
family of ovs-ofctl's syntax, flow-mod keywords, and matches that satisfy
or break the actions' prerequisites. One flow per line on stdout."""

matches = ["", "ip", "tcp", "udp", "sctp", "icmp", "arp", "ipv6", "tcp6", "mpls",
           "dl_vlan=5", "in_port=1", "tcp,tp_dst=80", "udp,nw_src=10.0.0.0/8",
           "reg0=5", "metadata=0x5/0xff", "ct_state=+trk", "ipv6,ipv6_src=::1",
           "dl_src=00:11:22:33:44:55/ff:ff:ff:00:00:00", "tun_id=0x10", "ip,nw_dst=1.2.3.4/255.0.255.0",
           "pkt_mark=0x1/0xf", "tcp,tcp_flags=+syn", "eth_type=0x88cc", "vlan_tci=0x1000/0x1000"]

actions = [
    "drop", "output:1", "2", "in_port", "IN_PORT", "normal", "NORMAL", "flood", "all", "local", "LOCAL",
    "controller", "controller:100", "CONTROLLER:65535", "output:65534", "output:controller",
    "controller(reason=no_match)", "controller(max_len=128,id=3)", "controller(userdata=01.02.03)",
    "controller(pause)", "controller(reason=invalid_ttl,meter_id=5)", "none", "table", "output:table",
    "output:NXM_NX_REG0[0..15]", "output:NXM_NX_REG1[]", "output:reg2[0..15]",
    "enqueue:1:2", "enqueue(3,4)", "set_queue:5", "pop_queue", "set_queue:1,output:2,pop_queue",
    "group:5", "meter:3", "meter:1,output:2",
    "mod_vlan_vid:5", "mod_vlan_vid:4095", "set_vlan_vid:10", "mod_vlan_pcp:3", "set_vlan_pcp:7",
    "strip_vlan", "pop_vlan", "push_vlan:0x8100", "push_vlan:0x88a8", "push_vlan:0x8100,mod_vlan_vid:3",
    "mod_dl_src:00:11:22:33:44:55", "mod_dl_dst:aa:bb:cc:dd:ee:ff",
    "mod_nw_src:1.2.3.4", "mod_nw_dst:10.0.0.1", "mod_nw_tos:8", "mod_nw_tos:252", "mod_nw_ecn:2",
    "mod_nw_ttl:64", "set_nw_ttl:5", "mod_tp_src:1234", "mod_tp_dst:8080",
    "set_field:5->reg0", "set_field:0x5/0xf->reg1", "set_field:1->xreg3", "set_field:0x1->xxreg1",
    "set_field:00:11:22:33:44:55->eth_src", "set_field:00:11:22:33:44:55->dl_dst",
    "set_field:00:11:22:33:44:55/ff:ff:00:00:00:00->eth_dst",
    "set_field:1.2.3.4->ip_src", "set_field:1.2.3.4->nw_dst", "set_field:10.0.0.0/8->ip_dst",
    "set_field:80->tcp_dst", "set_field:80->tp_src", "set_field:53->udp_dst", "set_field:9->sctp_src",
    "set_field:5->vlan_vid", "set_field:4101->vlan_vid", "set_field:3->vlan_pcp", "set_field:0x1005->vlan_tci",
    "set_field:0->vlan_tci", "set_field:5->tun_id", "set_field:0x10->tunnel_id", "set_field:5->metadata",
    "set_field:1.1.1.1->tun_src", "set_field:5->pkt_mark", "set_field:0x5/0xff->pkt_mark",
    "set_field:3->ip_dscp", "set_field:2->ip_ecn", "set_field:5->nw_ttl", "set_field:5->in_port",
    "set_field:5->mpls_label", "set_field:3->mpls_tc", "set_field:8->mpls_ttl",
    "set_field:2001:db8::1->ipv6_src", "set_field:::1->ipv6_dst", "set_field:5->ipv6_label",
    "set_field:1->icmp_type", "set_field:2->icmp_code", "set_field:1->arp_op", "set_field:1.2.3.4->arp_spa",
    "set_field:00:00:00:00:00:01->arp_sha", "set_field:5->ct_mark", "set_field:5->dl_type",
    "set_field:5->eth_type", "set_field:1->nosuchfield", "set_field:5", "set_field:x->reg0",
    "set_field:0x100000000->reg0", "set_field:1->tcp_flags",
    "load:5->NXM_NX_REG0[]", "load:5->NXM_NX_REG0[0..3]", "load:0x1->NXM_NX_REG0[5]",
    "load:0xffffffff->NXM_NX_REG3[]", "load:1->reg4[0..7]", "load:5->OXM_OF_PKT_REG3[0..3]",
    "load:5->xreg3[0..3]", "load:5->NXM_NX_XXREG0[0..3]", "load:0x0102->NXM_OF_IP_SRC[0..15]",
    "load:1->NXM_OF_ETH_DST[0]", "load:5->NXM_OF_VLAN_TCI[0..11]", "load:5->NXM_NX_TUN_ID[]",
    "load:0x10->NXM_NX_REG0[0..3]", "load:5->NXM_NX_REG0[3..1]", "load:5->NXM_NX_REG0[0..40]",
    "load:1->xreg3[-3]", "load:1->reg3[-3..-1]", "load:1->reg3[2..-1]", "move:reg0[-1]->reg1[-1]",
    "load:5->NXM_NX_BOGUS[]", "load:5->OXM_OF_METADATA[]", "load:5->NXM_NX_REG0[0..3],load:6->NXM_NX_REG0[4..7]",
    "move:NXM_NX_REG0[]->NXM_NX_REG1[]", "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]",
    "move:NXM_NX_REG0[0..15]->NXM_OF_TCP_DST[]", "move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]",
    "move:reg0[0..7]->reg1[8..15]", "move:NXM_NX_REG0[]->NXM_NX_REG1[0..15]", "move:NXM_NX_REG0[]->xreg1[0..31]",
    "move:NXM_OF_IN_PORT[]->NXM_NX_REG2[0..15]", "move:NXM_NX_REG0[]",
    "push:NXM_NX_REG0[]", "pop:NXM_NX_REG1[0..15]", "push:NXM_OF_ETH_SRC[]",
    "dec_ttl", "dec_ttl(1,2)", "dec_ttl(5)", "dec_ttl()",
    "set_mpls_label:5", "set_mpls_tc:3", "set_mpls_ttl:5", "dec_mpls_ttl", "push_mpls:0x8847",
    "push_mpls:0x8848", "pop_mpls:0x0800", "pop_mpls:0x86dd", "set_mpls_label:0x100000",
    "set_tunnel:5", "set_tunnel64:5", "set_tunnel:0x100000000", "set_tunnel:0",
    "fin_timeout(idle_timeout=5)", "fin_timeout(hard_timeout=10)", "fin_timeout(idle_timeout=5,hard_timeout=3)",
    "resubmit:3", "resubmit(,3)", "resubmit(1,2)", "resubmit(,3,ct)", "resubmit(in_port,5)", "resubmit:LOCAL",
    "resubmit(,)", "resubmit(,256)",
    "conjunction(1,1/2)", "conjunction(5,2/3)", "conjunction(1,1/2),conjunction(2,2/2)", "conjunction(1,3/2)",
    "conjunction(1,1/1)", "note:01.02.03", "note:", "note:0102030405060708090a", "note:xyz",
    "exit", "output:1,exit", "sample(probability=100,collector_set_id=1)",
    "sample(probability=65535,collector_set_id=2,obs_domain_id=3,obs_point_id=4)",
    "clone(output:3)", "clone(mod_dl_src:00:00:00:00:00:01,output:2)", "clone(set_field:5->reg0,resubmit(,2))",
    "clone(clone(output:1))", "ct(commit)", "ct(commit,zone=5)", "ct(table=3)", "ct(commit,zone=NXM_NX_REG0[0..15])",
    "ct(commit,exec(set_field:1->ct_mark))", "ct(commit,exec(load:1->NXM_NX_CT_MARK[]))",
    "ct(commit,exec(set_field:0x1/0x1->ct_label))", "ct(nat)", "ct(commit,nat(src=1.2.3.4))",
    "ct(commit,nat(dst=10.0.0.1-10.0.0.5:80-90))", "ct(commit,alg=ftp)", "ct(commit,force)", "ct_clear",
    "nat(src=1.2.3.4)", "set_field:5->ct_mark",
    "clear_actions", "write_actions(output:1)", "write_actions(set_field:5->reg0,output:2)",
    "clear_actions,write_actions(output:3),goto_table:3", "write_metadata:5", "write_metadata:0x5/0xff",
    "goto_table:1", "output:1,goto_table:2", "goto_table:1,output:1", "meter:1,goto_table:2",
    "write_actions(meter:1)", "apply_actions(output:1)", "nosuchaction", "output:nosuchport", "output:-1",
    "drop,output:1", "output:1,drop", "output:1,2,3", "mod_vlan_vid:5000", "mod_vlan_pcp:9", "push_vlan:0x800",
    "mod_nw_tos:3", "mod_nw_ecn:4", "mod_tp_src:70000", "mod_dl_src:xx", "mod_nw_src:1.2.3",
    "group:0xffffffff", "set_queue:x", "enqueue:1", "resubmit:nosuch",
    "mod_dl_dst:00:00:00:00:00:01,mod_nw_dst:1.1.1.1,mod_tp_dst:22,output:3",
]

flowmods = [
    "priority=5,actions=output:1", "priority=0,actions=drop", "priority=65535,ip,actions=drop",
    "table=3,actions=output:1", "table=0,actions=output:1", "table=255,actions=output:1",
    "cookie=0x5,actions=drop", "cookie=5,actions=drop", "cookie=0x5/0xff,actions=drop",
    "idle_timeout=10,actions=drop", "hard_timeout=20,actions=drop", "idle_timeout=10,hard_timeout=20,actions=drop",
    "importance=3,actions=drop", "send_flow_rem,actions=drop", "check_overlap,actions=drop",
    "reset_counts,actions=drop", "no_packet_counts,actions=drop", "no_byte_counts,actions=drop",
    "send_flow_rem,check_overlap,reset_counts,no_packet_counts,no_byte_counts,actions=drop",
    "priority=100,table=2,cookie=0xabc,idle_timeout=1,hard_timeout=2,importance=7,tcp,tp_dst=22,actions=output:3",
    "out_port=3,actions=drop", "priority=70000,actions=drop", "table=300,actions=drop", "idle_timeout=-1,actions=drop",
    "in_port=1", "in_port=1,actions", "in_port=1 actions=output:2", "ip actions=drop",
    "duration=5s,n_packets=3,n_bytes=100,priority=5,actions=drop", "instructions=output:1",
    "actions=output:1,output:2", "ip,nw_src=1.2.3.4,actions=mod_nw_src:4.3.2.1,normal",
    "tcp,actions=set_field:80->tcp_dst,set_field:1.2.3.4->ip_dst,output:1",
]

out = list(flowmods)
for a in actions:
    out.append("actions=" + a)
# Actions under matches that meet or break their prerequisites.
interesting = [a for a in actions if a.startswith(("mod_", "set_field", "strip", "pop_vlan", "set_vlan", "set_mpls",
                                                     "dec_mpls", "pop_mpls", "fin_timeout", "ct(", "load:", "move:", "enqueue",
                                                     "output:NXM", "clone"))]
for i, a in enumerate(interesting):
    for j in range(3):
        m = matches[(i * 7 + j * 11) % len(matches)]
        out.append((m + "," if m else "") + "actions=" + a)
for m in matches:
    out.append((m + "," if m else "") + "actions=output:1")
    out.append((m + "," if m else "") + "priority=7,actions=mod_dl_src:00:00:00:00:00:09,mod_vlan_vid:4,mod_tp_dst:99,output:2")
for line in out:
    print(line)

# Random combinations (fixed seed): several actions under one match, with
# flow-mod keywords, and odd spellings (case, spaces, parentheses).
import random
rng = random.Random(4)
good = [a for a in actions if not any(bad in a for bad in ("nosuch", "xyz", "70000", "5000", ":9", "0x800", ":3,", "drop", "(,)", "256", "3/2", "1/1", "()", "-1", "BOGUS", "[3..1]", "[0..40]", "0x10->", "x->", "set_field:5,", "conjunction"))]
extras = ["", "priority=9,", "table=4,", "cookie=0x77,", "idle_timeout=3,", "send_flow_rem,", "importance=2,", "reset_counts,"]
for i in range(240):
    m = rng.choice(matches)
    acts = [rng.choice(good) for _ in range(rng.randint(2, 4))]
    line = rng.choice(extras) + (m + "," if m else "") + "actions=" + ",".join(acts)
    print(line)
odd = ["actions=OUTPUT:1", "actions=Output:2", "actions=Mod_Vlan_Vid:5", "actions=NORMAL,FLOOD", "actions=output(1)",
       "actions=resubmit(3)", "actions=output:1 output:2", "actions=  output:1 ,, output:2", "ACTIONS=output:1",
       "priority=5 actions=output:1", "actions=load(5->NXM_NX_REG0[])", "actions=set_field(5->reg0)",
       "actions=dec_ttl(1 2)", "actions=note:01 02", "actions=controller:0", "actions=controller:65536",
       "actions=controller(max_len=70000)", "actions=controller(reason=bogus)", "actions=controller(bogus)",
       "actions=enqueue:LOCAL:5", "actions=enqueue:ANY:5", "actions=output:0xfff8", "actions=output:65279",
       "actions=output:65280", "actions=output:4294967294", "actions=output:4294967040", "actions=resubmit:65279",
       "actions=group:-1", "actions=set_queue:-1", "actions=set_queue:0x100000000", "actions=meter:0",
       "actions=write_metadata:0x5/", "actions=write_metadata:x", "actions=goto_table:0x5", "actions=goto_table:255",
       "actions=push_mpls:0x8847,set_mpls_label:5", "ip,actions=push_mpls:0x8847,mod_nw_src:1.1.1.1",
       "mpls,actions=pop_mpls:0x0800,mod_nw_src:1.1.1.1", "actions=push_vlan:0x8100,set_field:5->vlan_vid",
       "actions=push_vlan:0x8100,set_field:4101->vlan_vid", "actions=set_field:0x1005->vlan_tci,set_field:5->vlan_vid",
       "dl_vlan=5,actions=strip_vlan,mod_vlan_pcp:2", "dl_vlan=5,actions=strip_vlan,set_vlan_pcp:2",
       "tcp,actions=fin_timeout(idle_timeout=1)", "tcp,actions=fin_timeout(bogus=1)", "ct_state=+trk+est,actions=resubmit(,3,ct)",
       "ct_state=+trk-inv,actions=resubmit(,3,ct)", "ct_state=+inv+trk,ip,actions=ct(commit)", "tcp,actions=ct(commit,alg=ftp)",
       "udp,actions=ct(commit,alg=tftp)", "ipv6,actions=ct(commit,nat(src=[2001:db8::1]))", "ip,actions=ct(commit,nat(src=[2001:db8::1]))",
       "ipv6,actions=ct(commit,nat(dst=[2001:db8::1]-[2001:db8::9]:80))", "ip,actions=ct(commit,nat(src=10.0.0.1:80))",
       "ip,actions=ct(commit,nat(src=10.0.0.1,persistent,hash))", "ip,actions=ct(bogus)", "ip,actions=ct(zone=70000)",
       "ip,actions=ct(exec(output:1))", "ip,actions=ct(commit,exec(set_field:5->reg0))", "actions=write_actions(clear_actions)",
       "actions=write_actions(goto_table:1)", "actions=clone(goto_table:1)", "actions=clone(meter:1)",
       "actions=write_actions(write_actions(output:1))", "actions=clear_actions,clear_actions", "actions=goto_table:1,goto_table:2",
       "actions=meter:1,meter:2", "actions=write_metadata:1,write_metadata:2", "actions=output:1,meter:1",
       "actions=conjunction(1,1/2),note:00", "actions=note:00,conjunction(1,1/2)", "actions=conjunction(1, 1/2)",
       "actions=conjunction(0x10,2/2)", "actions=conjunction(1,1/65)", "actions=conjunction(1,0/2)", "actions=conjunction(x)",
       "actions=sample(probability=0)", "actions=sample(collector_set_id=1)", "actions=sample(probability=1,bogus=2)",
       "actions=sample(probability=1,sampling_port=3,ingress)", "actions=sample(probability=1,egress)",
       "actions=move:NXM_NX_REG0[0..7]->NXM_NX_REG1[0..3]", "actions=move:NXM_NX_REG0[]->NXM_OF_ETH_TYPE[]",
       "ip,actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[]", "actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[]",
       "actions=pop:NXM_OF_IN_PORT[]", "actions=push:NXM_NX_REG0[0..40]", "actions=set_field:1->dp_hash",
       "actions=set_field:5->ct_mark", "actions=load:5->NXM_NX_CT_MARK[]", "actions=move:NXM_NX_REG0[]->NXM_NX_CT_MARK[]",
       "actions=set_field:0x5->xxreg0", "actions=set_field:0x123456789abcdef0123456789abcdef->xxreg2",
       "actions=load:0x123456789abcdef0123456789abcdef->NXM_NX_XXREG2[]", "actions=set_field:5/0->reg0",
       "actions=set_field:*->reg0", "actions=set_field:0xffffffff/0xffff0000->reg5", "actions=set_field:1.2.3.4/24->tun_src",
       "actions=set_field:1->tun_flags", "actions=set_field:1->tun_gbp_id", "actions=set_field:1->tun_ttl",
       "actions=set_field:5->in_port_oxm", "actions=set_field:LOCAL->in_port", "actions=set_field:1->actset_output",
       "actions=set_field:0x800->dl_type", "arp,actions=set_field:2->arp_op,set_field:1.1.1.1->arp_tpa",
       "icmp6,icmpv6_type=135,actions=set_field:::1->nd_target,set_field:00:00:00:00:00:01->nd_sll",
       "icmp6,actions=set_field:3->icmpv6_type", "mpls,actions=set_field:1->mpls_bos",
       "actions=set_mpls_ttl:300", "actions=set_mpls_tc:8", "actions=push_mpls:0x800", "actions=pop_mpls:x",
       "actions=set_tunnel:x", "actions=set_tunnel64:0xffffffffffffffff", "actions=mod_nw_ttl:256",
       "actions=mod_dl_src:00:11:22:33:44", "actions=mod_dl_src:00:11:22:33:44:55:66", "actions=mod_nw_src:256.1.1.1",
       "ip,actions=mod_nw_src:1.2.3.4/8", "actions=strip_vlan(5)", "actions=exit(1)", "actions=bogus(1,2)",
       "in_port=1,actions=in_port,output:in_port", "actions=output:IN_PORT", "actions=resubmit(in_port,)",
       "actions=resubmit:in_port", "actions=resubmit(LOCAL,3,ct)", "actions=resubmit(1,3,ctx)",
       "actions=controller(userdata=xx)", "actions=controller(userdata=01.0)", "actions=controller(meter_id=0xffffffff)",
       "actions=controller(max_len=0,pause)", "actions=controller(reason=action)", "actions=controller(reason=action_set)",
       "actions=controller(reason=group,id=0)", "actions=controller(reason=packet_out)",
       "table=254,actions=goto_table:3", "table=2,actions=goto_table:1", "actions=goto_table:x",
       "idle_timeout=0x10,actions=drop", "hard_timeout=010,actions=drop", "priority=0x10,actions=drop",
       "cookie=-1,actions=drop", "cookie=0xffffffffffffffff,actions=drop", "cookie=0x10000000000000000,actions=drop",
       "importance=65536,actions=drop", "table=0x10,actions=drop", "n_packets=5,actions=drop", "duration=1,actions=drop",
       "out_group=5,actions=drop", "priority=,actions=drop", "table=,actions=drop", "nosuchkey=1,actions=drop",
       "reg0[0..3]=5,actions=drop", "tcp,tp_dst=80,actions=mod_tp_dst:8080", "udp6,actions=mod_tp_src:1",
       "sctp6,actions=set_field:5->sctp_dst", "tcp,nw_frag=later,actions=mod_tp_dst:1", "tcp,nw_frag=first,actions=mod_tp_dst:1",
       "tcp,actions=set_field:5->udp_dst", "ipv6,actions=mod_nw_tos:4", "ipv6,actions=mod_nw_dst:1.1.1.1",
       "arp,actions=mod_nw_src:1.1.1.1", "rarp,actions=dec_ttl", "ipv6,actions=dec_ttl", "ipv6,actions=set_field:5->ip_dscp",
       "ip,actions=set_field:64->ip_dscp", "ip,actions=set_field:4->nw_ecn", "ip,actions=set_field:8->nw_tos",
       "ipv6,actions=set_field:0x100000->ipv6_label", "ip,actions=set_field:5->ip_dscp_shifted",
]
for line in odd:
    print(line)

# learn, multipath, bundle.
nx = r'''
actions=learn(table=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])
actions=learn(table=2,idle_timeout=10,hard_timeout=20,fin_idle_timeout=5,fin_hard_timeout=6,priority=7,cookie=0x5,send_flow_rem,delete_learned,limit=3,eth_type=0x800,nw_proto=6,NXM_OF_IP_SRC[],load:NXM_NX_REG0[]->NXM_NX_REG1[])
actions=learn(table=1,eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[],load:0x5->NXM_NX_REG0[0..3],output:NXM_NX_REG1[0..15])
ip,actions=learn(table=1,eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])
actions=learn(table=1,NXM_OF_IP_DST[])
actions=learn(table=1,eth_type=0x800,NXM_OF_IP_DST[])
actions=learn(table=255)
actions=learn(table=1,bogus=1)
actions=learn(table=1,load:0x10->NXM_NX_REG0[0..3])
actions=learn(table=1,load:->NXM_NX_REG0[0..3])
actions=learn(table=1,load:5)
actions=learn(table=1,NXM_NX_REG0[0..7]=NXM_NX_REG1[0..15])
actions=learn(table=1,in_port=5,dl_vlan=3)
actions=learn(table=1,eth_src=00:11:22:33:44:55,NXM_NX_REG0[0..3]=0x5)
actions=learn(table=1,result_dst=NXM_NX_REG0[0])
actions=learn(table=1,result_dst=NXM_NX_REG0[0..1])
actions=learn()
actions=learn(table=3,priority=0,idle_timeout=0,NXM_NX_TUN_ID[])
actions=multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[0..5])
actions=multipath(symmetric_l4,1024,hash_threshold,16,0,NXM_NX_REG0[0..3])
actions=multipath(symmetric_l3l4+udp,0,hrw,12,5,NXM_NX_REG1[])
actions=multipath(nw_src,0,iter_hash,65536,0,NXM_NX_REG1[0..15])
actions=multipath(eth_src,0,modulo_n,65537,0,NXM_NX_REG1[0..15])
actions=multipath(eth_src,0,modulo_n,17,0,NXM_NX_REG1[0..3])
actions=multipath(bogus,0,modulo_n,1,0,NXM_NX_REG1[])
actions=multipath(eth_src,0,bogus,1,0,NXM_NX_REG1[])
actions=multipath(eth_src,0,modulo_n,1,0)
actions=bundle(eth_src,0,active_backup,ofport,members:4,8)
actions=bundle(symmetric_l4,60,hrw,ofport,members:2,3,4)
actions=bundle(eth_src,0,hrw,ofport,slaves:1)
actions=bundle_load(eth_src,0,hrw,ofport,NXM_NX_REG0[],members:1,2)
actions=bundle_load(nw_dst,5,active_backup,ofport,NXM_NX_REG0[0..15],members:1,2,LOCAL)
actions=bundle(eth_src,0,hrw,ofport,bogus:1)
actions=bundle(eth_src,0,hrw,bogus,members:1)
actions=bundle(eth_src,0,hrw,ofport,members:x)
actions=bundle(eth_src,0,hrw)
actions=bundle(eth_src,0,hrw,ofport,members:)
actions=bundle(eth_src,0,hrw,ofport,members:65535)
actions=bundle(eth_src,0,hrw,ofport,members:CONTROLLER)
actions=bundle(eth_src,0,hrw,ofport,members:LOCAL,IN_PORT)
ip,actions=multipath(symmetric_l3,0,hrw,2,0,NXM_OF_IP_SRC[0..3])
actions=multipath(symmetric_l3,0,hrw,2,0,NXM_OF_IP_SRC[0..3])
ip,actions=learn(table=1,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])
actions=learn(table=1,eth_type=0x800,load:NXM_OF_IP_SRC[]->NXM_NX_REG0[])
ip,actions=learn(table=1,eth_type=0x800,load:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[])
actions=learn(table=1,load:NXM_NX_REG0[]->NXM_OF_IP_DST[])
tcp,actions=learn(table=1,eth_type=0x800,nw_proto=6,NXM_OF_TCP_DST[]=NXM_OF_TCP_SRC[],idle_timeout=60),output:1
actions=learn(table=1,ipv6_src=::1,eth_type=0x86dd)
actions=learn(table=1,eth_type=0x86dd,ipv6_src=::1)
actions=learn(table=10, in_port=99, NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[], load:NXM_OF_IN_PORT[]->NXM_NX_REG1[16..31])
actions=learn(table=1,cookie=0x123456789abcdef0,NXM_NX_REG0[])
ip,actions=delete_field:tun_metadata0
ip,actions=delete_field:reg0
actions=output(port=1,max_len=100)
actions=output(port=LOCAL,max_len=14)
actions=output(port=1,max_len=10)
actions=output(port=CONTROLLER,max_len=100)
actions=output(port=1,max_len=100,bogus=1)
actions=output_reg:NXM_NX_REG0[]
actions=check_pkt_larger(1500)->NXM_NX_REG0[0]
actions=check_pkt_larger(1500)->NXM_NX_REG0[0..1]
actions=check_pkt_larger(x)->NXM_NX_REG0[0]
actions=check_pkt_larger(64)->reg1[3],output:2
ip,actions=output(port=1,max_len=100),check_pkt_larger(64)->reg1[3],output:2
actions=unroll_xlate
ip,actions=dec_nsh_ttl
ipv6,actions=ct(commit,nat(dst=2001:db8::1a-2001:db8::89))
ipv6,actions=ct(commit,nat(dst=[2001:db8::1A]-[2001:db8::0:89]))
ipv6,actions=ct(commit,nat(src=[2001:db8::1]:80-90))
ip,actions=ct(commit,nat(src=10.0.0.5-10.0.0.1))
ip,actions=ct(commit,nat(src=10.0.0.1:90-80))
ip,actions=ct(commit,nat(src=10.0.0.1x))
ip,actions=ct(commit,nat(src=300.0.0.1))
ipv6,actions=ct(commit,nat(src=2001:db8::1:80))
ip,actions=ct(commit,nat(src=10.0.0.1:70000))
ip,actions=ct(commit,nat(src=))
ip,actions=ct(commit,nat(dst=10.1.1.1,persistent,random))
'''
for line in nx.strip().splitlines():
    print(line)

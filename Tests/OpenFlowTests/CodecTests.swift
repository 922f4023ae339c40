import Flow
import OFProto
import Testing
@testable import OpenFlow

/// Flows in `ovs-ofctl` syntax, parsed by OFProto's parser, as test input.
private let flows = [
    "priority=5,ip,nw_src=10.0.0.0/8,actions=output:3",
    "table=3,tcp,tp_dst=80,actions=mod_nw_src:1.2.3.4,resubmit(,4),load:5->NXM_NX_REG3[0..7]",
    "cookie=0x10,priority=100,in_port=1,dl_src=00:11:22:33:44:55,actions=drop",
    "priority=100,in_port=2,arp,arp_tpa=192.168.0.1,actions=NORMAL",
    "priority=90,udp6,ipv6_dst=fe80::/64,udp_dst=53,actions=CONTROLLER:100",
    "idle_timeout=30,priority=7,vlan_tci=0x1005/0x1fff,actions=strip_vlan,output:2",
    "priority=8,reg0=0x5/0xf,actions=move:NXM_NX_REG0[]->NXM_NX_REG1[],resubmit(,2)",
    "tcp,tcp_flags=+syn-ack,actions=set_field:10.0.0.1->ip_dst,dec_ttl,output:1",
    "ip,ct_state=+trk+new,actions=ct(commit,zone=3,nat(src=1.2.3.4-1.2.3.9:100-200)),output:2",
    "icmp,icmp_type=8,actions=set_field:0x3/0x7->reg4,note:aabbcc,exit",
    "ip,actions=write_actions(output:3),write_metadata:0x5/0xff,goto_table:4",
    "dl_vlan=10,actions=mod_vlan_vid:20,mod_vlan_pcp:3,output:4,enqueue:1:2",
    "actions=conjunction(7,1/2)",
    "mpls,mpls_label=5,actions=pop_mpls:0x0800,set_queue:3,pop_queue",
    "ipv6,ipv6_src=2001:db8::/32,nw_ttl=3,actions=clone(set_field:1->reg0,resubmit(,3)),fin_timeout(idle_timeout=5)",
    "actions=learn(table=10,in_port=99,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG1[16..31],output:NXM_OF_IN_PORT[])",
    "actions=learn(table=1,limit=10,result_dst=reg0[5],eth_src=00:11:22:33:44:55,load:0x5->NXM_NX_REG0[0..3])",
    "actions=multipath(symmetric_l4,1024,hash_threshold,16,0,NXM_NX_REG0[0..3])",
    "actions=bundle_load(nw_dst,5,active_backup,ofport,NXM_NX_REG0[0..15],members:1,2,LOCAL)",
    "actions=bundle(eth_src,0,hrw,ofport,members:4,8)",
    "actions=sample(probability=12345,collector_set_id=23456,obs_domain_id=34567,obs_point_id=45678,sampling_port=3,egress)",
    "actions=check_pkt_larger(1500)->NXM_NX_REG0[0],output:1",
]

/// A match as `ovs-ofctl` prints it (what a dump shows).
private func shown(_ m: Match) -> String { m.normalized().formatted(priority: 0x8000) }

private func parsed(_ text: String) throws -> FlowModText { try FlowModText.parse(text) }

private func flowMod(_ f: FlowModText) -> OFFlowMod {
    var fm = OFFlowMod()
    fm.match = f.match
    fm.priority = UInt16(f.priority)
    fm.newCookie = f.cookie
    fm.table = f.table == 255 ? 0 : f.table
    fm.idleTimeout = f.idleTimeout
    fm.hardTimeout = f.hardTimeout
    fm.actions = f.actions
    return fm
}

@Suite struct MatchCodecTests {
    @Test func nxmAndOXMRoundTrip() throws {
        for text in flows {
            let f = try parsed(text)
            for oxm: UInt8? in [nil, 4, 5, 6] {
                let bytes = OFMatchCodec.encodeFields(f.match, oxmVersion: oxm)
                var r = OFReader(bytes)
                let back = try OFMatchCodec.decodeFields(&r)
                #expect(shown(back) == shown(f.match), "\(text) with \(String(describing: oxm))")
            }
        }
    }

    @Test func of10MatchRoundTrip() throws {
        for text in ["priority=5,ip,nw_src=10.0.0.0/8,actions=drop", "in_port=1,dl_src=00:11:22:33:44:55,actions=drop",
                     "tcp,tp_dst=80,nw_tos=8,actions=drop", "dl_vlan=10,dl_vlan_pcp=3,actions=drop", "vlan_tci=0,actions=drop"] {
            let m = try parsed(text).match.normalized()
            var w = OFWriter()
            OFMatchCodec.encodeOF10(m, into: &w)
            #expect(w.count == 40)
            var r = OFReader(w.bytes)
            #expect(shown(try OFMatchCodec.decodeOF10(&r)) == shown(m), "\(text)")
        }
    }

    @Test func prerequisitesEnforced() {
        // tcp_dst without ip/tcp before it.
        var w = OFWriter()
        w.u16(0x0000); w.u8(12 << 1); w.u8(2); w.u16(80)     // NXM_OF_TCP_DST
        var r = OFReader(w.bytes)
        #expect(throws: OFDecodeError.self) { try OFMatchCodec.decodeFields(&r) }
        do { var r2 = OFReader(w.bytes); _ = try OFMatchCodec.decodeFields(&r2) } catch { #expect(error.error == .badPrerequisite) }
    }

    @Test func duplicateAndUnknownFields() {
        var w = OFWriter()
        w.u16(0x0000); w.u8(3 << 1); w.u8(2); w.u16(0x0800)
        w.u16(0x0000); w.u8(3 << 1); w.u8(2); w.u16(0x0800)
        var r = OFReader(w.bytes)
        do { _ = try OFMatchCodec.decodeFields(&r); Issue.record("duplicate accepted") } catch { #expect(error.error == .duplicateField) }
        var u = OFWriter()
        u.u16(0x0005); u.u8(1 << 1); u.u8(2); u.u16(1)
        var r2 = OFReader(u.bytes)
        do { _ = try OFMatchCodec.decodeFields(&r2); Issue.record("unknown accepted") } catch { #expect(error.error == .badField) }
    }
}

@Suite struct ActionCodecTests {
    /// Encoding then decoding gives what OFActionEncoding says the
    /// version's encoding makes of the list.
    @Test func actionsRoundTripEveryVersion() throws {
        for text in flows {
            let f = try parsed(text)
            for v: UInt8 in [1, 4, 5, 6] {
                let bytes = OFActionCodec.encode(f.actions, version: v, match: f.match)
                var r = OFReader(bytes)
                let back = v == 1 ? try OFActionCodec.decodeActions(&r, version: v) : try OFActionCodec.decodeInstructions(&r, version: v)
                let expected = OFActionEncoding.roundTrip(f.actions, version: OFVersion(rawValue: v)!, match: f.match)
                #expect(OFAction.format(back) == OFAction.format(expected), "\(text) in version \(v)")
            }
        }
    }

    @Test func unknownActionsGetTheirErrors() {
        func decode(_ bytes: [UInt8]) -> OFErrorCode? {
            var r = OFReader(bytes)
            do { _ = try OFActionCodec.decodeActions(&r, version: 1); return nil } catch { return error.error }
        }
        #expect(decode([0, 99, 0, 8, 0, 0, 0, 0]) == .badActionType)
        #expect(decode([0xff, 0xff, 0, 16, 0, 0, 0x12, 0x34, 0, 1, 0, 0, 0, 0, 0, 0]) == .badActionVendor)
        #expect(decode([0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0x0f, 0xff, 0, 0, 0, 0, 0, 0]) == .badActionVendorType)
        #expect(decode([0, 0, 0, 12, 0, 1, 0, 0]) == .badActionLength)
        #expect(decode([0, 0, 0]) == .badRequestLength)
    }
}

@Suite struct MessageTests {
    @Test func flowModRoundTripEveryVersion() throws {
        for text in flows {
            let f = try parsed(text)
            for (v, nxm) in [(UInt8(1), true), (1, false), (4, false), (5, false), (6, false)] {
                if v == 1 && !nxm && !f.usableProtocols.contains(.of10Std) { continue }
                let fm = flowMod(f)
                let msg = fm.encode(version: v, nxm: nxm, tableIDs: true)
                let format = { var c = OFConnectionFormat(version: v); c.nxm = nxm; c.flowModTableID = true; return c }()
                let back: OFFlowMod
                if v == 1 && nxm {
                    var r = OFReader(msg.body)
                    try r.skip(8)
                    back = try OFFlowMod.decodeNX(&r, format: format)
                } else if v == 1 {
                    back = try OFFlowMod.decodeOF10(msg.body, format: format)
                } else {
                    back = try OFFlowMod.decodeOF11(msg.body, version: v)
                }
                #expect(shown(back.match) == shown(fm.match), "\(text) v\(v)")
                #expect(back.priority == fm.priority && back.newCookie == fm.newCookie && back.table == fm.table)
                #expect(back.idleTimeout == fm.idleTimeout && back.hardTimeout == fm.hardTimeout)
                // Re-encoding the decoded flow-mod gives the same bytes.
                #expect(back.encode(version: v, nxm: nxm, tableIDs: true).encoded.count == msg.encoded.count, "\(text) v\(v)")
            }
        }
    }

    @Test func helloNegotiation() {
        let ours = OFHello.message()
        #expect(OFHello.peerVersions(ours) == OFHello.supported)
        #expect(OFHello.negotiate(peer: OFMessage(version: 4, type: 0, xid: 1)) == 4)
        #expect(OFHello.negotiate(peer: OFMessage(version: 2, type: 0, xid: 1)) == 1)
        let only2 = OFHello.message(versions: [2])
        #expect(OFHello.negotiate(peer: only2) == nil)
    }

    @Test func framing() throws {
        let m = OFMessage(version: 4, type: 2, xid: 7, body: [1, 2, 3])
        let bytes = m.encoded + [4, 0]
        let (back, used) = try #require(try OFMessage.frame(bytes[...]))
        #expect(back == m && used == 11)
        #expect(try OFMessage.frame(bytes[11...]) == nil)
        #expect(throws: OFDecodeError.self) { try OFMessage.frame([4, 2, 0, 3, 0, 0, 0, 0][...]) }
    }
}

@Suite struct SessionTests {
    func session(_ v: UInt8) -> OFSwitchSession {
        var settings = BridgeSettings()
        settings.failSecure = true      // no default NORMAL flow
        let s = OFSwitchSession(bridge: OFProtoBridge(name: "br0", datapathName: "ovs-netdev", settings: settings), datapathID: 1)
        _ = s.handle(OFHello.message(versions: [v]))
        return s
    }

    @Test func addDumpDelete() throws {
        for (v, nxm) in [(UInt8(1), true), (4, false), (6, false)] {
            let s = session(v)
            if nxm { _ = s.handle(OFMessage(version: 1, type: 4, xid: 2, body: [0, 0, 0x23, 0x20, 0, 0, 0, 12, 0, 0, 0, 2])) }
            var fm = flowMod(try parsed("priority=5,ip,nw_src=10.0.0.0/8,actions=output:3"))
            fm.table = 0
            #expect(s.handle(fm.encode(version: v, nxm: nxm, xid: 3)).isEmpty)
            let barrier = s.handle(OFMessage(version: v, type: OFType.barrierRequest(v), xid: 4))
            #expect(barrier.map(\.type) == [OFType.barrierReply(v)])
            #expect(s.bridge.pipeline.read { $0.ruleCount(in: OpenFlowTableID(0)) } == 1)
            // check_overlap on an overlapping rule of the same priority.
            var overlap = flowMod(try parsed("priority=5,ip,actions=drop"))
            overlap.flags = 2
            let err = s.handle(overlap.encode(version: v, nxm: nxm, xid: 5))
            #expect(err.count == 1 && err[0].type == OFType.error)
            #expect(OFErrorCode.decode(version: v, body: err[0].body) == .overlap)
            var del = OFFlowMod()
            del.command = .delete
            del.table = 255
            _ = s.handle(del.encode(version: v, nxm: nxm, tableIDs: false, xid: 6))
            #expect(s.bridge.pipeline.read { $0.ruleCount(in: OpenFlowTableID(0)) } == 0)
        }
    }

    @Test func malformedMessagesGetErrorsAndTheSessionLives() {
        let s = session(4)
        let bad: [OFMessage] = [
            OFMessage(version: 4, type: 99, xid: 1),
            OFMessage(version: 4, type: 14, xid: 2, body: [1, 2, 3]),
            OFMessage(version: 4, type: 18, xid: 3, body: [0, 77, 0, 0, 0, 0, 0, 0]),
            OFMessage(version: 1, type: 2, xid: 4),
            OFMessage(version: 4, type: 4, xid: 5, body: [0, 0, 0x23, 0x20, 0, 0, 0, 99]),
        ]
        let expected: [OFErrorCode] = [.badType, .badRequestLength, .badStat, .badVersion, .badSubtype]
        for (m, e) in zip(bad, expected) {
            let replies = s.handle(m)
            #expect(replies.count == 1 && replies[0].type == OFType.error && replies[0].xid == m.xid)
            #expect(OFErrorCode.decode(version: 4, body: replies[0].body) == e, "\(m)")
        }
        let echo = s.handle(OFMessage(version: 4, type: 2, xid: 9, body: [5]))
        #expect(echo == [OFMessage(version: 4, type: 3, xid: 9, body: [5])])
    }
}

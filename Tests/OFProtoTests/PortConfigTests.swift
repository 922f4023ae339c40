import Datapath
import Flow
@testable import OFProto
import Testing
import Wire

/// OFPT_PORT_MOD's bits in translation (PortConfig.swift): NO_FLOOD leaves
/// a port out of FLOOD and NORMAL's flooding but not ALL, NO_FWD drops any
/// output to it, NO_RECV runs no actions for what it receives (802.1D
/// frames excepted, which NO_RECV_STP drops).
@Suite struct PortConfigTests {
    func bridges(_ flows: [String]? = nil) throws -> (OFProtoBridges, OFProtoBridge) {
        let b = try xlateBridges(br0Flows: flows)
        return (b, b.bridge(named: "br0")!)
    }

    func set(_ br: OFProtoBridge, _ port: UInt16, _ bits: OFPortConfig, on: Bool = true) throws {
        let p = OFPort(rawValue: port)
        try br.modifyPort(p, hardwareAddress: br.ports.first { $0.ofport == p }?.mac?.rawValue ?? 0,
                          config: on ? bits : [], mask: bits)
    }

    @Test func noFloodLeavesNormalAndFloodButNotAll() throws {
        let (b, br0) = try bridges()
        try set(br0, 3, .noFlood)
        let out = try trace(b, "br0", "in_port=1,dl_dst=ff:ff:ff:ff:ff:ff")
        #expect(line(out, "Datapath actions: ")?.split(separator: ",").contains("3") == false)
        let (b2, br2) = try bridges(["in_port=1,actions=FLOOD", "in_port=2,actions=ALL"])
        try set(br2, 3, .noFlood)
        #expect(line(try trace(b2, "br0", "in_port=1"), "Datapath actions: ")?.split(separator: ",").contains("3") == false)
        #expect(line(try trace(b2, "br0", "in_port=2"), "Datapath actions: ")?.split(separator: ",").contains("3") == true)
        try set(br2, 3, .noFlood, on: false)
        #expect(line(try trace(b2, "br0", "in_port=1"), "Datapath actions: ")?.split(separator: ",").contains("3") == true)
    }

    @Test func noForwardSkipsOutputs() throws {
        let (b, br0) = try bridges(["in_port=1,actions=output:3,output:2"])
        try set(br0, 3, .noForward)
        let out = try trace(b, "br0", "in_port=1")
        #expect(out.contains("OFPPC_NO_FWD set, skipping output"))
        #expect(line(out, "Datapath actions: ") == "2")
    }

    @Test func noReceiveDropsButNotSTPUnlessAsked() throws {
        let (b, br0) = try bridges(["in_port=1,actions=output:2"])
        try set(br0, 1, .noReceive)
        #expect(line(try trace(b, "br0", "in_port=1"), "Datapath actions: ") == "drop")
        // 802.1D BPDUs (802.2 frames to 01:80:c2:00:00:00) are NO_RECV_STP's.
        let bpdu = "in_port=1,dl_dst=01:80:c2:00:00:00,dl_type=0x05ff"
        #expect(line(try trace(b, "br0", bpdu), "Datapath actions: ") == "2")
        try set(br0, 1, .noReceiveSTP)
        #expect(line(try trace(b, "br0", bpdu), "Datapath actions: ") == "drop")
    }

    @Test func portModChecksPortAndAddressAndKeepsBitsAcrossReconfiguration() throws {
        let (_, br0) = try bridges()
        #expect(throws: PortModError.self) { try br0.modifyPort(OFPort(rawValue: 9), hardwareAddress: 0, config: [], mask: .noFlood) }
        #expect(throws: PortModError.self) { try br0.modifyPort(OFPort(rawValue: 1), hardwareAddress: 5, config: [], mask: .noFlood) }
        try set(br0, 1, [.noFlood, .noPacketIn])
        #expect(br0.portConfig(OFPort(rawValue: 1)) == [.noFlood, .noPacketIn])
        // The bridge layer publishes the ports again: the bits stay; a port
        // that goes away and comes back starts clean.
        let ports = br0.ports
        br0.setPorts(ports)
        #expect(br0.portConfig(OFPort(rawValue: 1)) == [.noFlood, .noPacketIn])
        br0.setPorts(ports.filter { $0.ofport != OFPort(rawValue: 1) })
        br0.setPorts(ports)
        #expect(br0.portConfig(OFPort(rawValue: 1)) == [])
        #expect(br0.portAge(OFPort(rawValue: 1)) != nil && br0.portAge(OFPort(rawValue: 9)) == nil)
    }
}

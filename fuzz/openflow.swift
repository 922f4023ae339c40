// fuzz-modules: Wire Flow Datapath DPIF OFProto OpenFlow
//
// libFuzzer target: the OpenFlow message decoder over arbitrary bytes (one
// message, header included). Nothing may trap: a switch session must answer
// any message (with an error if need be). A flow-mod that decodes (OpenFlow
// 1.0, Nicira NXT_FLOW_MOD, OpenFlow 1.3-1.5) is encoded again in the same
// form; that must decode to the same flow-mod, and from there encoding and
// decoding is a fixed point. Run it with `scripts/fuzz openflow SECONDS`;
// seeds in openflow.seeds (flow-mods, group-mods and meter-mods as
// ovs-ofctl sends them).
import OFProto
import OpenFlow

nonisolated(unsafe) let bridge = OFProtoBridge(name: "br0", datapathName: "ovs-netdev")

/// Decodes `m` as a flow-mod if it is one; `nxm` tells which form it had.
func decodeFlowMod(_ m: OFMessage) -> (OFFlowMod, nxm: Bool)? {
    var format = OFConnectionFormat(version: m.version)
    format.flowModTableID = true
    if m.version == 1 && m.type == 14 { return (try? OFFlowMod.decodeOF10(m.body, format: format)).map { ($0, false) } }
    if m.version == 1 && m.type == 4 {
        var r = OFReader(m.body)
        guard (try? r.u32()) == 0x2320, (try? r.u32()) == 13 else { return nil }
        return (try? OFFlowMod.decodeNX(&r, format: format)).map { ($0, true) }
    }
    if m.version >= 4 && m.version <= 6 && m.type == 14 {
        return (try? OFFlowMod.decodeOF11(m.body, version: m.version)).map { ($0, false) }
    }
    return nil
}

/// What must survive a re-encoding: every field, the match and actions as printed.
func summary(_ f: OFFlowMod) -> String {
    "\(f.command) \(f.priority) \(f.cookie)/\(f.cookieMask) new=\(f.newCookie) t=\(f.table) \(f.idleTimeout) \(f.hardTimeout) "
        + "imp=\(f.importance) fl=\(f.flags) buf=\(f.bufferID) out=\(f.outPort) grp=\(f.outGroup) "
        + f.match.normalized().formatted(priority: Int(f.priority)) + " " + OFAction.format(f.actions)
}

func reencode(_ f: OFFlowMod, like m: OFMessage, nxm: Bool) -> OFMessage {
    f.encode(version: m.version, nxm: nxm, tableIDs: true, xid: m.xid)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let framed = try? OFMessage.frame(bytes[...]) else { return 0 }
    let m = framed.0

    // A session answers anything.
    let session = OFSwitchSession(bridge: bridge, datapathID: 1)
    _ = session.handle(OFHello.message(versions: [max(1, min(m.version, 6))]))
    _ = session.handle(m)
    _ = bridge.pipeline.transaction { $0.delete(table: .all, .all) }
    bridge.groups.delete(OFGroup.allID)
    bridge.meters.delete(OFMeter.allID)
    SharedActionLists.removeAll()

    guard let (first, nxm) = decodeFlowMod(m) else { return 0 }
    let m2 = reencode(first, like: m, nxm: nxm)
    guard let (second, _) = decodeFlowMod(m2) else {
        fatalError("re-encoded flow-mod does not decode: \(summary(first)) -> \(m2.encoded)")
    }
    let m3 = reencode(second, like: m, nxm: nxm)
    guard let (third, _) = decodeFlowMod(m3) else { fatalError("second re-encoding does not decode: \(summary(second))") }
    guard summary(third) == summary(second), m3.encoded == m2.encoded else {
        fatalError("not a fixed point: \(summary(second)) -> \(summary(third))")
    }
    return 0
}

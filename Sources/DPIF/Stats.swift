import Datapath

// The stats structs of the datapath interface, as fixed-layout payloads
// (host-order `u64`/`u32` fields, C layout).

extension DatapathStats: FixedLayout {
    /// `struct ovs_dp_stats`.
    static var size: Int { 32 }
    func write(into out: inout [UInt8]) {
        for v in [hit, missed, lost, flows] { out.appendLittleEndian(v, 8) }
    }
    init(reading r: inout ByteReader) {
        self.init(hit: r.le64(), missed: r.le64(), lost: r.le64(), flows: r.le64())
    }
}

extension MegaflowStats: FixedLayout {
    /// `struct ovs_dp_megaflow_stats` (with its two pads).
    static var size: Int { 32 }
    func write(into out: inout [UInt8]) {
        out.appendLittleEndian(maskHits, 8)
        out.appendLittleEndian(UInt64(masks), 4)
        out.appendZeros(4)
        out.appendLittleEndian(cacheHits, 8)
        out.appendZeros(8)
    }
    init(reading r: inout ByteReader) {
        let maskHits = r.le64()
        let masks = r.le32()
        _ = r.le32()
        self.init(maskHits: maskHits, masks: masks, cacheHits: r.le64())
    }
}

extension PortStats: FixedLayout {
    /// `struct ovs_vport_stats`.
    static var size: Int { 64 }
    func write(into out: inout [UInt8]) {
        for v in [rxPackets, txPackets, rxBytes, txBytes, rxErrors, txErrors, rxDropped, txDropped] {
            out.appendLittleEndian(v, 8)
        }
    }
    init(reading r: inout ByteReader) {
        self.init(rxPackets: r.le64(), txPackets: r.le64(), rxBytes: r.le64(), txBytes: r.le64(),
                  rxErrors: r.le64(), txErrors: r.le64(), rxDropped: r.le64(), txDropped: r.le64())
    }
}

extension FlowStats: FixedLayout {
    /// `struct ovs_flow_stats`.
    static var size: Int { 16 }
    func write(into out: inout [UInt8]) {
        out.appendLittleEndian(packets, 8)
        out.appendLittleEndian(bytes, 8)
    }
    init(reading r: inout ByteReader) {
        self.init(packets: r.le64(), bytes: r.le64())
    }
}

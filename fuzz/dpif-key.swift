// fuzz-modules: Wire Flow Datapath DPIF
//
// libFuzzer target: arbitrary bytes as flow key (and mask) attributes, the
// payloads of OVS_FLOW_ATTR_KEY/MASK. Decoding must not trap; a flow that
// decodes must encode to attributes that decode to the same flow, and its
// text must format.
// Run it with `scripts/fuzz dpif-key SECONDS`.
import Flow
import DPIF
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte splits the input into key and mask; its low bit picks vlan-limit.
    let split = bytes.isEmpty ? 0 : min(Int(bytes[0]) * 4, bytes.count - 1)
    let vlanLimit = bytes.first.map { Int($0 & 1) } ?? 1
    let body = bytes.dropFirst()
    let keyBytes = Array(body.prefix(split))
    let maskBytes = Array(body.dropFirst(split))
    guard let key = try? KeyAttributes(validating: keyBytes) else { return 0 }
    let mask = try? KeyAttributes(validating: maskBytes)

    if let attrs = try? FlowKeyCodec.attributes(parsing: key.bytes) {
        var out = TextBuffer()
        let maskAttrs = mask.flatMap { try? FlowKeyCodec.attributes(parsing: $0.bytes) }
        DatapathKeyAttributes.format(key: attrs, mask: maskAttrs, into: &out)
        DatapathKeyAttributes.format(key: attrs, mask: maskAttrs, into: &out, verbose: true)
    }
    for m in [mask, nil] {
        guard let (k, fm) = try? FlowKeyCodec.decode(key: key, mask: m, vlanLimit: vlanLimit) else { continue }
        // A packet_type other than Ethernet or (ns=1, id=eth_type) is not
        // stable in OVS either: re-decoding derives it from eth_type.
        guard k.packetType == 0 || k.packetType == 1 << 16 | UInt32(k.ethType.rawValue) else { continue }
        // ARP opcode 255 encodes as 0xffff (OVS's get_arp_key serves keys and
        // masks alike), which no key decodes: OVS has the same dead end.
        let isARP = k.ethType.rawValue == 0x0806 || k.ethType.rawValue == 0x8035
        if isARP && k.networkProtocol.rawValue == 0xff { continue }
        // A tunnel without a destination is no tunnel: its key attribute is not
        // exported but its mask is, with the key's option length (OVS's
        // odp_flow_key_from_mask does the same), so such keys do not round-trip.
        let noTunnelDestination = k.tunnelIPv4Destination == .any && k.tunnelIPv6Destination == .any
        if noTunnelDestination && (5..<17).contains(where: { k.words[$0] != 0 }) { continue }
        let (kb, mb) = FlowKeyCodec.encode(key: k, mask: fm, vlanLimit: vlanLimit)
        guard let (k2, m2) = try? FlowKeyCodec.decode(key: kb, mask: mb, vlanLimit: vlanLimit) else {
            fatalError("re-encoded flow does not decode: \(DatapathKeyAttributes.formatted(key: k, mask: fm, verbose: true))")
        }
        let (kb2, mb2) = FlowKeyCodec.encode(key: k2, mask: m2, vlanLimit: vlanLimit)
        if kb2 != kb || mb2 != mb { fatalError("encoding is not stable: \(DatapathKeyAttributes.formatted(key: k2, mask: m2, verbose: true)) vs \(DatapathKeyAttributes.formatted(key: k, mask: fm, verbose: true))") }
        _ = DatapathKeyAttributes.formatted(key: k2, mask: m2, vlanLimit: vlanLimit)
    }
    return 0
}

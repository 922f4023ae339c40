/// What every owned header value in `Wire` offers: parse from bytes, say
/// how many bytes it takes, emit into bytes.
///
/// For generic tools (tests, builders, fuzzers); the fast path uses the
/// concrete views.
public protocol WireHeader: Hashable, Sendable {
    /// Parses the header at the start of `bytes`: `.truncated` when bytes
    /// are missing, `.malformed` when fields contradict the header's rules.
    init(parsing bytes: UnsafeRawBufferPointer) throws(WireError)
    /// The bytes `emit(into:)` writes.
    var headerLength: Int { get }
    /// Writes the header at the start of `bytes` and nothing past
    /// `headerLength`: `.truncated` if `bytes` is too short, `.malformed` if
    /// the value cannot be represented.
    func emit(into bytes: UnsafeMutableRawBufferPointer) throws(WireError)
}

extension WireHeader {
    /// Parses the header at the start of `bytes`.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in try Self(parsing: raw) }
        }
        self = try result.get()
    }

    /// The header's bytes, exactly `headerLength` of them.
    public func emitted() throws(WireError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerLength)
        let result = out.withUnsafeMutableBytes { raw in
            Result { () throws(WireError) in try emit(into: raw) }
        }
        try result.get()
        return out
    }
}

extension EthernetHeader: WireHeader {}
extension LLCSNAPHeader: WireHeader {}
extension VLANHeader: WireHeader {}
extension MPLSLabelStackEntry: WireHeader {}
extension ARPHeader: WireHeader {}
extension IPv4Header: WireHeader {}
extension IPv6Header: WireHeader {}
extension IPv6OptionsHeader: WireHeader {}
extension IPv6RoutingHeader: WireHeader {}
extension IPv6FragmentHeader: WireHeader {}
extension TCPHeader: WireHeader {}
extension UDPHeader: WireHeader {}
extension SCTPHeader: WireHeader {}
extension ICMPv4Header: WireHeader {}
extension ICMPv6Header: WireHeader {}
extension NeighborDiscoveryMessage: WireHeader {}
extension IGMPHeader: WireHeader {}
extension IGMPv3Report: WireHeader {}
extension VXLANHeader: WireHeader {}
extension GeneveHeader: WireHeader {}
extension GREHeader: WireHeader {}

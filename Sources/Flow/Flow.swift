import Wire

/// The flow key: every header field Open vSwitch's `struct flow` covers.
///
/// Placeholder API fixed by the skeleton; the Flow issue fills it in.
public struct FlowKey: Hashable, Sendable {
    public init() {}

    /// Extracts the flow of an Ethernet frame received on `inPort`
    /// (a datapath port number; `0xffff` is OpenFlow's ANY, as
    /// `ovs-ofctl parse-pcap` uses). Never traps, whatever the bytes.
    public init(extractingFrom packet: UnsafeRawBufferPointer, inPort: UInt32) {
        self.init()
    }
}

/// A flow key with a mask: the fields the mask keeps must equal the key's.
public struct Match: Hashable, Sendable {
    public var key: FlowKey
    public init(exact key: FlowKey) { self.key = key }

    /// The match in `ovs-ofctl`'s syntax, as `match_format` writes it.
    public func formatted() -> String { "" }
}

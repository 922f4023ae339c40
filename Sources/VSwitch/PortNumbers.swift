/// OpenFlow port numbers as Open vSwitch's ofproto hands them out
/// (`alloc_ofp_port`): a requested number (`ofport_request`, or the number
/// the database recorded before a restart) when it is free; otherwise the
/// next number after the last one given, cycling through 1..<32768, that
/// was never used — a number released recently is taken again only when
/// every other one is in use or was released more recently (the least
/// recently released first), or once it has been free for an hour, so
/// that old flows do not reach a new port.
public struct OFPortAllocator: Sendable, Hashable {
    /// Automatic numbers stay below this (the upper half of the range is
    /// left to controllers), as `MIN(max_ports, 32768)` in Open vSwitch.
    public static let automaticLimit: UInt16 = 32768
    /// The highest number a request may name (`OFPP_MAX` is 0xff00).
    public static let maximumRequest: UInt16 = 0xfeff
    /// How long a released number is avoided, in milliseconds.
    public static let reuseDelay: Int64 = 60 * 60 * 1000

    enum Usage: Sendable, Hashable {
        case inUse
        case released(at: Int64)
    }

    /// The last number handed out automatically (`alloc_port_no`).
    public private(set) var cursor: UInt16 = 0
    private var usage: [UInt16: Usage] = [:]

    public init() {}

    /// True when `port` is taken.
    public func isInUse(_ port: UInt16) -> Bool { usage[port] == .inUse }

    /// Takes `request` if it is free, else a number chosen as described
    /// above; `now` is a time in milliseconds. `nil` when every number is taken.
    public mutating func allocate(request: UInt16? = nil, now: Int64) -> UInt16? {
        if let request, request > 0, request <= Self.maximumRequest, usage[request] != .inUse {
            usage[request] = .inUse
            return request
        }
        let end = cursor
        var leastRecent: (port: UInt16, at: Int64)?
        while true {
            cursor = cursor &+ 1
            if cursor >= Self.automaticLimit { cursor = 1 }
            switch usage[cursor] {
            case nil:
                usage[cursor] = .inUse
                return cursor
            case .released(let at)?:
                if at < now - Self.reuseDelay {
                    usage[cursor] = .inUse
                    return cursor
                }
                if leastRecent == nil || at < leastRecent!.at { leastRecent = (cursor, at) }
            case .inUse?:
                break
            }
            if cursor == end || (end == 0 && cursor == Self.automaticLimit - 1) {
                guard let lru = leastRecent else { return nil }
                usage[lru.port] = .inUse
                return lru.port
            }
        }
    }

    /// Gives `port` back at time `now` (milliseconds).
    public mutating func release(_ port: UInt16, now: Int64) {
        guard usage[port] == .inUse else { return }
        usage[port] = .released(at: now)
    }
}

/// Datapath port numbers for a new port.
public enum DatapathPortNumbering {
    /// Open vSwitch's dummy datapath (`choose_port` in `dpif-netdev.c`)
    /// makes numbers predictable for tests: a name with digits asks for the
    /// number its first run of digits spells (plus 100 when the name starts
    /// with `br`), if that number is free; otherwise, and for names without
    /// digits, `nil` (the lowest free number from 1).
    public static func dummy(name: String, inUse: Set<UInt32>) -> UInt32? {
        let bytes = Array(name.utf8)
        guard let first = bytes.firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var value: UInt64 = 0
        for b in bytes[first...] {
            guard b >= 0x30 && b <= 0x39 else { break }
            value = value * 10 + UInt64(b - 0x30)
            if value > UInt64(UInt32.max) { return nil }
        }
        if name.hasPrefix("br") { value += 100 }
        guard value > 0, value <= 0xfffe, let n = UInt32(exactly: value), !inUse.contains(n) else {
            return nil
        }
        return n
    }
}

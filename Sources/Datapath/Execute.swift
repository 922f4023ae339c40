import Flow
import Wire

/// Where executed actions hand packets: the datapath's transmit batches,
/// its upcall queue, its recirculation queue, its drop counters.
///
/// The executor is generic over the sink, so every call is direct (no
/// existential per packet). The sink owns every packet it is given.
public protocol ActionSink {
    /// Queues `packet` for transmission on `port` (flushed per port per batch).
    mutating func output(_ packet: consuming PacketBuffer, to port: DatapathPort)
    /// Sends `packet` to the slow path as an ACTION upcall.
    mutating func userspace(_ packet: consuming PacketBuffer, action: UserspaceAction)
    /// Feeds `packet` through the caches again with `recirc_id` set.
    mutating func recirculate(_ packet: consuming PacketBuffer, id: UInt32)
    /// Counts and frees `packet`.
    mutating func drop(_ packet: consuming PacketBuffer, reason: DropReason)
    /// Meters a packet of `size` bytes through datapath meter `id`: false
    /// if a band drops it. (Default: no meters, everything passes.)
    mutating func meter(_ id: MeterID, size: Int) -> Bool
}

extension ActionSink {
    @inlinable public mutating func meter(_ id: MeterID, size: Int) -> Bool { true }
}

/// Runs datapath actions on packets (Open vSwitch's `odp_execute_actions`
/// with `dpif-netdev`'s `dp_execute_cb`).
///
/// Semantics follow Open vSwitch 3.1:
/// - `output`/`userspace` send the packet itself when they are the last
///   action of their list, else a copy from the pool. A pending `trunc`
///   cuts the copy that leaves and is then forgotten (OVS's cutlen).
/// - `set`/`set_masked` on a header the packet lacks do nothing; every
///   rewrite keeps the IPv4 header, TCP, UDP, ICMP, ICMPv6 and SCTP
///   checksums right (incrementally, RFC 1624; SCTP as OVS does).
/// - `clone`, `sample` and `check_pkt_len` run their nested list on a copy,
///   or on the packet itself when they are the last action. Nesting deeper
///   than `maximumDepth` drops with `.actionsTooDeep`.
/// - A list that ends without handing the packet on gives it back to the
///   pool (OVS frees it without a counter).
///
/// The executor holds the state of `sample`'s random draws. A poll thread
/// keeps one (`init(seed:)`) and calls the instance `execute`; the static
/// `execute` seeds a fresh one on demand.
public struct ActionExecutor {
    /// How deep `clone`/`sample`/`check_pkt_len` lists may nest; a list
    /// deeper than this drops its packet with `.actionsTooDeep`.
    @inlinable public static var maximumDepth: Int { 8 }

    /// The generator `sample` draws from.
    public var random: SampleRandom

    /// An executor whose `sample` draws are the sequence `seed` gives
    /// (`seed` 0 picks a seed from a process-wide counter on first use).
    public init(seed: UInt64 = 0) {
        random = SampleRandom(seed: seed)
    }

    /// Runs `actions` on `packet`, whose flow is `key`. The packet ends with
    /// the sink, or back in `pool` once the last action that needs it is
    /// done. Never traps: an action that cannot apply to the packet drops it
    /// with a reason. (`key` is not needed: header offsets and hashes come
    /// from the bytes, which earlier actions may have rewritten.)
    @inlinable
    public static func execute<Sink: ActionSink>(
        _ actions: [DatapathAction], on packet: consuming PacketBuffer, key: borrowing FlowKey,
        pool: PacketPool, sink: inout Sink
    ) {
        var executor = ActionExecutor()
        executor.run(actions, packet, pool: pool, sink: &sink, depth: 0)
    }

    /// Runs `actions` on `packet` with this executor's random state (see
    /// the static `execute`).
    @inlinable
    public mutating func execute<Sink: ActionSink>(
        _ actions: [DatapathAction], on packet: consuming PacketBuffer, key: borrowing FlowKey,
        pool: PacketPool, sink: inout Sink
    ) {
        run(actions, packet, pool: pool, sink: &sink, depth: 0)
    }

    /// Runs `actions` on every packet of `batch` (all of one flow), leaving
    /// the batch empty.
    @inlinable
    public mutating func execute<Sink: ActionSink>(
        _ actions: [DatapathAction], on batch: inout PacketBatch,
        pool: PacketPool, sink: inout Sink
    ) {
        // Front to back, so the sink sees the packets in arrival order.
        batch.drain { packet in
            run(actions, packet, pool: pool, sink: &sink, depth: 0)
        }
    }

    // MARK: The loop

    // Inlinable (with the helpers it calls `@usableFromInline`) so that a
    // datapath in another module gets it specialized for its sink: direct
    // calls, no witness-table dispatch per packet.
    /// True if `actions` only output (a partial checksum may go as it is).
    @usableFromInline
    static func onlyOutputs(_ actions: [DatapathAction]) -> Bool {
        actions.allSatisfy { if case .output = $0 { true } else { false } }
    }

    @inlinable
    mutating func run<Sink: ActionSink>(
        _ actions: [DatapathAction], _ packet: consuming PacketBuffer,
        pool: PacketPool, sink: inout Sink, depth: Int
    ) {
        guard depth <= Self.maximumDepth else {
            sink.drop(packet, reason: .actionsTooDeep)
            return
        }
        var packet = packet
        if packet.metadata.checksumPartial, !Self.onlyOutputs(actions) { packet.completeChecksum() }
        var layout = PacketLayout()
        var layoutValid = false
        let lastIndex = actions.count &- 1
        for index in actions.indices {
            let isLast = index == lastIndex
            switch actions[index] {
            case .output(let port):
                if isLast {
                    Self.applyCut(&packet)
                    sink.output(packet, to: port)
                    return
                }
                var copy = pool.clone(packet)
                Self.applyCut(&copy)
                packet.metadata.cutLength = 0
                sink.output(copy, to: port)

            case .userspace(let action):
                if isLast {
                    Self.applyCut(&packet)
                    sink.userspace(packet, action: action)
                    return
                }
                var copy = pool.clone(packet)
                Self.applyCut(&copy)
                packet.metadata.cutLength = 0
                sink.userspace(copy, action: action)

            case .recirculate(let id):
                if isLast {
                    packet.metadata.recirculationID = id
                    sink.recirculate(packet, id: id)
                    return
                }
                var copy = pool.clone(packet)
                copy.metadata.recirculationID = id
                sink.recirculate(copy, id: id)

            case .drop:
                sink.drop(packet, reason: .explicitDrop)
                return

            case .set(let field):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                if Self.applySet(field, to: &packet, layout: layout) { layoutValid = false }

            case .setMasked(let field):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                if Self.applySetMasked(field, to: &packet, layout: layout) { layoutValid = false }

            case .pushVLAN(let tag):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                guard Self.pushVLAN(tag, on: &packet, layout: layout) else {
                    sink.drop(packet, reason: .actionError)
                    return
                }
                layoutValid = false

            case .popVLAN:
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                Self.popVLAN(on: &packet, layout: layout)
                layoutValid = false

            case .pushMPLS(let push):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                guard Self.pushMPLS(push.entry.rawValue, etherType: push.etherType, on: &packet, layout: layout)
                else {
                    sink.drop(packet, reason: .actionError)
                    return
                }
                layoutValid = false

            case .popMPLS(let etherType):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                Self.popMPLS(etherType, on: &packet, layout: layout)
                layoutValid = false

            case .addMPLS(let add):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                guard Self.addMPLS(add, on: &packet, layout: layout) else {
                    sink.drop(packet, reason: .actionError)
                    return
                }
                layoutValid = false

            case .pushEthernet(let addresses):
                guard Self.pushEthernet(addresses, on: &packet) else {
                    sink.drop(packet, reason: .actionError)
                    return
                }
                layoutValid = false

            case .popEthernet:
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                Self.popEthernet(on: &packet, layout: layout)
                layoutValid = false

            case .hash(let hash):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                let packetType = packet.metadata.packetType
                let value = packet.withUnsafeMutableBytes { frame in
                    hash.algorithm == .symmetricL4
                        ? Self.symmetricL4Hash(frame, layout: layout, packetType: packetType, basis: hash.basis)
                        : Self.l4Hash(frame, layout: layout, basis: hash.basis)
                }
                packet.metadata.dpHash = value

            case .truncate(let maximumLength):
                // OVS's dp_packet_set_cutlen: never below an Ethernet header.
                let keep = max(Int(maximumLength), EthernetField.headerLength)
                packet.metadata.cutLength = keep >= packet.count ? 0 : UInt32(truncatingIfNeeded: packet.count &- keep)

            case .conntrackClear:
                packet.metadata.conntrack = ConntrackMetadata()

            case .clone(let nested):
                if isLast {
                    run(nested, packet, pool: pool, sink: &sink, depth: depth &+ 1)
                    return
                }
                let copy = pool.clone(packet)
                packet.metadata.cutLength = 0
                run(nested, copy, pool: pool, sink: &sink, depth: depth &+ 1)

            case .sample(let sample):
                guard random.fires(probability: sample.probability) else {
                    if isLast {
                        // OVS counts a stolen, unsampled packet as a sample drop.
                        sink.drop(packet, reason: .sampleError)
                        return
                    }
                    continue
                }
                if isLast {
                    run(sample.actions, packet, pool: pool, sink: &sink, depth: depth &+ 1)
                    return
                }
                run(sample.actions, pool.clone(packet), pool: pool, sink: &sink, depth: depth &+ 1)

            case .checkPacketLength(let check):
                if !layoutValid { layout = Self.parse(&packet); layoutValid = true }
                // OVS: the length that would be sent, without L2 padding.
                let padding = max(0, layout.paddingLength(frameLength: packet.count))
                let size = packet.count &- Int(packet.metadata.cutLength) &- padding
                let isGreater = size > Int(check.length)
                if isLast {
                    run(isGreater ? check.ifGreater : check.ifLessOrEqual, packet,
                        pool: pool, sink: &sink, depth: depth &+ 1)
                    return
                }
                run(isGreater ? check.ifGreater : check.ifLessOrEqual, pool.clone(packet),
                    pool: pool, sink: &sink, depth: depth &+ 1)

            case .conntrack:
                // Connection tracking comes with the conntrack issue; until
                // then a flow that needs it cannot forward.
                sink.drop(packet, reason: .actionError)
                return

            case .meter(let id):
                // A band over its rate drops the packet (`dp_netdev_run_meter`).
                if !sink.meter(id, size: packet.count) {
                    sink.drop(packet, reason: .meter)
                    return
                }

            case .tunnelPush:
                // Tunnel encapsulation comes with the tunnel issue.
                sink.drop(packet, reason: .tunnelPushError)
                return

            case .tunnelPop:
                // Tunnel decapsulation comes with the tunnel issue.
                sink.drop(packet, reason: .tunnelPopError)
                return

            case .loadBalancedOutput:
                // `lb_output` comes with the bond issue: no bond exists yet.
                sink.drop(packet, reason: .invalidBond)
                return
            }
        }
        pool.recycle(packet)
    }

    /// Cuts the bytes a `trunc` asked for and forgets the cut.
    @inlinable @inline(__always)
    static func applyCut(_ packet: inout PacketBuffer) {
        let cut = Int(packet.metadata.cutLength)
        if cut > 0 {
            packet.truncate(toCount: packet.count &- cut)
            packet.metadata.cutLength = 0
        }
    }

    /// Finds the headers of `packet` as it is now.
    @usableFromInline
    static func parse(_ packet: inout PacketBuffer) -> PacketLayout {
        let packetType = packet.metadata.packetType
        return packet.withUnsafeMutableBytes { PacketLayout(parsing: $0, packetType: packetType) }
    }
}

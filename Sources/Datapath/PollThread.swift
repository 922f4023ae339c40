import Flow

/// A poll-mode thread's datapath state (OVS's `dp_netdev_pmd_thread`): its
/// flow store, exact-match cache and megaflow classifier, its transmit
/// batches, and the entry point that runs one batch through them.
///
/// **Ownership.** The thread owns its caches; nobody else writes them.
/// Flow-table changes arrive on `control` (any thread may send) and are
/// applied between batches; misses leave on the shared bounded `upcalls`
/// queue (a full queue counts the miss as `lost`, never blocks). There is
/// no lock and no atomic per packet: one atomic load per batch checks the
/// control queue. Readers of `stats` and `counters(forUFID:)` must run on
/// the thread that calls `process`: a `PollWorker` runs them there
/// (`perform`) when the thread has its own OS thread.
///
/// **Per packet**: extract the key in place into a per-thread key array,
/// exact-match cache, classifier for the misses (one pass per subtable over
/// the batch), group by flow, run the flow's actions through
/// `ActionExecutor` into the thread's sink, flush transmit batches per port.
public final class PollThread {
    /// The thread's number (OVS's core id).
    public let id: Int
    /// Where flow-table changes reach this thread.
    public let control: ControlQueue
    /// Where misses and `userspace` packets go.
    public let upcalls: UpcallQueue
    /// The buffers this thread allocates and recycles.
    public let pool: PacketPool
    @exclusivity(unchecked) public private(set) var configuration: CacheConfiguration
    public let exactMatch = ExactMatchCache()
    public let classifier = MegaflowClassifier()
    /// The datapath's meters (shared by its poll threads; set before they run).
    @exclusivity(unchecked) public var meters = DatapathMeters()
    /// Counters since the thread was made.
    @exclusivity(unchecked) public private(set) var stats = PollThreadStats()
    /// Transmit batches flushed to ports, and the packets in them.
    @exclusivity(unchecked) public private(set) var outputBatches: UInt64 = 0
    @exclusivity(unchecked) public private(set) var outputPackets: UInt64 = 0

    /// The deepest recirculation a packet may go (`MAX_RECIRC_DEPTH`).
    public static let maximumRecirculationDepth = 6

    // Flow store, indexed by slot.
    @exclusivity(unchecked) @usableFromInline var generations: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) @usableFromInline var counters: UnsafeMutablePointer<FlowCounters>
    /// The port of flows whose actions are exactly one `output` (`.none`
    /// otherwise): their packets go straight to the transmit batch, without
    /// walking the action list (most flows of a switch look like this).
    @exclusivity(unchecked) @usableFromInline var singleOutput: UnsafeMutablePointer<DatapathPort>
    /// The subtable that holds each live flow (for the signature-match cache).
    @exclusivity(unchecked) @usableFromInline var slotSubtable: UnsafeMutablePointer<Unmanaged<Subtable>?>
    /// The signature-match cache (OVS's SMC), allocated when enabled: per
    /// packet-hash bucket, the hash and the flow last found for it. A hit
    /// is checked by one lookup in that flow's subtable, so a packet costs
    /// one subtable instead of a search through all of them.
    @exclusivity(unchecked) private var signatureMatch: UnsafeMutablePointer<UInt64>?
    static let signatureMatchEntries = 1 << 18
    @exclusivity(unchecked) @usableFromInline var actions: [[DatapathAction]] = []
    private var records: [FlowRecord?] = []
    private var slotCapacity: Int
    private var freeSlots: [FlowSlot] = []
    private var slotByUFID: [UInt128: FlowSlot] = [:]

    // Per-batch scratch.
    @usableFromInline let keys: UnsafeMutablePointer<FlowKey>
    @usableFromInline let results: UnsafeMutablePointer<FlowSlot>
    @usableFromInline let hashes: UnsafeMutablePointer<UInt32>
    @usableFromInline let maps: UnsafeMutablePointer<UInt64>

    // Transmit batches, one per port used in the current batch.
    private static let transmitSlots = 8
    private let transmit: UnsafeMutablePointer<PacketBatch>
    private let transmitPorts: UnsafeMutablePointer<DatapathPort>
    @exclusivity(unchecked) private var transmitCount = 0
    @exclusivity(unchecked) private var ports: [DatapathPort: any Port] = [:]
    @exclusivity(unchecked) private var recirculation = PacketBatch()
    @exclusivity(unchecked) private var pendingUpcalls: [DatapathUpcall] = []
    @exclusivity(unchecked) private var random: UInt64 = 0x2545_f491_4f6c_dd1d

    /// Makes a thread's state with empty caches.
    public init(id: Int = 0, control: ControlQueue = ControlQueue(), upcalls: UpcallQueue,
                pool: PacketPool = PacketPool(), configuration: CacheConfiguration = CacheConfiguration()) {
        self.id = id
        self.control = control
        self.upcalls = upcalls
        self.pool = pool
        self.configuration = configuration
        slotCapacity = 64
        generations = .allocate(capacity: slotCapacity)
        generations.initialize(repeating: 0, count: slotCapacity)
        counters = .allocate(capacity: slotCapacity)
        counters.initialize(repeating: FlowCounters(), count: slotCapacity)
        singleOutput = .allocate(capacity: slotCapacity)
        singleOutput.initialize(repeating: .none, count: slotCapacity)
        slotSubtable = .allocate(capacity: slotCapacity)
        slotSubtable.initialize(repeating: nil, count: slotCapacity)
        keys = .allocate(capacity: PacketBatch.capacity)
        keys.initialize(repeating: FlowKey(), count: PacketBatch.capacity)
        results = .allocate(capacity: PacketBatch.capacity)
        results.initialize(repeating: .none, count: PacketBatch.capacity)
        hashes = .allocate(capacity: PacketBatch.capacity)
        hashes.initialize(repeating: 0, count: PacketBatch.capacity)
        maps = .allocate(capacity: PacketBatch.capacity)
        maps.initialize(repeating: 0, count: PacketBatch.capacity)
        transmit = .allocate(capacity: Self.transmitSlots)
        for i in 0..<Self.transmitSlots { (transmit + i).initialize(to: PacketBatch()) }
        transmitPorts = .allocate(capacity: Self.transmitSlots)
        transmitPorts.initialize(repeating: .none, count: Self.transmitSlots)
        pendingUpcalls.reserveCapacity(PacketBatch.capacity)
    }

    deinit {
        generations.deallocate()
        counters.deallocate()
        singleOutput.deallocate()
        slotSubtable.deallocate()
        signatureMatch?.deallocate()
        keys.deinitialize(count: PacketBatch.capacity)
        keys.deallocate()
        results.deallocate()
        hashes.deallocate()
        maps.deallocate()
        transmit.deinitialize(count: Self.transmitSlots)
        transmit.deallocate()
        transmitPorts.deallocate()
    }

    // MARK: Control (between batches)

    /// Applies every waiting flow-table change. `process` calls it before
    /// each batch; call it directly to apply changes while idle.
    public func applyControl() {
        guard control.hasPending else { return }
        for change in control.drain() {
            switch change {
            case .install(let record): install(record)
            case .modify(let ufid, let newActions, let clear):
                if let slot = slotByUFID[ufid] {
                    actions[Int(slot)] = newActions
                    singleOutput[Int(slot)] = Self.singleOutputPort(newActions)
                    records[Int(slot)]?.actions = newActions
                    if clear { counters[Int(slot)] = FlowCounters() }
                }
            case .remove(let ufid):
                if let slot = slotByUFID[ufid] { remove(slot) }
            case .flush:
                for slot in slotByUFID.values { kill(slot) }
                slotByUFID = [:]
                classifier.removeAll()
            case .ports(let snapshot):
                ports = snapshot.ports
            case .configure(let c):
                configuration = c
                if !c.exactMatchEnabled { exactMatch.clear() }
                if !c.signatureMatchEnabled {
                    signatureMatch?.deallocate()
                    signatureMatch = nil
                }
            }
        }
    }

    private func install(_ record: FlowRecord) {
        if let old = slotByUFID[record.ufid] { remove(old) }
        let slot: FlowSlot
        if let s = freeSlots.popLast() {
            slot = s
        } else {
            if records.count == slotCapacity { growSlots() }
            slot = FlowSlot(records.count)
            records.append(nil)
            actions.append([])
        }
        let i = Int(slot)
        records[i] = record
        actions[i] = record.actions
        singleOutput[i] = Self.singleOutputPort(record.actions)
        counters[i] = FlowCounters()
        slotByUFID[record.ufid] = slot
        let table = withUnsafePointer(to: record.key) { classifier.insert(key: $0, mask: record.mask, slot: slot) }
        slotSubtable[i] = Unmanaged.passUnretained(table)
    }

    private func remove(_ slot: FlowSlot) {
        guard let record = records[Int(slot)] else { return }
        withUnsafePointer(to: record.key) { classifier.remove(key: $0, mask: record.mask, slot: slot) }
        slotByUFID[record.ufid] = nil
        kill(slot)
    }

    /// Ends a slot's flow: cache entries for it stop matching (generation).
    private func kill(_ slot: FlowSlot) {
        let i = Int(slot)
        guard records[i] != nil else { return }
        generations[i] &+= 1
        records[i] = nil
        actions[i] = []
        singleOutput[i] = .none
        slotSubtable[i] = nil
        freeSlots.append(slot)
    }

    private func growSlots() {
        let newCapacity = slotCapacity * 2
        let g = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        g.initialize(repeating: 0, count: newCapacity)
        g.update(from: generations, count: slotCapacity)
        let c = UnsafeMutablePointer<FlowCounters>.allocate(capacity: newCapacity)
        c.initialize(repeating: FlowCounters(), count: newCapacity)
        c.update(from: counters, count: slotCapacity)
        let o = UnsafeMutablePointer<DatapathPort>.allocate(capacity: newCapacity)
        o.initialize(repeating: .none, count: newCapacity)
        o.update(from: singleOutput, count: slotCapacity)
        let t = UnsafeMutablePointer<Unmanaged<Subtable>?>.allocate(capacity: newCapacity)
        t.initialize(repeating: nil, count: newCapacity)
        t.update(from: slotSubtable, count: slotCapacity)
        slotSubtable.deallocate()
        slotSubtable = t
        generations.deallocate()
        counters.deallocate()
        singleOutput.deallocate()
        generations = g
        counters = c
        singleOutput = o
        slotCapacity = newCapacity
    }

    private static func singleOutputPort(_ actions: [DatapathAction]) -> DatapathPort {
        if actions.count == 1, case .output(let port) = actions[0], port != .none { return port }
        return .none
    }

    // MARK: Reading (on the thread)

    /// Flows installed in this thread.
    public var flowCount: Int { slotByUFID.count }

    /// The counters of the flow `ufid`, if this thread has it.
    public func counters(forUFID ufid: UInt128) -> FlowCounters? {
        slotByUFID[ufid].map { counters[Int($0)] }
    }

    /// The flow `key` would hit in the classifier (not the EMC), if any.
    public func classify(_ key: borrowing FlowKey) -> FlowRecord? {
        classifier.lookup(key).flatMap { records[Int($0)] }
    }

    /// Live entries of the exact-match cache.
    public var exactMatchCount: Int { exactMatch.liveCount(generations: generations) }

    // MARK: The packet path

    /// Runs `batch`, received on `port`, through the caches and actions.
    /// The thread owns every packet afterwards: transmitted, sent up as an
    /// upcall, recirculated or dropped (and counted).
    public func process(_ batch: consuming PacketBatch, from port: DatapathPort) {
        applyControl()
        let start = DatapathClock.nanoseconds
        let now = start / 1_000_000
        var b = batch
        stats.receivedPackets &+= UInt64(b.count)
        b.forEachPacket { _, p in p.metadata.inPort = port }
        run(&b, now: now, receivedOn: port)
        drainRecirculation(now: now)
        flushTransmit()
        finishBatch(start: start)
    }

    /// Runs `actions` on `packet` (the DPIF's packet execute): its key is
    /// extracted with its metadata, recirculations go through the caches.
    public func execute(_ actions: [DatapathAction], on packet: consuming PacketBuffer) {
        applyControl()
        let start = DatapathClock.nanoseconds
        let md = packet.metadata
        let key = packet.withUnsafeBytes { FlowKey(extractingFrom: $0, metadata: md) }
        var sink = Sink(thread: self)
        ActionExecutor.execute(actions, on: packet, key: key, pool: pool, sink: &sink)
        drainRecirculation(now: start / 1_000_000)
        flushTransmit()
        finishBatch(start: start)
    }

    private func finishBatch(start: UInt64) {
        stats.batches &+= 1
        stats.busyNanoseconds &+= DatapathClock.nanoseconds &- start
        let interval = configuration.subtableRankingInterval
        if interval > 0, stats.batches % UInt64(interval) == 0 { classifier.rank() }
    }

    private func drainRecirculation(now: UInt64) {
        var depth = 1
        while !recirculation.isEmpty {
            var r = recirculation.take()
            if depth > Self.maximumRecirculationDepth {
                stats.drops.count(.recirculationError, UInt64(r.count))
                pool.recycle(&r)
            } else {
                stats.recirculations &+= UInt64(r.count)
                run(&r, now: now, receivedOn: nil)
            }
            depth += 1
        }
    }

    /// One pass of `batch` through the caches and actions; leaves it empty.
    /// `port` is the port a fresh batch came from (its packets carry no
    /// other metadata); `nil` for recirculated packets, whose in port and
    /// recirculation id are read from their metadata.
    @inline(__always)
    private func run(_ batch: inout PacketBatch, now: UInt64, receivedOn port: DatapathPort?) {
        let n = batch.count
        guard n > 0 else { return }
        stats.packets &+= UInt64(n)
        let keys = self.keys, results = self.results, hashes = self.hashes

        // Keys, in place.
        // `forEachPacket` reaches each packet in place; the batch's `_read`
        // subscript copies its 768-byte slot array per access (Swift 6.3).
        if let port {
            // Reading `metadata` copies the whole struct: not per packet.
            let inPort = port.rawValue
            batch.forEachPacket { i, p in
                p.withUnsafeBytes { raw in keys[i].extract(from: raw, inPort: inPort) }
            }
        } else {
            batch.forEachPacket { i, p in
                let md = p.metadata
                p.withUnsafeBytes { raw in keys[i].extract(from: raw, inPort: md.inPort.rawValue) }
                keys[i].recirculationID = md.recirculationID
                keys[i].dpHash = md.dpHash
            }
        }

        // Exact-match cache, then the classifier for what it missed.
        var pending: UInt32 = n == 32 ? .max : (1 << UInt32(n)) &- 1
        let useEMC = configuration.exactMatchEnabled
        if useEMC {
            let hits = exactMatch.lookup(keys, count: n, hashes: hashes, results: results,
                                         generations: generations)
            pending &= ~hits
            stats.exactMatchHits &+= UInt64(hits.nonzeroBitCount)
        }
        var misses = pending
        if misses != 0 && configuration.signatureMatchEnabled {
            if !useEMC {
                var bits = misses
                while bits != 0 {
                    let i = bits.trailingZeroBitCount
                    bits &= bits &- 1
                    hashes[i] = packetHash(keyWords(keys + i))
                }
            }
            let hit = signatureMatchLookup(misses)
            stats.signatureMatchHits &+= UInt64(hit.nonzeroBitCount)
            misses &= ~hit
            if useEMC && hit != 0 { insertIntoEMC(hit) }
        }
        if misses != 0 {
            let before = misses
            stats.subtableLookups &+= classifier.lookup(keys, pending: &misses, results: results)
            let found = before & ~misses
            stats.megaflowHits &+= UInt64(found.nonzeroBitCount)
            if useEMC && found != 0 { insertIntoEMC(found) }
            if configuration.signatureMatchEnabled && found != 0 { insertIntoSMC(found) }
            if misses != 0 { upcallMisses(&batch, misses) }
        }

        // Flows whose actions are one output: straight to the transmit
        // batch, in arrival order (no grouping needed).
        let all: UInt32 = n == 32 ? .max : (1 << UInt32(n)) &- 1
        var done = misses
        var bits = all & ~misses
        while bits != 0 {
            let j = bits.trailingZeroBitCount
            bits &= bits &- 1
            let slot = results[j]
            let output = singleOutput[Int(slot)]
            guard output != .none else { continue }
            done |= 1 << UInt32(j)
            if let p = batch.takePacket(at: j) {
                let c = counters + Int(slot)
                c.pointee.packets &+= 1
                c.pointee.bytes &+= UInt64(p.count)
                c.pointee.usedMilliseconds = now
                c.pointee.tcpFlags |= UInt16(truncatingIfNeeded: keyWords(keys + j)[51]) & 0x0fff
                queueOutput(p, to: output)
            }
        }

        // Other flows: group by flow, run the flow's actions on its packets.
        var sink = Sink(thread: self)
        while done != all {
            let first = (~done & all).trailingZeroBitCount
            let slot = results[first]
            var packets: UInt64 = 0, bytes: UInt64 = 0, tcpFlags: UInt64 = 0
            let flowActions = actions[Int(slot)]
            var j = first
            while j < n {
                if done & (1 << UInt32(j)) == 0 && results[j] == slot {
                    done |= 1 << UInt32(j)
                    if let p = batch.takePacket(at: j) {
                        packets &+= 1
                        bytes &+= UInt64(p.count)
                        tcpFlags |= keyWords(keys + j)[51]
                        ActionExecutor.execute(flowActions, on: p, key: keys[j], pool: pool, sink: &sink)
                    }
                }
                j &+= 1
            }
            let c = counters + Int(slot)
            c.pointee.packets &+= packets
            c.pointee.bytes &+= bytes
            c.pointee.usedMilliseconds = now
            c.pointee.tcpFlags |= UInt16(truncatingIfNeeded: tcpFlags) & 0x0fff
        }
        batch.markDrained()
    }

    @inline(never)
    private func insertIntoEMC(_ found: UInt32) {
        let inverse = configuration.exactMatchInsertInverseProbability
        guard inverse != 0 else { return }
        var bits = found
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            if inverse > 1 {
                random ^= random << 13
                random ^= random >> 7
                random ^= random << 17
                if random % UInt64(inverse) != 0 { continue }
            }
            let slot = results[i]
            exactMatch.insert(keys + i, hash: hashes[i], slot: slot, generation: generations[Int(slot)],
                              generations: generations)
        }
    }

    @inline(__always)
    private func signatureMatchLookup(_ pending: UInt32) -> UInt32 {
        guard let table = signatureMatch else { return 0 }
        let mask = Self.signatureMatchEntries - 1
        var hit: UInt32 = 0
        var bits = pending
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            let h = hashes[i]
            let e = table[Int(h) & mask]
            guard UInt32(truncatingIfNeeded: e >> 32) == h, UInt32(truncatingIfNeeded: e) != 0,
                  let subtable = slotSubtable[Int(UInt32(truncatingIfNeeded: e) &- 1)] else { continue }
            // The subtable decides: whatever it returns matches the packet.
            let slot = subtable._withUnsafeGuaranteedRef { $0.lookup(keyWords(keys + i)) }
            if slot != .none {
                results[i] = slot
                hit |= 1 << UInt32(i)
            }
        }
        return hit
    }

    @inline(never)
    private func insertIntoSMC(_ found: UInt32) {
        if signatureMatch == nil {
            let t = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.signatureMatchEntries)
            t.initialize(repeating: 0, count: Self.signatureMatchEntries)
            signatureMatch = t
        }
        guard let table = signatureMatch else { return }
        var bits = found
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            let h = hashes[i]      // computed for the EMC or the SMC lookup
            table[Int(h) & (Self.signatureMatchEntries - 1)] = UInt64(h) << 32 | UInt64(results[i] &+ 1)
        }
    }

    /// Sends the packets of `misses` up as MISS upcalls, together.
    @inline(never)
    private func upcallMisses(_ batch: inout PacketBatch, _ misses: UInt32) {
        var bits = misses
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            guard var p = batch.takePacket(at: i) else { continue }
            p.completeChecksum()
            pendingUpcalls.append(DatapathUpcall(kind: .miss, packet: p.copyBytes(), key: keys[i],
                                                 metadata: p.metadata))
            pool.recycle(p)
        }
        let count = pendingUpcalls.count
        let accepted = upcalls.enqueue(&pendingUpcalls)
        stats.misses &+= UInt64(count)
        if accepted < count {
            stats.lost &+= UInt64(count - accepted)
            stats.drops.count(.upcallQueueFull, UInt64(count - accepted))
        }
    }

    // MARK: Sink

    /// Where the executor hands packets: this thread's transmit batches,
    /// the upcall queue, the recirculation batch, the drop counters.
    @usableFromInline struct Sink: ActionSink {
        unowned(unsafe) let thread: PollThread

        @usableFromInline mutating func output(_ packet: consuming PacketBuffer, to port: DatapathPort) {
            thread.queueOutput(packet, to: port)
        }
        @usableFromInline mutating func userspace(_ packet: consuming PacketBuffer, action: UserspaceAction) {
            thread.queueUserspace(packet, action: action)
        }
        @usableFromInline mutating func recirculate(_ packet: consuming PacketBuffer, id: UInt32) {
            thread.queueRecirculation(packet, id: id)
        }
        @usableFromInline mutating func drop(_ packet: consuming PacketBuffer, reason: DropReason) {
            thread.stats.drops.count(reason)
            thread.pool.recycle(packet)
        }
        @usableFromInline mutating func meter(_ id: MeterID, size: Int) -> Bool {
            thread.meters.admit(id, size: size)
        }
    }

    @usableFromInline func queueOutput(_ packet: consuming PacketBuffer, to port: DatapathPort) {
        var j = 0
        while j < transmitCount && transmitPorts[j] != port { j &+= 1 }
        if j == transmitCount {
            if transmitCount == Self.transmitSlots {
                flushTransmit()
                j = 0
            }
            transmitPorts[j] = port
            transmitCount = j &+ 1
        }
        if transmit[j].isFull { flush(j) }
        if let refused = transmit[j].append(packet) {
            stats.drops.count(.transmitQueueFull)
            pool.recycle(refused)
        }
    }

    @usableFromInline func queueUserspace(_ packet: consuming PacketBuffer, action: UserspaceAction) {
        var packet = packet
        packet.completeChecksum()
        let md = packet.metadata
        let bytes = packet.copyBytes()
        pool.recycle(packet)
        let key = bytes.withUnsafeBytes { FlowKey(extractingFrom: $0, metadata: md) }
        var one = [DatapathUpcall(kind: .action, packet: bytes, key: key, metadata: md,
                                  userdata: action.userdata, pid: action.pid,
                                  egressTunnelPort: action.egressTunnelPort)]
        if upcalls.enqueue(&one) == 0 {
            stats.lost &+= 1
            stats.drops.count(.upcallQueueFull)
        }
    }

    @usableFromInline func queueRecirculation(_ packet: consuming PacketBuffer, id: UInt32) {
        var p = packet
        p.metadata.recirculationID = id
        if let refused = recirculation.append(p) {
            stats.drops.count(.recirculationError)
            pool.recycle(refused)
        }
    }

    /// Sends every transmit batch to its port.
    private func flushTransmit() {
        for j in 0..<transmitCount { flush(j) }
        transmitCount = 0
    }

    private func flush(_ j: Int) {
        guard !transmit[j].isEmpty else { return }
        let batch = transmit[j].take()
        outputBatches &+= 1
        outputPackets &+= UInt64(batch.count)
        if let port = ports[transmitPorts[j]] {
            var batch = batch
            if !port.acceptsPartialChecksums {
                batch.forEachPacket { _, packet in packet.completeChecksum() }
            }
            do {
                try port.send(batch, pool: pool)
            } catch {
                stats.drops.count(.transmitError)
            }
        } else {
            stats.drops.count(.invalidPort, UInt64(batch.count))
            pool.recycle(batch)
        }
    }
}

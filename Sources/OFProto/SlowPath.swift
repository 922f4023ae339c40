import DPIF
import Datapath
import Dispatch
import Flow
import Glibc
import Synchronization

// The slow path's runtime (OVS's ofproto-dpif-upcall.c): upcall handlers
// translate misses and install megaflows; revalidators age flows out,
// push their statistics to the OpenFlow rules and fix flows the OpenFlow
// tables no longer agree with.

/// Bumped by every change of bridges or ports, so that cached port maps
/// are rebuilt.
let bridgeConfigGeneration = Atomic<UInt64>(0)

/// What the slow path remembers of an installed datapath flow (OVS's `udpif_key`).
struct FlowRecordKey {
    var bridge: OFProtoBridge
    var rules: [OpenFlowRule<[OFAction]>]
    /// The groups (and buckets) to credit with the flow's traffic.
    var groups: [OFGroupHit] = []
    var actions: [DatapathAction]
    var mask: FlowMask
    /// Counters already credited to the rules.
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    /// When the flow was installed (datapath clock, milliseconds).
    var created: UInt64
}

/// Counters of the slow path (`upcall/show`).
public struct SlowPathStatistics: Sendable, Hashable {
    public var upcalls: UInt64 = 0
    /// Flows seen by the last revalidation round, the running average and the most.
    public var currentFlows = 0
    public var averageFlows = 0
    public var maxFlows = 0
    /// Milliseconds the last flow dump took.
    public var dumpDuration: UInt64 = 0
    public var flowsInstalled: UInt64 = 0
    public var flowsDeleted: UInt64 = 0
    public var flowsModified: UInt64 = 0
    public var revalidations: UInt64 = 0
}

/// The upcall handler and revalidator threads of one datapath.
extension SlowPath {
    /// The longest a datapath flow may stay unused (OVS's `max-idle`, 10 s).
    public var maxIdle: Duration {
        get { .milliseconds(Int64(maxIdleMilliseconds.load(ordering: .relaxed))) }
        set {
            let (s, a) = newValue.components
            maxIdleMilliseconds.store(UInt64(max(0, s * 1000 + a / 1_000_000_000_000_000)), ordering: .relaxed)
        }
    }

    /// Counters so far.
    public var statistics: SlowPathStatistics { state.withLock { $0.stats } }

    /// Flows the slow path knows it installed.
    public var flowCount: Int { state.withLock { $0.ukeys.count } }

    /// The datapath port of each bridge port of this datapath.
    private func portMap() -> [UInt32: (OFProtoBridge, OFPort)] {
        let generation = bridgeConfigGeneration.load(ordering: .acquiring)
        if let cached = state.withLock({ s in s.portMapGeneration == generation ? s.portMap : nil }) { return cached }
        var map: [UInt32: (OFProtoBridge, OFPort)] = [:]
        for b in bridges.all where b.datapathName == datapathName {
            for p in b.ports { if let dp = p.datapathPort { map[dp.rawValue] = (b, p.ofport) } }
        }
        state.withLock { s in
            s.portMap = map
            s.portMapGeneration = generation
        }
        return map
    }

    /// Handles up to `maxCount` upcalls waiting in the datapath; returns how
    /// many it took (the handler threads call it in a loop; tests call it directly).
    @discardableResult
    public func handleUpcalls(maxCount: Int = 64) -> Int {
        guard let upcalls = access.withDatapath(named: datapathName, { $0.receiveUpcalls(maxCount: maxCount) }),
              !upcalls.isEmpty else { return 0 }
        let ports = portMap()
        let now = DatapathClock.milliseconds
        let ruleTime = OFProtoBridge.now()
        var operations: [DPIFOperation] = []
        operations.reserveCapacity(upcalls.count * 2)
        var installed: [(FlowUFID, FlowRecordKey)] = []
        for u in upcalls {
            if u.kind == .action { handleActionUpcall(u, ports: ports); continue }
            guard let (bridge, ofport) = ports[u.inPort.rawValue] else { continue }
            var flow = u.key
            flow.openFlowInPort = ofport
            let r = bridges.translate(flow, bridge: bridge, mayLearn: true)
            for rule in r.rules { rule.account(packets: 1, bytes: UInt64(u.packet.count), usedAt: ruleTime) }
            for g in r.groups { g.account(packets: 1, bytes: UInt64(u.packet.count)) }
            if !r.slowPath {
                let key = u.key.masked(by: r.mask)
                let ufid = FlowUFID(rawValue: FlowRecord.ufid(forKey: key))
                operations.append(.put(FlowPut(key: key, mask: r.mask, actions: r.actions, ufid: ufid)))
                installed.append((ufid, FlowRecordKey(bridge: bridge, rules: r.rules, groups: r.groups,
                                                      actions: r.actions, mask: r.mask, created: now)))
            }
            if !r.actions.isEmpty {
                operations.append(.execute(PacketExecution(packet: u.packet, metadata: u.metadata, actions: r.actions)))
            }
        }
        let results = access.withDatapath(named: datapathName) { $0.operate(operations) } ?? []
        var putIndex = 0
        state.withLock { s in
            s.stats.upcalls &+= UInt64(upcalls.count)
            for (i, op) in operations.enumerated() {
                guard case .put = op else { continue }
                defer { putIndex += 1 }
                guard i < results.count, case .success = results[i] else { continue }
                let (ufid, ukey) = installed[putIndex]
                s.ukeys[ufid] = ukey
                s.stats.flowsInstalled &+= 1
            }
        }
        return upcalls.count
    }

    /// One revalidation round: statistics to the rules, idle flows out,
    /// flows re-translated if the OpenFlow tables or MAC tables changed.
    public func revalidate() {
        for b in bridges.all where b.datapathName == datapathName { b.macTable.expire() }
        let generation = revalidationGeneration()
        let needRevalidate = state.withLock { s in
            defer { s.lastGeneration = generation }
            return s.lastGeneration != generation
        }
        let dumpStart = DatapathClock.milliseconds
        let flows: [DPIFFlow] = access.withDatapath(named: datapathName) { dp in
            var all: [DPIFFlow] = []
            var cursor: FlowDumpCursor? = .start
            while let c = cursor {
                let (batch, next) = dp.dumpFlows(from: c, maxCount: 1024)
                all += batch
                cursor = next
            }
            return all
        } ?? []
        let now = DatapathClock.milliseconds
        state.withLock { s in
            s.stats.dumpDuration = now &- dumpStart
            s.stats.currentFlows = flows.count
            s.stats.averageFlows = (s.stats.averageFlows + flows.count) / 2
            s.stats.maxFlows = max(s.stats.maxFlows, flows.count)
        }
        let idleLimit = maxIdleMilliseconds.load(ordering: .relaxed)
        let ports = portMap()
        let ruleTime = OFProtoBridge.now()
        var deletions: [FlowUFID] = []
        var modifications: [FlowPut] = []
        var seen = Set<FlowUFID>()
        state.withLock { s in s.stats.revalidations &+= 1 }
        for f in flows {
            seen.insert(f.ufid)
            var ukey = state.withLock { $0.ukeys[f.ufid] }
            var active = false
            // Statistics to the rules.
            if var k = ukey {
                let dp = f.counters.packets &- k.packets, db = f.counters.bytes &- k.bytes
                if dp > 0 {
                    active = true
                    for rule in k.rules { rule.account(packets: dp, bytes: db, usedAt: ruleTime) }
                    for g in k.groups { g.account(packets: dp, bytes: db) }
                    k.packets = f.counters.packets
                    k.bytes = f.counters.bytes
                    ukey = k
                }
            }
            let used = f.counters.usedMilliseconds != 0 ? f.counters.usedMilliseconds : (ukey?.created ?? now)
            if now &- used > idleLimit && now >= used {
                deletions.append(f.ufid)
                continue
            }
            // Active flows are translated again with learning on, which
            // keeps their MAC entries fresh (OVS's xlate cache does that).
            if needRevalidate || ukey == nil || active {
                guard let (bridge, ofport) = ports[f.key.inPort.rawValue] else {
                    deletions.append(f.ufid)
                    continue
                }
                var flow = f.key
                flow.openFlowInPort = ofport
                let r = bridges.translate(flow, bridge: bridge, mayLearn: active)
                if r.slowPath || r.mask != f.mask {
                    deletions.append(f.ufid)
                    continue
                }
                if r.actions != f.actions {
                    modifications.append(FlowPut(key: f.key, mask: f.mask, actions: r.actions, ufid: f.ufid, flags: [.modify]))
                }
                var k = ukey ?? FlowRecordKey(bridge: bridge, rules: [], actions: r.actions, mask: r.mask, created: now)
                k.rules = r.rules
                k.groups = r.groups
                k.actions = r.actions
                if ukey == nil { k.packets = f.counters.packets; k.bytes = f.counters.bytes }
                ukey = k
            }
            if let k = ukey { state.withLock { $0.ukeys[f.ufid] = k } }
        }
        var operations: [DPIFOperation] = deletions.map { .delete(.ufid($0)) }
        operations += modifications.map { .put($0) }
        if !operations.isEmpty {
            let results = access.withDatapath(named: datapathName) { $0.operate(operations) } ?? []
            state.withLock { s in
                for (i, op) in operations.enumerated() {
                    guard i < results.count, case .success = results[i] else { continue }
                    switch op {
                    case .delete: s.stats.flowsDeleted &+= 1
                    case .put: s.stats.flowsModified &+= 1
                    default: break
                    }
                }
            }
        }
        state.withLock { s in
            for u in deletions { s.ukeys[u] = nil }
            s.ukeys = s.ukeys.filter { seen.contains($0.key) }
        }
    }

    /// Changes when a translation may now give another answer: pipeline
    /// versions, MAC tables, ports.
    private func revalidationGeneration() -> UInt64 {
        var g = bridgeConfigGeneration.load(ordering: .acquiring) &* 1_000_003
        for b in bridges.all {
            g = g &* 31 &+ b.pipeline.version.rawValue
            let s = b.macTable.statistics
            g = g &* 31 &+ UInt64(s.learned &+ s.moved &* 7 &+ s.evicted &* 13 &+ s.expired &* 17)
        }
        return g
    }
}

/// The mutable state of a `SlowPath`.
struct SlowPathState {
    var ukeys: [FlowUFID: FlowRecordKey] = [:]
    var stats = SlowPathStatistics()
    var portMap: [UInt32: (OFProtoBridge, OFPort)] = [:]
    var portMapGeneration: UInt64 = .max
    var lastGeneration: UInt64 = .max
}

/// An OS thread running `body` until told to stop.
final class SlowPathThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        let r = pthread_create(&thread, nil, { raw in
            let t = Unmanaged<SlowPathThread>.fromOpaque(raw!).takeRetainedValue()
            t.body()
            return nil
        }, context)
        if r != 0 { Unmanaged<SlowPathThread>.fromOpaque(context).release() }
    }

    func join() { pthread_join(thread, nil) }
}

extension OFProtoCommands {
    /// `upcall/show`: the slow paths' flow counts, as Open vSwitch prints them.
    /// `fullName` gives a datapath's `type@name` (`netdev@ovs-netdev`).
    public static func upcallShow(_ slowPaths: [SlowPath], fullName: (String) -> String = { $0 }) -> String {
        var out = ""
        for sp in slowPaths {
            let s = sp.statistics
            let limit = sp.access.withDatapath(named: sp.datapathName) { $0.flowLimit } ?? 0
            out += "\(fullName(sp.datapathName)):\n"
            out += "  flows         : (current \(s.currentFlows)) (avg \(s.averageFlows)) (max \(s.maxFlows)) (limit \(limit))\n"
            out += "  dump duration : \(s.dumpDuration)ms\n"
            out += "  ufid enabled : true\n\n"
            out += "  1: (keys \(sp.flowCount))\n"
        }
        return out
    }
}

extension SlowPath {
    /// Sleeps until the datapath queues an upcall (at most 10 ms, so that
    /// `stop()` is seen), outside the datapath's lock; 1 ms when the
    /// datapath offers nothing to wait on.
    func waitForUpcalls() {
        if let waiter = access.withDatapath(named: datapathName, { $0.upcallWaiter }) ?? nil {
            waiter.waitForUpcalls(timeoutMilliseconds: 10)
        } else {
            usleep(1000)
        }
    }
}

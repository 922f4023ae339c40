import DPIF
import Glibc
import Synchronization
import Datapath
import Flow
import Wire

// The slow path's view of bridges: what the bridge layer (the `VSwitch`
// target) configures from the database, and what translation, the upcall
// handlers, the revalidators and `ofproto/trace` work on.
//
// This file is the contract between the bridge layer and the slow path:
// the bridge layer only uses what is public here.

/// How a port treats 802.1Q tags (the Port table's `vlan_mode`).
public enum PortVLANMode: String, Sendable, Hashable, CaseIterable {
    case trunk
    case access
    case nativeTagged = "native-tagged"
    case nativeUntagged = "native-untagged"
    case dot1qTunnel = "dot1q-tunnel"
}

/// One OpenFlow port of a bridge, as the bridge layer configured it.
public struct BridgePort: Sendable, Hashable {
    /// The port's (and its single interface's) name.
    public var name: String
    /// Its OpenFlow port number (`OFPort.local` for the bridge's own port).
    public var ofport: OFPort
    /// Its datapath port number; `nil` for patch ports, which live only in
    /// the slow path.
    public var datapathPort: DatapathPort?
    /// The Interface `type` (`""`/`system`, `internal`, `tap`, `dummy`, `patch`...).
    public var type: String
    /// For a patch port: the name of its peer interface (`options:peer`).
    public var patchPeer: String?
    /// The Port table's `vlan_mode`; `nil` means Open vSwitch's default
    /// (`access` when `tag` is set, `trunk` otherwise).
    public var vlanMode: PortVLANMode?
    /// The Port table's `tag`.
    public var tag: UInt16?
    /// The Port table's `trunks` (empty: every VLAN).
    public var trunks: [UInt16]
    /// The Port table's `cvlans` (dot1q-tunnel ports).
    public var customerVLANs: [UInt16]
    /// The interface's MAC address (`mac_in_use`), if known.
    public var mac: EthernetAddress?
    /// The port can forward (link up; fast-failover groups watch it).
    public var isLive: Bool = true

    public init(name: String, ofport: OFPort, datapathPort: DatapathPort?, type: String = "",
                patchPeer: String? = nil, vlanMode: PortVLANMode? = nil, tag: UInt16? = nil,
                trunks: [UInt16] = [], customerVLANs: [UInt16] = [], mac: EthernetAddress? = nil) {
        self.name = name
        self.ofport = ofport
        self.datapathPort = datapathPort
        self.type = type
        self.patchPeer = patchPeer
        self.vlanMode = vlanMode
        self.tag = tag
        self.trunks = trunks
        self.customerVLANs = customerVLANs
        self.mac = mac
    }
}

/// A bridge's settings from the Bridge row (`fail_mode`, `other_config`).
public struct BridgeSettings: Sendable, Hashable {
    /// `fail_mode=secure` removes the default `priority=0,actions=NORMAL` flow.
    public var failSecure: Bool = false
    /// `other_config:mac-aging-time` (seconds, Open vSwitch's default 300).
    public var macAgingTime: Int = 300
    /// `other_config:mac-table-size` (Open vSwitch's default 8192).
    public var macTableSize: Int = 8192
    public init() {}
}

/// One bridge of the slow path: its ports, OpenFlow tables and MAC table.
public final class OFProtoBridge: @unchecked Sendable {
    public let name: String
    /// The OpenFlow tables, the actions of a rule being an `ofpacts` list.
    public let pipeline: OpenFlowPipeline<[OFAction]>
    /// The datapath this bridge's ports are in (by name, e.g. `ovs-netdev`).
    public let datapathName: String
    /// The MAC learning table NORMAL uses.
    public let macTable: MACLearningTable
    /// Where packet-ins and other asynchronous messages go (PacketIn.swift).
    public let asyncMessages = BridgeAsyncMessages()
    /// The OpenFlow groups (Groups.swift).
    public let groups = OFGroupTable()
    /// The OpenFlow meters (Meters.swift).
    public let meters: OFMeterTable

    /// The ports and settings, replaced as a whole (readers take a snapshot).
    let config: Mutex<BridgeConfig>
    /// Each table's OFPT_TABLE_MOD settings (PortConfig.swift).
    let tableSettingsStore = Mutex<[UInt8: OFTableSettings]>([:])
    /// The default `priority=0,actions=NORMAL` rule while fail_mode is not secure.
    private let defaultRule = Mutex<Bool>(false)

    public init(name: String, datapathName: String, settings: BridgeSettings = BridgeSettings()) {
        self.name = name
        self.datapathName = datapathName
        pipeline = OpenFlowPipeline<[OFAction]>()
        macTable = MACLearningTable(agingTime: settings.macAgingTime, maxEntries: settings.macTableSize)
        meters = OFMeterTable(datapathName: datapathName)
        config = Mutex(BridgeConfig(ports: [], settings: settings))
        applyFailMode(settings)
    }

    /// A consistent snapshot of ports and settings.
    var snapshot: BridgeConfig { config.withLock { $0 } }

    private func applyFailMode(_ settings: BridgeSettings) {
        defaultRule.withLock { installed in
            let want = !settings.failSecure
            guard want != installed else { return }
            let match = Match.catchAll
            let spec = OpenFlowRuleSpec<[OFAction]>(match: match, priority: 0,
                                                    actions: [.output(port: .normal, maxLength: 0)])
            if want {
                _ = try? pipeline.transaction { tx throws(OpenFlowTableError) in
                    try tx.add(spec, table: OpenFlowTableID(0), now: OFProtoBridge.now())
                }
            } else {
                _ = pipeline.transaction { tx in
                    tx.delete(table: OpenFlowTableID(0), OpenFlowRuleCriteria(match: match, strictPriority: 0))
                }
            }
            installed = want
        }
    }

    /// The time origin rules use (`now:` of the pipeline's operations).
    public static func now() -> Duration { ContinuousClock.now - ContinuousClock.Instant.zeroish }
}

/// Ports and settings of a bridge at one moment.
struct BridgeConfig: Sendable {
    var ports: [BridgePort]
    var settings: BridgeSettings
    var byOFPort: [UInt16: Int] = [:]
    var byName: [String: Int] = [:]
    /// Each port's VLAN configuration, as NORMAL uses it (same order as `ports`).
    var vlans: [PortVLANs] = []
    /// What OpenFlow set on each port (PortConfig.swift), by OpenFlow port number.
    var openFlowPorts: [UInt16: PortOpenFlowState] = [:]

    init(ports: [BridgePort], settings: BridgeSettings) {
        self.ports = ports.sorted { a, b in
            // The local port last, as the others by number.
            (a.ofport == .local ? Int.max : Int(a.ofport.rawValue)) < (b.ofport == .local ? Int.max : Int(b.ofport.rawValue))
        }
        self.settings = settings
        for (i, p) in self.ports.enumerated() {
            byOFPort[p.ofport.rawValue] = i
            byName[p.name] = i
        }
        vlans = self.ports.map { PortVLANs($0) }
    }

    func port(_ ofport: OFPort) -> BridgePort? { byOFPort[ofport.rawValue].map { ports[$0] } }
    func port(named name: String) -> BridgePort? { byName[name].map { ports[$0] } }
}

extension OFProtoBridge {
    /// Replaces the bridge's ports (the bridge layer calls this after every
    /// reconfiguration; ports keep their MAC table entries if they stay).
    public func setPorts(_ ports: [BridgePort]) {
        let (gone, before) = config.withLock { c -> ([String], [BridgePort]) in
            let previous = c.ports
            let old = Set(c.ports.map(\.name))
            var next = BridgeConfig(ports: ports, settings: c.settings)
            next.inheritPortState(from: c, now: OFProtoBridge.now())
            c = next
            return (Array(old.subtracting(ports.map(\.name))), previous)
        }
        bridgeConfigGeneration.add(1, ordering: .releasing)
        for name in gone { macTable.flush(port: name) }
        postPortChanges(from: before, to: ports)
    }
    /// The bridge's ports, by OpenFlow port number.
    public var ports: [BridgePort] { config.withLock { $0.ports } }
    /// Applies new Bridge-row settings (fail mode, MAC table size and aging).
    public func update(settings: BridgeSettings) {
        config.withLock { c in
            var next = BridgeConfig(ports: c.ports, settings: settings)
            next.openFlowPorts = c.openFlowPorts
            c = next
        }
        macTable.configure(agingTime: settings.macAgingTime, maxEntries: settings.macTableSize)
        applyFailMode(settings)
    }
    /// The bridge's settings.
    public var settings: BridgeSettings { config.withLock { $0.settings } }
}

/// Every bridge of the daemon: translation follows patch ports across them,
/// and an upcall's datapath port leads to its bridge.
public final class OFProtoBridges: @unchecked Sendable {
    private let state = Mutex<[String: OFProtoBridge]>([:])
    private let portOwners = Mutex<(generation: UInt64, owners: [String: OFProtoBridge])>((.max, [:]))
    public init() {}
    /// Replaces the set of bridges.
    public func set(_ bridges: [OFProtoBridge]) {
        state.withLock { s in
            s = [:]
            for b in bridges { s[b.name] = b }
        }
        bridgeConfigGeneration.add(1, ordering: .releasing)
    }
    public func bridge(named name: String) -> OFProtoBridge? { state.withLock { $0[name] } }
    /// Every bridge, by name.
    public var all: [OFProtoBridge] { state.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// The bridge and OpenFlow port of datapath port `port` of datapath `datapath`.
    public func port(datapath: String, _ port: DatapathPort) -> (bridge: OFProtoBridge, port: BridgePort)? {
        for b in all where b.datapathName == datapath {
            if let p = b.ports.first(where: { $0.datapathPort == port }) { return (b, p) }
        }
        return nil
    }

    /// The bridge holding the interface named `name` (patch peers), from an
    /// index rebuilt when bridges or ports change.
    func owner(ofPort name: String) -> (bridge: OFProtoBridge, port: BridgePort)? {
        let generation = bridgeConfigGeneration.load(ordering: .acquiring)
        let owners = portOwners.withLock { cache -> [String: OFProtoBridge]? in
            cache.generation == generation ? cache.owners : nil
        } ?? {
            var owners: [String: OFProtoBridge] = [:]
            for b in all { for p in b.ports { owners[p.name] = b } }
            portOwners.withLock { $0 = (generation, owners) }
            return owners
        }()
        guard let b = owners[name], let p = b.snapshot.port(named: name) else { return nil }
        return (b, p)
    }
}

/// How the slow path reaches a datapath: the daemon owns the datapaths and
/// serializes their use; `body` runs with the datapath named `name`
/// (`nil` if there is none).
public protocol DatapathAccess: AnyObject, Sendable {
    func withDatapath<R>(named name: String, _ body: (any DPIF) -> R) -> R?
}

/// The upcall handler and revalidator threads of one datapath.
///
/// Handlers take MISS upcalls from the datapath, translate them, install
/// the megaflow and execute the packet (`handleUpcalls`). The revalidator
/// (one thread; `revalidatorThreads` is accepted for the contract) runs
/// `revalidate` every `revalidateInterval`: it pushes flow statistics to the
/// rules, deletes flows idle longer than `maxIdle`, and re-translates
/// every flow after an OpenFlow or MAC table change, fixing or deleting it.
public final class SlowPath: @unchecked Sendable {
    public let datapathName: String
    let access: any DatapathAccess
    let bridges: OFProtoBridges
    private(set) var handlerThreads: Int
    let state = Mutex(SlowPathState())
    let maxIdleMilliseconds = Atomic<UInt64>(10_000)
    private let stopping = Atomic<Bool>(false)
    private let running = Mutex<[SlowPathThread]>([])
    /// Milliseconds between revalidation rounds (OVS: 500).
    public let revalidateIntervalMilliseconds = Atomic<Int>(500)

    public init(datapathName: String, access: any DatapathAccess, bridges: OFProtoBridges,
                handlerThreads: Int = 1, revalidatorThreads: Int = 1) {
        self.datapathName = datapathName
        self.access = access
        self.bridges = bridges
        self.handlerThreads = max(1, handlerThreads)
    }

    /// Starts the threads (once).
    public func start() {
        running.withLock { threads in
            guard threads.isEmpty else { return }
            stopping.store(false, ordering: .sequentiallyConsistent)
            for _ in 0..<handlerThreads {
                threads.append(SlowPathThread { [self] in
                    while !stopping.load(ordering: .relaxed) {
                        if handleUpcalls() == 0 { waitForUpcalls() }
                    }
                })
            }
            threads.append(SlowPathThread { [self] in
                var next = DatapathClock.milliseconds
                while !stopping.load(ordering: .relaxed) {
                    if DatapathClock.milliseconds >= next {
                        revalidate()
                        next = DatapathClock.milliseconds + UInt64(max(10, revalidateIntervalMilliseconds.load(ordering: .relaxed)))
                    }
                    usleep(5000)
                }
            })
            for t in threads { t.start() }
        }
    }

    /// Changes the number of handler threads, restarting the threads if it
    /// changed and they ran.
    public func setHandlerThreads(_ count: Int) {
        let n = max(1, count)
        guard n != handlerThreads else { return }
        let wasRunning = running.withLock { !$0.isEmpty }
        stop()
        handlerThreads = n
        if wasRunning { start() }
    }

    /// Stops the threads and waits for them.
    public func stop() {
        let threads = running.withLock { t in defer { t = [] }; return t }
        stopping.store(true, ordering: .sequentiallyConsistent)
        for t in threads { t.join() }
    }
}

/// The `ovs-appctl` commands of the slow path, as text in and text out;
/// the daemon registers them. Each returns the reply body, or throws an
/// error whose description is the error reply.
public enum OFProtoCommands {
    /// `ofproto/trace [dp_name] flow | bridge br_flow [-generate|packet]`.
    public static func trace(_ arguments: [String], bridges: OFProtoBridges) throws(OFProtoCommandError) -> String {
        try runTrace(arguments, bridges: bridges)
    }
}

/// A command's failure; `description` is the text `ovs-appctl` shows.
public struct OFProtoCommandError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import OFProto
import OpenFlow
import OVSDB
import OVSDBClient

// The Controller table (OVS's `bridge_configure_remotes` and
// `refresh_controller_status`): each bridge's controllers become
// `OFControllerManager` connections; their state is written back.

/// One Controller row as the bridge layer reads it.
public struct ControllerSpec: Sendable, Hashable {
    public var uuid: UUID
    public var target: String
    /// `max_backoff` (ms, Open vSwitch's default 8000).
    public var maxBackoff: Int
    /// `inactivity_probe` (ms, default 5000; 0 disables it).
    public var inactivityProbe: Int
    public var rateLimit: Int?
    public var burstLimit: Int?

    public init(uuid: UUID = UUID(hi: 0, lo: 0), target: String, maxBackoff: Int = 8000, inactivityProbe: Int = 5000,
                rateLimit: Int? = nil, burstLimit: Int? = nil) {
        self.uuid = uuid
        self.target = target
        self.maxBackoff = maxBackoff
        self.inactivityProbe = inactivityProbe
        self.rateLimit = rateLimit
        self.burstLimit = burstLimit
    }

    /// The Controller rows a Bridge row references.
    static func read(bridge b: [String: Datum], replica: Replica) -> [ControllerSpec] {
        let rows = replica.rows("Controller")
        return (b["controller"]?.uuids ?? []).compactMap { id -> ControllerSpec? in
            guard let c = rows[id], let target = c["target"]?.stringValue else { return nil }
            var spec = ControllerSpec(uuid: id, target: target)
            if let n = c["max_backoff"]?.integer { spec.maxBackoff = Int(max(1000, n)) }
            // rconn_set_probe_interval: 0 disables probing, else at least 5 s.
            if let n = c["inactivity_probe"]?.integer { spec.inactivityProbe = n <= 0 ? 0 : Int(max(5000, n)) }
            spec.rateLimit = c["controller_rate_limit"]?.integer.map { Int(max(100, $0)) }
            spec.burstLimit = c["controller_burst_limit"]?.integer.map { Int(max(25, $0)) }
            return spec
        }.sorted { $0.target < $1.target }
    }

    /// OpenFlow versions of the Bridge's `protocols` column (empty: all svs speaks).
    static func versions(_ protocols: [String]) -> Set<UInt8> {
        let names: [String: UInt8] = ["OpenFlow10": 1, "OpenFlow11": 2, "OpenFlow12": 3, "OpenFlow13": 4,
                                      "OpenFlow14": 5, "OpenFlow15": 6]
        let set = Set(protocols.compactMap { names[$0] }).intersection(OFHello.supported)
        return set.isEmpty ? OFHello.supported : set
    }
}

/// What a bridge's controller setup was last applied from.
struct BridgeControllerConfig {
    var count = 0
    var failMode = "standalone"
    var applied = false
    /// The longest inactivity probe of the controllers (ms).
    var maxProbe = 0
    /// Since when no controller is connected (fail-open's clock).
    var downSince: ContinuousClock.Instant?
}

extension BridgeLayer {
    /// Starts, changes or stops the controller connections of `b`. As Open
    /// vSwitch, the bridge's flows are flushed when it gains its first
    /// controller or loses its last (`connmgr_set_controllers`); the
    /// default NORMAL flow exists only without controllers (see
    /// `BridgeSpec.settings`).
    func applyControllers(_ b: RunningBridge, _ spec: BridgeSpec, ofproto: OFProtoBridge) {
        let versions = ControllerSpec.versions(spec.protocols)
        b.management?.allowedVersions = versions
        let targets = spec.controllers.map {
            OFControllerTarget(target: $0.target, maxBackoff: $0.maxBackoff, inactivityProbe: $0.inactivityProbe,
                               rateLimit: $0.rateLimit, burstLimit: $0.burstLimit, versions: versions)
        }
        let old = b.controllerConfig
        var now = BridgeControllerConfig(count: targets.count, failMode: spec.failMode ?? "standalone", applied: true,
                                         maxProbe: targets.map(\.inactivityProbe).max() ?? 0)
        now.downSince = old.downSince
        // Flushed when the first controller comes or the last goes, and
        // when the fail mode changes while there are none.
        if old.applied && ((old.count > 0) != (now.count > 0) || (now.count == 0 && old.failMode != now.failMode)) {
            _ = ofproto.pipeline.transaction { tx in
                tx.delete(table: .all, OpenFlowRuleCriteria<[OFAction]>(match: .catchAll))
            }
        }
        b.controllerConfig = now
        if now.count == 0 || now.failMode == "secure" { ofproto.asyncMessages.isFailOpen = false }
        guard serveOpenFlow else { return }
        if b.controllers == nil {
            if targets.isEmpty { return }
            b.controllers = OFControllerManager(bridge: ofproto, datapathID: b.datapathID)
        }
        b.controllers?.configure(targets, datapathID: b.datapathID)
    }

    /// Once a second: removes the OpenFlow rules whose timeouts passed,
    /// and enters or leaves fail-open mode.
    func tickOpenFlow() {
        for b in bridges.values {
            guard let ofproto = b.ofproto else { continue }
            ofproto.expireRules()
            updateFailOpen(b, ofproto: ofproto)
        }
    }

    /// OVS's `fail_open_run`: in `fail_mode=standalone`, once no controller
    /// has been connected for three inactivity-probe intervals (the longest
    /// of the bridge's controllers), the flows are flushed and the bridge
    /// forwards with NORMAL until a controller connects again.
    func updateFailOpen(_ b: RunningBridge, ofproto: OFProtoBridge) {
        let c = b.controllerConfig
        guard c.count > 0, c.failMode != "secure", let manager = b.controllers else {
            ofproto.asyncMessages.isFailOpen = false
            b.controllerConfig.downSince = nil
            return
        }
        if manager.isConnected {
            if ofproto.asyncMessages.isFailOpen {
                logger.info("\(b.name): controller connected, leaving fail-open mode")
                ofproto.asyncMessages.isFailOpen = false
            }
            b.controllerConfig.downSince = nil
            return
        }
        let now = ContinuousClock.now
        let since = c.downSince ?? now
        b.controllerConfig.downSince = since
        let waited = now - since
        if !ofproto.asyncMessages.isFailOpen && waited > .zero && waited >= .milliseconds(3 * c.maxProbe) {
            logger.warning("\(b.name): could not connect to controller for \(waited.components.seconds) seconds, failing open")
            _ = ofproto.pipeline.transaction { tx in
                tx.delete(table: .all, OpenFlowRuleCriteria<[OFAction]>(match: .catchAll))
            }
            ofproto.asyncMessages.isFailOpen = true
        }
    }

    /// Closes the controller connections of `b`.
    func stopControllers(_ b: RunningBridge) {
        b.controllers?.stop()
        b.controllers = nil
    }

    /// The Controller rows' `is_connected`, `role` and `status`.
    func controllerStatusRows(_ spec: SwitchSpec) -> [(UUID, [String: Datum])] {
        var rows: [(UUID, [String: Datum])] = []
        for name in spec.bridges.keys.sorted() {
            let bridgeSpec = spec.bridges[name]!
            let statuses = bridges[name]?.controllers?.status() ?? [:]
            for c in bridgeSpec.controllers {
                let s = statuses[c.target]
                var columns: [String: Datum] = ["is_connected": Datum(keys: [.boolean(s?.isConnected ?? false)])]
                columns["role"] = s?.role.map { Datum(keys: [.string($0)]) } ?? Datum()
                let map = (s?.status ?? [:]).sorted { $0.key < $1.key }
                columns["status"] = Datum(keys: map.map { .string($0.key) }, values: map.map { .string($0.value) })
                rows.append((c.uuid, columns))
            }
        }
        return rows
    }
}

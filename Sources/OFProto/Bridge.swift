import DPIF
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

    public init(name: String, datapathName: String, settings: BridgeSettings = BridgeSettings()) {
        self.name = name
        self.datapathName = datapathName
        pipeline = OpenFlowPipeline<[OFAction]>()
    }
}

// MARK: - Filled in by the slow-path work (issue 4); signatures are the contract.

extension OFProtoBridge {
    /// Replaces the bridge's ports (the bridge layer calls this after every
    /// reconfiguration; ports keep their MAC table entries if they stay).
    public func setPorts(_ ports: [BridgePort]) {}
    /// The bridge's ports, by OpenFlow port number.
    public var ports: [BridgePort] { [] }
    /// Applies new Bridge-row settings (fail mode, MAC table size and aging).
    public func update(settings: BridgeSettings) {}
}

/// Every bridge of the daemon: translation follows patch ports across them,
/// and an upcall's datapath port leads to its bridge.
public final class OFProtoBridges: @unchecked Sendable {
    public init() {}
    /// Replaces the set of bridges.
    public func set(_ bridges: [OFProtoBridge]) {}
    public func bridge(named name: String) -> OFProtoBridge? { nil }
    /// Every bridge, by name.
    public var all: [OFProtoBridge] { [] }
}

/// How the slow path reaches a datapath: the daemon owns the datapaths and
/// serializes their use; `body` runs with the datapath named `name`
/// (`nil` if there is none).
public protocol DatapathAccess: AnyObject, Sendable {
    func withDatapath<R>(named name: String, _ body: (any DPIF) -> R) -> R?
}

/// The upcall handler and revalidator threads of one datapath.
public final class SlowPath: @unchecked Sendable {
    public init(datapathName: String, access: any DatapathAccess, bridges: OFProtoBridges,
                handlerThreads: Int = 1, revalidatorThreads: Int = 1) {}
    public func start() {}
    public func stop() {}
}

/// The `ovs-appctl` commands of the slow path, as text in and text out;
/// the daemon registers them. Each returns the reply body, or throws an
/// error whose description is the error reply.
public enum OFProtoCommands {
    /// `ofproto/trace [dp_name] flow | bridge br_flow [-generate|packet]`.
    public static func trace(_ arguments: [String], bridges: OFProtoBridges) throws(OFProtoCommandError) -> String {
        throw OFProtoCommandError("ofproto/trace: not implemented yet")
    }
}

/// A command's failure; `description` is the text `ovs-appctl` shows.
public struct OFProtoCommandError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

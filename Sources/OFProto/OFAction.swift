import Flow

/// OpenFlow actions and instructions in one internal representation, as Open
/// vSwitch's `ofpacts`: a flat list in which the instructions (`meter`,
/// `clear_actions`, `write_actions`, `write_metadata`, `goto_table`) appear
/// as elements too, in OpenFlow's instruction order. Every OpenFlow version
/// and the `ovs-ofctl` text syntax map onto it; translation reads it.
///
/// Where OpenFlow has two spellings of the same action (`mod_vlan_vid` and
/// `set_field:...->vlan_vid`, `load` and `set_field`), the value remembers
/// which one it came from (`SetFieldOrigin`, `push` flags), because Open
/// vSwitch prints and encodes them differently.

/// A bit range of a field: `NXM_NX_REG0[0..15]`.
public struct OFSubfield: Hashable, Sendable {
    public var field: OFField
    /// First bit (0 = least significant).
    public var offset: Int
    /// Number of bits (at least 1).
    public var bits: Int

    public init(field: OFField, offset: Int, bits: Int) {
        self.field = field
        self.offset = offset
        self.bits = bits
    }

    /// The whole field.
    public init(_ field: OFField) { self.init(field: field, offset: 0, bits: field.bits) }

    /// True if the range covers the field's every bit.
    public var isWholeField: Bool { offset == 0 && bits == field.bits }
}

/// Which syntax a `set_field` came from: it decides how it is printed and encoded.
public enum SetFieldOrigin: Hashable, Sendable {
    /// `set_field:` / OpenFlow 1.2+ Set-Field.
    case setField
    /// `load:` / `NXAST_REG_LOAD`.
    case load
    /// `NXAST_REG_LOAD2` (experimenter or variable-length fields in OpenFlow 1.0).
    case load2
}

/// `controller(...)`: send the packet to the controllers.
public struct ControllerAction: Hashable, Sendable {
    /// Bytes of the packet to send (65535: all).
    public var maxLength: UInt16 = 0xffff
    /// Packet-in reason (`OFPR_*`): 0 no_match, 1 action, 2 invalid_ttl,
    /// 3 action_set, 4 group, 5 packet_out.
    public var reason: UInt8 = 1
    /// Controller connection ID (0: all).
    public var controllerID: UInt16 = 0
    /// Opaque bytes returned with the packet-in.
    public var userdata: [UInt8] = []
    /// Pause translation until the controller resumes it.
    public var pause: Bool = false
    /// Meter for the packet-ins (`NX_CTLR_NO_METER`, 0, = none).
    public var meterID: UInt32 = 0

    public init() {}

    /// True if only `max_len` differs from the defaults (printed `CONTROLLER:N`).
    public var isPlain: Bool { reason == 1 && controllerID == 0 && userdata.isEmpty && !pause && meterID == 0 }
}

/// `resubmit(port,table[,ct])`.
public struct ResubmitAction: Hashable, Sendable {
    /// Input port to look up with (`in_port` = 0xfff8 keeps the packet's).
    public var inPort: OFPort = .inPort
    /// Table (255 = the current one).
    public var table: UInt8 = 255
    /// Look up with the conntrack original-direction tuple.
    public var withConntrackOriginal = false
    public init(inPort: OFPort = .inPort, table: UInt8 = 255, withConntrackOriginal: Bool = false) {
        self.inPort = inPort
        self.table = table
        self.withConntrackOriginal = withConntrackOriginal
    }
}

/// `sample(...)`: per-flow IPFIX sampling.
public struct SampleAction: Hashable, Sendable {
    public var probability: UInt16 = 0
    public var collectorSetID: UInt32 = 0
    public var observationDomainID: UInt32 = 0
    public var observationPointID: UInt32 = 0
    public var samplingPort: OFPort = .any
    /// 0 default, 1 ingress, 2 egress.
    public var direction: UInt8 = 0
    public init() {}
}

/// NAT inside `ct(...)`.
public struct NATAction: Hashable, Sendable {
    /// `src`, `dst` or neither (unspecified).
    public enum Kind: Hashable, Sendable { case unspecified, source, destination }
    public var kind: Kind = .unspecified
    /// Address range (IPv4 or IPv6 text form preserved as bytes).
    public var addressMin: IPAddressValue?
    public var addressMax: IPAddressValue?
    public var portMin: UInt16 = 0
    public var portMax: UInt16 = 0
    public var persistent = false
    /// `hash` / `random` (port-range selection).
    public var hash = false
    public var random = false
    public init() {}
}

/// An IPv4 or IPv6 address as NAT carries it.
public enum IPAddressValue: Hashable, Sendable {
    case v4(UInt32)
    case v6(UInt128)
}

/// `ct(...)`: send the packet through the connection tracker.
public struct ConntrackAction: Hashable, Sendable {
    public var commit = false
    public var force = false
    /// Zone as an immediate value.
    public var zone: UInt16 = 0
    /// Zone taken from a field instead (`zone=NXM_NX_REG0[0..15]`).
    public var zoneSource: OFSubfield?
    /// Table to recirculate to (255: none).
    public var recirculationTable: UInt8 = 255
    /// Application-layer gateway (`alg=ftp` 21, `alg=tftp` 69).
    public var alg: UInt16 = 0
    /// Actions for `exec(...)` and `nat(...)`, in order (NAT is an element).
    public var actions: [OFAction] = []
    public init() {}
}

/// `fin_timeout(idle_timeout=..,hard_timeout=..)`.
public struct FinTimeoutAction: Hashable, Sendable {
    public var idle: UInt16 = 0
    public var hard: UInt16 = 0
    public init() {}
}

/// `multipath(fields, basis, algorithm, n_links, arg, dst)`.
public struct MultipathAction: Hashable, Sendable {
    public var fields: String
    public var basis: UInt16
    public var algorithm: String
    public var maxLink: UInt16
    public var argument: UInt32
    public var destination: OFSubfield

    public init(fields: String, basis: UInt16, algorithm: String, maxLink: UInt16, argument: UInt32, destination: OFSubfield) {
        self.fields = fields
        self.basis = basis
        self.algorithm = algorithm
        self.maxLink = maxLink
        self.argument = argument
        self.destination = destination
    }
}

/// `bundle(...)` / `bundle_load(...)`.
public struct BundleAction: Hashable, Sendable {
    public var fields: String
    public var basis: UInt16
    public var algorithm: String
    /// Output to `destination` instead of the chosen port (`bundle_load`).
    public var destination: OFSubfield?
    public var members: [OFPort]

    public init(fields: String, basis: UInt16, algorithm: String, destination: OFSubfield?, members: [OFPort]) {
        self.fields = fields
        self.basis = basis
        self.algorithm = algorithm
        self.destination = destination
        self.members = members
    }
}

/// A `learn(...)` specification, kept as its parsed parts.
public struct LearnAction: Hashable, Sendable {
    public var table: UInt8 = 1
    /// 0: permanent.
    public var idleTimeout: UInt16 = 0
    public var hardTimeout: UInt16 = 0
    public var priority: UInt16 = 32768
    public var cookie: UInt64 = 0
    public var finIdleTimeout: UInt16 = 0
    public var finHardTimeout: UInt16 = 0
    public var sendFlowRemoved = false
    public var deleteLearned = false
    public var limit: UInt32 = 0
    public var resultDestination: OFSubfield?
    /// The flow-building specifications in order, each already in printed form.
    public var specs: [LearnSpec] = []
    public init() {}
}

/// One part of a `learn` action.
public enum LearnSpec: Hashable, Sendable {
    /// Match `destination` against the packet's `source` (or the same field).
    case matchField(destination: OFSubfield, source: OFSubfield)
    /// Match `destination` against an immediate value.
    case matchValue(destination: OFSubfield, value: UInt128)
    /// Load `source` into `destination` in the learned flow.
    case loadField(destination: OFSubfield, source: OFSubfield)
    /// Load an immediate value.
    case loadValue(destination: OFSubfield, value: UInt128)
    /// Output to the port in `source`.
    case output(source: OFSubfield)
}

/// One OpenFlow action or instruction.
public indirect enum OFAction: Hashable, Sendable {
    // Output.
    /// Output to a port; `maxLength` matters for `controller` only.
    case output(port: OFPort, maxLength: UInt16)
    case controller(ControllerAction)
    case enqueue(port: OFPort, queue: UInt32)
    /// `output:NXM_NX_REG0[0..15]`.
    case outputRegister(source: OFSubfield, maxLength: UInt16)
    case group(UInt32)
    case bundle(BundleAction)
    /// `output(port=P,max_len=N)`: output truncated to `maxLength` bytes.
    case outputTruncate(port: OFPort, maxLength: UInt32)
    /// `check_pkt_larger(N)->DST`: sets the 1-bit `destination` if the packet is longer than N.
    case checkPacketLarger(length: UInt16, destination: OFSubfield)

    // Header changes, legacy OpenFlow 1.0 forms.
    /// `mod_vlan_vid` (`pushIfNeeded`) or `set_vlan_vid`.
    case setVLANVID(UInt16, pushIfNeeded: Bool)
    /// `mod_vlan_pcp` (`pushIfNeeded`) or `set_vlan_pcp`.
    case setVLANPCP(UInt8, pushIfNeeded: Bool)
    /// `strip_vlan`, or `pop_vlan` (`isPop`).
    case stripVLAN(isPop: Bool)
    case pushVLAN(ethertype: UInt16)
    case setEthSource(UInt64)
    case setEthDestination(UInt64)
    case setIPv4Source(UInt32)
    case setIPv4Destination(UInt32)
    /// `mod_nw_tos`: the TOS byte's DSCP bits (already shifted).
    case setIPDSCP(UInt8)
    case setIPECN(UInt8)
    case setIPTTL(UInt8)
    case setTransportSource(UInt16)
    case setTransportDestination(UInt16)

    // Fields.
    /// `set_field` / `load`: `value` under `mask`, both right-aligned in the field's width.
    case setField(field: OFField, value: UInt128, mask: UInt128, origin: SetFieldOrigin)
    case move(source: OFSubfield, destination: OFSubfield)
    case stackPush(OFSubfield)
    case stackPop(OFSubfield)

    // TTL and MPLS.
    /// `dec_ttl`, or `dec_ttl(ids)` when `explicitIDs`.
    case decrementTTL(controllerIDs: [UInt16], explicitIDs: Bool)
    case setMPLSLabel(UInt32)
    case setMPLSTC(UInt8)
    case setMPLSTTL(UInt8)
    case decrementMPLSTTL
    case pushMPLS(ethertype: UInt16)
    case popMPLS(ethertype: UInt16)

    // Metadata.
    /// `set_tunnel` / `set_tunnel64` (`is64`).
    case setTunnel(UInt64, is64: Bool)
    case setQueue(UInt32)
    case popQueue
    case finTimeout(FinTimeoutAction)

    // Control flow.
    case resubmit(ResubmitAction)
    case learn(LearnAction)
    case conjunction(id: UInt32, clause: UInt8, clauseCount: UInt8)
    case multipath(MultipathAction)
    /// `note:` bytes.
    case note([UInt8])
    case exit
    case sample(SampleAction)
    case clone([OFAction])
    case conntrack(ConntrackAction)
    case conntrackClear
    /// `delete_field:FIELD` (tunnel metadata only).
    case deleteField(OFField)
    case decrementNSHTTL
    /// `debug_recirc` / `debug_slow`: testing aids of Open vSwitch.
    case debugRecirculate
    case debugSlowPath
    /// `nat(...)`, only inside `ct(...)`.
    case nat(NATAction)

    // Instructions.
    case meter(UInt32)
    case clearActions
    case writeActions([OFAction])
    case writeMetadata(value: UInt64, mask: UInt64)
    case gotoTable(UInt8)
}

/// Why an action or flow text was refused. `message` is Open vSwitch's
/// wording (what `ovs-ofctl` prints after `ovs-ofctl: `).
public struct OFActionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension OFAction {
    /// The instruction this element belongs to (`ovs_instruction_type_from_ofpact_type`).
    public var instruction: InstructionKind {
        switch self {
        case .meter: return .meter
        case .clearActions: return .clearActions
        case .writeActions: return .writeActions
        case .writeMetadata: return .writeMetadata
        case .gotoTable: return .gotoTable
        default: return .applyActions
        }
    }
}

/// OpenFlow 1.1+ instructions, in the order they must appear.
public enum InstructionKind: Int, Comparable, Sendable {
    case meter = 0, applyActions, clearActions, writeActions, writeMetadata, gotoTable

    /// Open vSwitch's name (`ovs_instruction_name_from_type`).
    public var name: String {
        switch self {
        case .meter: return "meter"
        case .applyActions: return "apply_actions"
        case .clearActions: return "clear_actions"
        case .writeActions: return "write_actions"
        case .writeMetadata: return "write_metadata"
        case .gotoTable: return "goto_table"
        }
    }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// `actions` as an `[OFAction]` when that is its type (generic tables hold
/// whatever action model their owner uses; the OpenFlow one is `[OFAction]`).
///
/// The types are compared, not cast: a conditional cast (`as?`) of a generic
/// value to an array type goes through the runtime's array cast, which
/// looks at every element; tables call this on every insertion.
@inline(__always)
func openFlowActions<Actions>(_ actions: Actions) -> [OFAction]? {
    Actions.self == [OFAction].self ? unsafeBitCast(actions, to: [OFAction].self) : nil
}

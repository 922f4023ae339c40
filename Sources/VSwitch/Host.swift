import DPIF
import Datapath
import OFProto

/// What the bridge layer needs from the daemon that owns the datapaths:
/// the slow path's serialized access (`DatapathAccess`), and creating and
/// deleting datapaths.
public protocol VSwitchDatapathHost: DatapathAccess {
    /// Creates datapath `name`, its local port of `localType`, unless one
    /// with that name exists; `typeName` is the type `dpctl` shows
    /// (`netdev`, `dummy`).
    func createDatapath(named name: String, localType: PortType, typeName: String) throws(DPIFError)
    /// Deletes datapath `name` and its ports, if it exists.
    func deleteDatapath(named name: String)
}

/// A failure to make an interface, with Open vSwitch's words for the
/// Interface `error` column.
public struct InterfaceFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

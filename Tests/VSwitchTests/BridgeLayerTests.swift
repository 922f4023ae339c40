import DPIF
import Datapath
import Flow
import OFProto
import OVSDB
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import VSwitch

/// An in-memory port (the test target does not link NetDevices).
final class MemoryPort: Port, @unchecked Sendable {
    let name: String
    let type: PortType
    let number: DatapathPort
    var stats = PortStats()
    init(_ c: PortConfiguration, _ n: DatapathPort) {
        name = c.name
        type = c.type
        number = n
    }
    func receive(into batch: inout PacketBatch, pool: PacketPool) throws(PortError) -> Int { 0 }
    func send(_ batch: consuming PacketBatch, pool: PacketPool) throws(PortError) { pool.recycle(batch) }
}

/// Counts the ports made, by name.
final class MadePorts: Sendable {
    let counts = Mutex<[String: Int]>([:])
    func add(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
    var all: [String: Int] { counts.withLock { $0 } }
}

/// Datapaths in this process whose `dummy`, `dummy-internal` and `tap`
/// ports live in memory; `system` ports fail as a missing device does.
final class MemoryHost: VSwitchDatapathHost, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    let registry: DatapathRegistry
    /// Every port made, by name (to see which ones were re-made).
    let made = MadePorts()

    init() {
        pthread_mutex_init(&mutex, nil)
        var types = PortTypeRegistry()
        let made = self.made
        for t in ["dummy", "dummy-internal", "tap", "internal"] {
            types.register(PortType(rawValue: t)) { (c, n) throws(PortError) in
                made.add(c.name)
                return MemoryPort(c, n)
            }
        }
        types.register(.system) { (c, _) throws(PortError) in throw .noSuchPort(c.name) }
        registry = DatapathRegistry(portTypes: types, localType: .dummyInternal)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    func withDatapath<R>(named name: String, _ body: (any DPIF) -> R) -> R? {
        locked { (try? registry.open(name: name)).map { body($0) } }
    }
    func createDatapath(named name: String, localType: PortType, typeName: String) throws(DPIFError) {
        let r: Result<Void, DPIFError> = locked {
            guard !registry.names.contains(name) else { return .success(()) }
            return Result { () throws(DPIFError) in _ = try registry.create(name: name, localType: localType, typeName: typeName) }
        }
        try r.get()
    }
    func deleteDatapath(named name: String) {
        locked { try? registry.delete(name: name) }
    }
    func ports(_ dp: String) -> [String: UInt32] {
        var out: [String: UInt32] = [:]
        _ = withDatapath(named: dp) { d in for p in d.dumpPorts() { out[p.name] = p.number.rawValue } }
        return out
    }
}

private func spec(_ bridges: [BridgeSpec], nextCfg: Int64 = 1) -> SwitchSpec {
    SwitchSpec(rootUUID: UUID(hi: 9, lo: 9), nextCfg: nextCfg,
               bridges: Dictionary(uniqueKeysWithValues: bridges.map { ($0.name, $0) }))
}

private func bridge(_ name: String, type: String = "dummy", _ ifaces: [InterfaceSpec]) -> BridgeSpec {
    BridgeSpec(uuid: UUID(hi: 1, lo: UInt64(name.utf8.count)), name: name, datapathType: type,
               ports: [PortSpec(name: name, interfaces: [iface(name, "internal")])]
                   + ifaces.map { PortSpec(name: $0.name, interfaces: [$0]) })
}

private func iface(_ name: String, _ type: String = "dummy", request: UInt16? = nil,
                   options: [String: String] = [:]) -> InterfaceSpec {
    InterfaceSpec(uuid: UUID(hi: 2, lo: UInt64(name.hashValue.magnitude)), name: name, type: type,
                  options: options, ofportRequest: request)
}

@Suite(.serialized) struct BridgeLayerTests {
    @Test func portsAreMadeOnceAndNumberedAsOpenVSwitch() {
        let host = MemoryHost()
        let layer = BridgeLayer(options: .init(databaseRemote: "unix:/nonexistent", runDirectory: "/tmp"),
                                host: host, serveOpenFlow: false)
        defer { layer.shutdown(cleanup: true) }
        layer.apply(spec([bridge("br0", [iface("p1"), iface("p2", request: 7), iface("pi", "internal")])]))
        // The dummy datapath's numbering: digits in the name, br -> 100 + digits.
        #expect(host.ports("ovs-dummy") == ["ovs-dummy": 0, "p1": 1, "p2": 2, "pi": 3, "br0": 100])
        let ports = layer.ofprotoBridges.bridge(named: "br0")?.ports ?? []
        #expect(Set(ports.map { "\($0.name)=\($0.ofport.rawValue)" }) == ["br0=65534", "p1=1", "p2=7", "pi=2"])

        // One port more: only it is made.
        layer.apply(spec([bridge("br0", [iface("p1"), iface("p2", request: 7), iface("pi", "internal"),
                                         iface("p3")])], nextCfg: 2))
        #expect(host.made.all == ["ovs-dummy": 1, "br0": 1, "p1": 1, "p2": 1, "pi": 1, "p3": 1])
        #expect(layer.ofprotoBridges.bridge(named: "br0")?.ports.first { $0.name == "p3" }?.ofport.rawValue == 3)

        // p1 goes, p4 comes: OpenFlow port 1 is not reused at once.
        layer.apply(spec([bridge("br0", [iface("p2", request: 7), iface("pi", "internal"), iface("p3"),
                                         iface("p4")])], nextCfg: 3))
        #expect(layer.ofprotoBridges.bridge(named: "br0")?.ports.first { $0.name == "p4" }?.ofport.rawValue == 4)
        #expect(host.ports("ovs-dummy")["p1"] == nil)
    }

    @Test func failuresAndStatus() {
        let host = MemoryHost()
        let layer = BridgeLayer(options: .init(databaseRemote: "unix:/nonexistent", runDirectory: "/tmp"),
                                host: host, serveOpenFlow: false)
        defer { layer.shutdown(cleanup: true) }
        let s = spec([bridge("br0", [iface("eth9", ""), iface("pa", "patch", options: ["peer": "pb"]),
                                     iface("pc", "patch"), iface("x", "vxlan")]),
                      bridge("br2", type: "system", [iface("r1")])])
        layer.apply(s)
        let updates = layer.statusUpdates(s, completing: true)
        let interfaces = Dictionary(uniqueKeysWithValues: updates.first { $0.0 == "Interface" }!.1.map { ($0.0, $0.1) })
        func column(_ name: String, _ c: String) -> String? {
            let i = s.bridges.values.flatMap(\.interfaces).first { $0.interface.name == name }!.interface
            return interfaces[i.uuid]?[c].map { $0.string }
        }
        #expect(column("eth9", "error") == "\"could not open network device eth9 (No such device)\"")
        #expect(column("eth9", "ofport") == "-1")
        #expect(column("x", "error") == "\"could not open network device x (Address family not supported by protocol)\"")
        #expect(column("pc", "error") == "\"pc: patch type requires valid 'peer' argument\"")
        #expect(column("pa", "error") == "\"No usable peer 'pb' exists in 'dummy' datapath.\"")
        #expect(column("pa", "ofport") == "1")
        #expect(column("br0", "ofport") == "65534")
        // The system bridge cannot be made: its interfaces stay blank.
        #expect(column("r1", "ofport") == "[]" && column("r1", "error") == "[]")
        let root = updates.first { $0.0 == "Open_vSwitch" }!.1[0].1
        #expect(root["cur_cfg"] == Datum(keys: [.integer(1)]))
        #expect(layer.ofprotoList() == "br0\n")
        #expect(layer.dpifShow().hasPrefix("dummy@ovs-dummy: hit:0 missed:0\n  br0:\n    br0 65534/100: (dummy-internal)\n"))
    }
}

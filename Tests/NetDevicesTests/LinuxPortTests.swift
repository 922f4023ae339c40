import Foundation
import Testing
import Datapath
import DPIF
import Flow
@testable import NetDevices

/// `system` and `internal` ports against real Linux devices: veth pairs
/// into private network namespaces (`svst<hex>-a`, `-b`), the datapath in
/// between, traffic made by `ping` and `python3`. Needs root.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LinuxPortTests {
    /// A datapath over `ports` (`name,type=...` specs) with flows both ways
    /// between ports `one` and `two` for IPv4 and ARP.
    static func makeDatapath(_ name: String, localType: PortType, ports: [String],
                             one: Int, two: Int) throws -> (DatapathControl, LocalDatapath) {
        let control = DatapathControl(registry: DatapathRegistry(portTypes: .netDevices, localType: localType))
        _ = try control.run(["add-dp", "netdev@" + name] + ports)
        for (from, to) in [(one, two), (two, one)] {
            _ = try control.run(["add-flow", "in_port(\(from)),eth(),eth_type(0x0800),ipv4(frag=no)", "\(to)"])
            _ = try control.run(["add-flow", "in_port(\(from)),eth(),eth_type(0x0806),arp()", "\(to)"])
            _ = try control.run(["add-flow", "in_port(\(from)),eth(),eth_type(0x86dd),ipv6(frag=no)", "\(to)"])
        }
        return (control, try control.registry.open(name: name))
    }

    @Test(arguments: [false, true])
    func pingCrossesTwoSystemPorts(rxRing: Bool) throws {
        let sb = Sandbox()
        defer { sb.tearDown() }
        try sb.setUp()
        let (control, dp) = try Self.makeDatapath(sb.prefix, localType: .dummyInternal,
                                                  ports: ["\(sb.rootA),type=system,rx_ring=\(rxRing)",
                                                          "\(sb.rootB),type=system,rx_ring=\(rxRing)"],
                                                  one: 1, two: 2)
        let poller = Poller(dp)
        defer { poller.stop(); _ = try? control.run(["del-dp", sb.prefix]) }
        let ping = try sb.exec(sb.namespaceA, ["ping", "-c", "3", "-i", "0.2", "-W", "1", sb.addressB], timeout: 10)
        #expect(ping.status == 0, "\(ping.output)")
        let stats = try dp.port(number: DatapathPort(rawValue: 2)).stats
        #expect(stats.txPackets >= 3)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func tcpTransferCompletesPartialChecksums(ipv6: Bool, rxRing: Bool) throws {
        let sb = Sandbox()
        defer { sb.tearDown() }
        try sb.setUp()
        let (control, dp) = try Self.makeDatapath(sb.prefix, localType: .dummyInternal,
                                                  ports: ["\(sb.rootA),type=system,rx_ring=\(rxRing)",
                                                          "\(sb.rootB),type=system,rx_ring=\(rxRing)"],
                                                  one: 1, two: 2)
        let poller = Poller(dp)
        defer { poller.stop(); _ = try? control.run(["del-dp", sb.prefix]) }
        // Offloads on: the senders leave checksums partial; the receivers
        // verify them, so the transfer only completes if svs finished them.
        let offloads = try sb.exec(sb.namespaceA, ["ethtool", "-k", sb.innerA])
        #expect(offloads.output.contains("tx-checksumming: on"))
        #expect(offloads.output.contains("tcp-segmentation-offload: on"))
        #expect(offloads.output.contains("generic-segmentation-offload: on"))
        let serverAddress = ipv6 ? sb.address6B : sb.addressB
        let server = """
            import socket, hashlib
            s = socket.socket(socket.AF_INET6 if ":" in "\(serverAddress)" else socket.AF_INET); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("\(serverAddress)", 5001)); s.listen(1); s.settimeout(15)
            c, _ = s.accept(); c.settimeout(15); h = hashlib.sha256(); n = 0
            while True:
                d = c.recv(65536)
                if not d: break
                h.update(d); n += len(d)
            print(n, h.hexdigest())
            """
        let client = """
            import socket, hashlib, time
            data = bytes((i * 7) % 251 for i in range(1 << 20))
            for _ in range(50):
                try:
                    c = socket.create_connection(("\(serverAddress)", 5001), timeout=2); break
                except OSError:
                    time.sleep(0.1)
            c.settimeout(15); c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
            print(len(data), hashlib.sha256(data).hexdigest())
            """
        let segmentedBefore = SystemPort.superFramesSegmentedTotal.load(ordering: .relaxed)
        let ns = sb.namespaceB
        let received = Thread.detachNewThreadWithResult {
            (try? run(["ip", "netns", "exec", ns, "python3", "-c", server], timeout: 20))?.output ?? "failed"
        }
        let sent = try sb.exec(sb.namespaceA, ["python3", "-c", client], timeout: 20)
        let got = received.value(timeout: 22) ?? "timed out"
        #expect(sent.status == 0, "\(sent.output)")
        #expect(sent.output.hasPrefix("1048576 "))
        #expect(got == sent.output, "server: \(got)")
        // The client's data reached port 1 as TSO super-frames that svs cut up.
        #expect(SystemPort.superFramesSegmentedTotal.load(ordering: .relaxed) > segmentedBefore)
        #expect(try dp.port(number: DatapathPort(rawValue: 1)).stats.rxDropped == 0)
    }

    @Test func badDevicesAndOptionsAreErrors() throws {
        #expect(throws: PortError.noSuchPort("svst-none0")) {
            try SystemPort(configuration: PortConfiguration(name: "svst-none0", type: .system),
                           number: DatapathPort(rawValue: 1))
        }
        #expect(throws: PortError.badOption(name: "rx_ring", value: "maybe")) {
            try SystemPort(configuration: PortConfiguration(name: "lo", type: .system, options: ["rx_ring": "maybe"]),
                           number: DatapathPort(rawValue: 1))
        }
        #expect(throws: PortError.invalidName("svst-name-too-long-for-linux")) {
            try TapPort(configuration: PortConfiguration(name: "svst-name-too-long-for-linux", type: .internal),
                        number: DatapathPort(rawValue: 1))
        }
    }

    @Test(arguments: [false, true])
    func systemPortRestoresStrippedVLANTag(rxRing: Bool) throws {
        let sb = Sandbox()
        defer { sb.tearDown() }
        try sb.setUp(withB: false)
        let port = try SystemPort(configuration: PortConfiguration(name: sb.rootA, type: .system,
                                                                    options: ["rx_ring": "\(rxRing)"]),
                                  number: DatapathPort(rawValue: 1))
        let info = try port.interfaceInfo()
        #expect(info.mtu == 1500)
        #expect(info.isUp && info.isRunning)
        let mac = try String(contentsOfFile: "/sys/class/net/\(sb.rootA)/address", encoding: .utf8)
        #expect(info.hardwareAddress.map { String(format: "%02x", $0) }.joined(separator: ":") ==
                mac.trimmingCharacters(in: .whitespacesAndNewlines))

        // 802.1Q, PCP 1, VID 100, then the local experimental EtherType.
        let sender = """
            import socket
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("\(sb.innerA)", 0))
            f = bytes([2,0,0,0,0,2, 2,0,0,0,0,1, 0x81,0x00, 0x20,0x64, 0x88,0xb5]) + b"svs-vlan-test"
            s.send(f + bytes(64 - len(f)))
            """
        let pool = PacketPool(capacity: 64)
        var found: [UInt8]?
        let deadline = Date().addingTimeInterval(5)
        var sentAt = Date.distantPast
        while found == nil, Date() < deadline {
            if Date().timeIntervalSince(sentAt) > 1 {
                let r = try sb.exec(sb.namespaceA, ["python3", "-c", sender], timeout: 5)
                #expect(r.status == 0, "\(r.output)")
                sentAt = Date()
            }
            var batch = PacketBatch()
            _ = try port.receive(into: &batch, pool: pool)
            while let p = batch.removeLast() {
                let bytes = p.copyBytes()
                if bytes.count >= 18, bytes[16] == 0x88, bytes[17] == 0xb5 || bytes[12] == 0x88 { found = bytes }
                #expect(p.metadata.inPort == DatapathPort(rawValue: 1))
                pool.recycle(p)
            }
            if found == nil { usleep(10_000) }
        }
        let frame = try #require(found)
        #expect(Array(frame[12..<18]) == [0x81, 0x00, 0x20, 0x64, 0x88, 0xb5])
        #expect(Array(frame[18..<31]) == Array("svs-vlan-test".utf8))
        #expect(port.stats.rxPackets >= 1)
    }

    @Test func internalPortReachesHostStack() throws {
        let sb = Sandbox()
        defer { sb.tearDown() }
        try sb.setUp(withB: false)
        // The datapath's local port (0) is an `internal` TAP named after it.
        let (control, dp) = try Self.makeDatapath(sb.tap, localType: .internal,
                                                  ports: ["\(sb.rootA),type=system"], one: 1, two: 0)
        let poller = Poller(dp)
        defer { poller.stop(); _ = try? control.run(["del-dp", sb.tap]) }
        #expect(try dp.port(number: DatapathPort(rawValue: 0)).type == .internal)
        // Give the TAP to namespace B with B's address; ping it from A.
        try must(["ip", "link", "set", sb.tap, "netns", sb.namespaceB])
        try must(["ip", "-n", sb.namespaceB, "addr", "add", sb.addressB + "/24", "dev", sb.tap])
        try must(["ip", "-n", sb.namespaceB, "link", "set", sb.tap, "up"])
        let ping = try sb.exec(sb.namespaceA, ["ping", "-c", "3", "-i", "0.2", "-W", "1", sb.addressB], timeout: 10)
        #expect(ping.status == 0, "\(ping.output)")
        let stats = try dp.port(number: DatapathPort(rawValue: 0)).stats
        #expect(stats.rxPackets >= 3 && stats.txPackets >= 3)
    }
}

import ArgumentParser
import OFProto
import OpenFlow
#if canImport(Glibc)
import Glibc
#endif

/// `svs openflow-serve --bridge BR --socket PATH` (hidden): serves a
/// standalone bridge's OpenFlow tables on a unix socket, for tests of the
/// OpenFlow protocol without the daemon.
struct OpenFlowServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openflow-serve",
        abstract: "Serve a standalone bridge's OpenFlow tables on a unix socket (testing aid).",
        shouldDisplay: false)

    @Option(help: "The bridge's name.") var bridge: String = "br0"
    @Option(help: "The unix socket to listen on.") var socket: String
    @Option(help: "The datapath ID (hex).") var datapathID: String = "0000000000000001"
    @Flag(help: "fail_mode=secure: no default NORMAL flow.") var failSecure = false

    func run() throws {
        var settings = BridgeSettings()
        settings.failSecure = failSecure
        let br = OFProtoBridge(name: bridge, datapathName: "ovs-netdev", settings: settings)
        let server = OpenFlowManagementServer(bridge: br, socketPath: socket,
                                              datapathID: UInt64(datapathID, radix: 16) ?? 1)
        do {
            try server.start()
        } catch {
            throw ValidationError("\(error)")
        }
        signal(SIGPIPE, SIG_IGN)
        while true { pause() }
    }
}

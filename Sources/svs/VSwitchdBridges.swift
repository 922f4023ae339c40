#if canImport(Glibc)
import Glibc
#endif
import Logging
import OFProto
import Synchronization
import Unixctl
import VSwitch

/// The bridge layer inside the daemon: a thread that keeps the bridges in
/// step with the database (`VSwitch.BridgeLayer`), and the slow path's
/// `ovs-appctl` commands.
final class VSwitchdBridges: VSwitchdComponent, @unchecked Sendable {
    let name = "bridge"
    private var layer: BridgeLayer?
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    func start(_ context: VSwitchdContext) throws {
        let layer = BridgeLayer(
            options: BridgeLayer.Options(databaseRemote: context.databaseRemote,
                                         runDirectory: context.options.runDirectory,
                                         enableDummy: context.options.enableDummy),
            host: context.datapaths)
        self.layer = layer
        Self.registerCommands(context.commands, bridges: layer.ofprotoBridges)
        context.commands.register("dpif/show", usage: "", arguments: 0...0) { _ in layer.dpifShow() }
        context.commands.register("ofproto/list", usage: "", arguments: 0...0) { _ in layer.ofprotoList() }
        context.commands.register("upcall/show", usage: "", arguments: 0...0) { _ in
            OFProtoCommands.upcallShow(layer.allSlowPaths)
        }
        DetachedThread.start(name: "bridge") { [self] in
            layer.run { stopRequested.load(ordering: .acquiring) }
            finished.store(true, ordering: .releasing)
        }
    }

    func stop(cleanup: Bool) {
        stopRequested.store(true, ordering: .releasing)
        // The loop checks the flag at least every 100 ms (a transaction in
        // flight may take longer); give it 15 s at most.
        for _ in 0..<1500 where !finished.load(ordering: .acquiring) { usleep(10_000) }
        if finished.load(ordering: .acquiring) { layer?.shutdown(cleanup: cleanup) }
    }

    /// The slow path's commands, text in and text out.
    static func registerCommands(_ commands: UnixctlCommands, bridges: OFProtoBridges) {
        let table: [(String, String, ClosedRange<Int>,
                     @Sendable ([String], OFProtoBridges) throws(OFProtoCommandError) -> String)] = [
            ("fdb/show", "bridge", 1...1, OFProtoCommands.fdbShow),
            ("fdb/flush", "[bridge]", 0...1, OFProtoCommands.fdbFlush),
        ]
        for (name, usage, arguments, run) in table {
            commands.register(name, usage: usage, arguments: arguments) { arguments throws(UnixctlError) in
                do throws(OFProtoCommandError) {
                    return try run(arguments, bridges)
                } catch {
                    throw UnixctlError(error.description)
                }
            }
        }
        commands.register("ofproto/trace", usage: "{[dp_name] odp_flow | bridge br_flow} [OPTIONS...] [-generate|packet]",
                          arguments: 1...Int(Int32.max)) { arguments throws(UnixctlError) in
            do throws(OFProtoCommandError) {
                return try OFProtoCommands.trace(arguments, bridges: bridges)
            } catch {
                throw UnixctlError(error.description)
            }
        }
    }
}

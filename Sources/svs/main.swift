import ArgumentParser

/// `svs`: one binary for the switch daemon and its tools.
struct SVS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svs",
        abstract: "A virtual switch in Swift, driven by the Open vSwitch tools.",
        subcommands: [VSwitchd.self, VSCtl.self, OFCtl.self, DPCtl.self, AppCtl.self, OVSDBServerCommand.self, OVSDBToolCommand.self, OFProtoTraceCommand.self, OpenFlowServeCommand.self])
}

SVS.main()

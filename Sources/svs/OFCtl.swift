import ArgumentParser
import Foundation
import Wire

struct OFCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ofctl", abstract: "OpenFlow switch management (as ovs-ofctl).",
        subcommands: [ParsePcap.self])
}

/// `svs ofctl parse-pcap FILE...`: one line per packet, the flow Open vSwitch
/// extracts from it, printed as `ovs-ofctl parse-pcap` prints it.
struct ParsePcap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-pcap", abstract: "Print the flow extracted from each packet of pcap files.")
    @Argument var files: [String]

    func run() throws {
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file): open failed")
            }
            var reader = try PcapReader(bytes: [UInt8](data))
            while let packet = try reader.next() {
                _ = packet
                throw NotYetImplemented(what: "flow extraction")
            }
        }
    }
}

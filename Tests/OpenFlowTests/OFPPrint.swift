import Foundation
@testable import OpenFlow

/// What the real `ovs-ofctl ofp-print` prints for `m` (nil without the tool).
func ofpPrint(_ m: OFMessage) -> String? {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ovs-ofctl") else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["10", "/usr/bin/ovs-ofctl", "ofp-print", m.encoded.map { String(format: "%02x", $0) }.joined()]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

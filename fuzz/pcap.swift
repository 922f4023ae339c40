// fuzz-modules: Wire
//
// libFuzzer target: Wire's pcap reader over arbitrary file contents must
// throw or return packets, never trap. Round-trips what it reads through
// PcapWriter. Run it with `scripts/fuzz pcap SECONDS`.
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPcap(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    guard var reader = try? PcapReader(bytes: bytes) else { return 0 }
    var writer = PcapWriter(linkType: reader.linkType)
    var count = 0
    while let packet = try? reader.next() {
        writer.write(packet)
        count += 1
    }
    return writer.bytes.count < 24 + 16 * count ? 1 : 0
}

// fuzz-modules: Wire Flow
//
// libFuzzer target: flow extraction over arbitrary bytes, then the match's
// OpenFlow text, so both must hold for any input (no trap, no bad access).
// Run it with `scripts/fuzz extract SECONDS`; seeds are in extract.seeds.
import Flow

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExtract(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    // Both an OpenFlow port and OFPP_ANY (what parse-pcap uses), chosen by
    // the input's length so one run covers the two formatting paths.
    let inPort: UInt32 = size & 1 == 0 ? 0xffff : 1
    let key = FlowKey(extractingFrom: bytes, inPort: inPort)
    let text = Match(exact: key).formatted()
    // Touch the result so nothing is optimized away.
    return text.utf8.count == Int.max ? 1 : 0
}

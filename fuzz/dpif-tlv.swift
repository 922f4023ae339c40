// fuzz-modules: Wire Flow Datapath DPIF
// libFuzzer entry for the datapath interface's TLV codec.
//
// Decodes the input as a message of every family (requests and replies),
// as an action list, and as a bare attribute list with every typed getter.
// Whatever decodes must re-encode and decode to the same value; a
// difference is a codec bug and stops the fuzzer. Nothing else may trap.
import DPIF
import Datapath
import Flow
import Wire

/// Decodes, re-encodes and decodes again; traps only on a round-trip mismatch.
@inline(never)
func checkRoundTrip<M: DPIFMessage>(_ type: M.Type, _ bytes: [UInt8]) {
    guard let first = try? M(decoding: bytes) else { return }
    // Re-encoding can legitimately fail (an attribute grown past 64 KiB by
    // padding that the input left out); decoding what it wrote cannot.
    guard let again = try? first.encoded() else { return }
    guard let second = try? M(decoding: again) else {
        fatalError("\(M.self): re-encoded message does not decode")
    }
    precondition(first == second, "\(M.self): round trip changed the message")
}

@inline(never)
func exerciseAttributes(_ bytes: [UInt8]) {
    guard let list = try? TLVAttributeList(parsing: bytes) else { return }
    for a in list {
        _ = try? a.u8()
        _ = try? a.u16()
        _ = try? a.u32()
        _ = try? a.u64()
        _ = try? a.be16()
        _ = try? a.be32()
        _ = try? a.be64()
        _ = try? a.u128()
        _ = try? a.string()
        _ = try? a.u32Array()
        _ = try? a.flag()
        if let inner = try? a.nested() { _ = inner.count }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkRoundTrip(DatapathRequest.self, bytes)
    checkRoundTrip(DatapathReply.self, bytes)
    checkRoundTrip(VportRequest.self, bytes)
    checkRoundTrip(VportReply.self, bytes)
    checkRoundTrip(FlowRequest.self, bytes)
    checkRoundTrip(FlowReply.self, bytes)
    checkRoundTrip(PacketExecute.self, bytes)
    checkRoundTrip(PacketUpcall.self, bytes)
    checkRoundTrip(MeterRequest.self, bytes)
    checkRoundTrip(MeterReply.self, bytes)
    checkRoundTrip(ConntrackLimitMessage.self, bytes)
    if let actions = try? DatapathActionCodec.decode(bytes),
       let again = try? DatapathActionCodec.encode(actions) {
        precondition((try? DatapathActionCodec.decode(again)) == actions, "actions: round trip changed the list")
    }
    exerciseAttributes(bytes)
    return 0
}

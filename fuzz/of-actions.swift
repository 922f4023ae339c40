// fuzz-modules: Wire Flow Datapath DPIF OFProto
//
// libFuzzer target: the `ovs-ofctl` flow syntax (flow-mod keywords, match,
// actions and instructions) over arbitrary text. Whatever parses is
// formatted in add-flow syntax; that text must parse again and format to
// itself (and from there parse to the same flow), and printing it as `parse-flow` does for OpenFlow 1.0 and 1.3
// must not trap. Run it with `scripts/fuzz of-actions SECONDS`; seeds in
// of-actions.seeds.
import OFProto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = FlowModText.parseFlowOutput(text, version: .of10)
    _ = FlowModText.parseFlowOutput(text, version: .of13)
    guard let first = try? FlowModText.parse(text) else { return 0 }
    let t1 = first.formatted()
    let second: FlowModText
    do {
        second = try FlowModText.parse(t1)
    } catch {
        fatalError("formatted flow does not parse: \(t1): \(error)")
    }
    let t2 = second.formatted()
    guard t2 == t1 else { fatalError("format not stable: \(t1) -> \(t2)") }
    // From here the value is a fixed point. (The first parse may keep value
    // bits outside a set_field mask, as Open vSwitch does; they print only
    // when the mask is not empty.)
    let third = try? FlowModText.parse(t2)
    guard let third, third.actions == second.actions, third.match == second.match else {
        fatalError("re-parse differs: \(t2)")
    }
    return 0
}

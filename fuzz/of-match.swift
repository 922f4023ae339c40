// fuzz-modules: Wire Flow
//
// libFuzzer target: the OpenFlow match parser over arbitrary text. Whatever
// parses is normalised and formatted; the formatted text must parse again,
// and from there parse and format must be a fixpoint (same match, same
// text). Run it with `scripts/fuzz of-match SECONDS`; seeds in of-match.seeds.
import Flow

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let first = try? Match.parse(text) else { return 0 }
    let t1 = first.match.normalized().formatted(priority: first.priority)
    let second: ParsedMatch
    do {
        second = try Match.parse(t1)
    } catch {
        fatalError("formatted match does not parse: \(t1): \(error)")
    }
    let m2 = second.match.normalized()
    let t2 = m2.formatted(priority: second.priority)
    guard t2 == t1 else { fatalError("format not stable: \(t1) -> \(t2)") }
    guard let third = try? Match.parse(t2), third.match.normalized() == m2,
          third.priority == second.priority else {
        fatalError("re-parse differs: \(t2)")
    }
    return 0
}

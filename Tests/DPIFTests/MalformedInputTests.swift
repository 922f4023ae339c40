import Datapath
@testable import DPIF
import Testing

/// Decodes `bytes` as every message of every family and as an action
/// list; returns how many decoded. It must return, whatever the bytes.
@discardableResult
func decodeAsEverything(_ bytes: [UInt8]) -> Int {
    var ok = 0
    func attempt(_ body: () throws(TLVError) -> Void) {
        do { try body(); ok += 1 } catch { _ = error }
    }
    attempt { () throws(TLVError) in _ = try DatapathRequest(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try DatapathReply(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try VportRequest(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try VportReply(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try FlowRequest(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try FlowReply(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try PacketExecute(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try PacketUpcall(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try MeterRequest(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try MeterReply(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try ConntrackLimitMessage(decoding: bytes) }
    attempt { () throws(TLVError) in _ = try DatapathActionCodec.decode(bytes) }
    attempt { () throws(TLVError) in _ = try DatapathHeaderless.decode(bytes) }
    return ok
}

/// Action lists behind a message-sized prefix, so the fuzzing also walks
/// nested actions from offset 8.
enum DatapathHeaderless {
    static func decode(_ bytes: [UInt8]) throws(TLVError) -> [DatapathAction] {
        try DatapathActionCodec.decode(Array(bytes.dropFirst(DPIFHeader.length)))
    }
}

@Suite struct MalformedInputTests {
    /// Cutting a valid message anywhere inside an attribute gives
    /// `.truncated`; cutting between attributes decodes or names the
    /// missing attribute. Nothing traps.
    @Test(arguments: messageTable)
    func truncatedAtEveryByte(_ m: AnyMessage) throws {
        let bytes = try m.encode()
        let top = try TLVAttributeList(parsing: bytes[DPIFHeader.length...])
        var boundaries: Set<Int> = [DPIFHeader.length]
        for a in top {
            // Anywhere from the payload's end through its padding.
            for end in a.payload.endIndex...(a.offset + TLV.aligned(a.payload.endIndex - a.offset)) {
                boundaries.insert(end)
            }
        }
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[..<cut])
            decodeAsEverything(prefix)
            do {
                _ = try m.roundTrips(prefix)
            } catch {
                if cut < DPIFHeader.length {
                    #expect(error == .truncated(offset: 0))
                } else if !boundaries.contains(cut) {
                    guard case .truncated = error else {
                        Issue.record("cut at \(cut): \(error)")
                        continue
                    }
                } else {
                    guard case .missingAttribute = error else {
                        Issue.record("cut at \(cut) (boundary): \(error)")
                        continue
                    }
                }
                continue
            }
            #expect(cut < DPIFHeader.length ? false : boundaries.contains(cut), "cut at \(cut) decoded")
        }
    }

    /// Every single-byte change of a valid message decodes or throws.
    @Test(arguments: messageTable)
    func everyByteFlipped(_ m: AnyMessage) throws {
        let bytes = try m.encode()
        for i in bytes.indices {
            for value: UInt8 in [0x00, 0x01, 0x03, 0x04, 0x7f, 0x80, 0xff, bytes[i] ^ 0xff] {
                var mutated = bytes
                mutated[i] = value
                decodeAsEverything(mutated)
            }
        }
    }

    /// Random bytes, and random messages with random damage, never trap.
    @Test func randomInputNeverTraps() throws {
        var g = Gen(seed: 99)
        for _ in 0..<5_000 {
            decodeAsEverything(g.bytes(0...64))
        }
        // Valid headers followed by random attribute soup.
        for _ in 0..<5_000 {
            let header: [UInt8] = [UInt8(g.int(0...5)), 1, UInt8(g.int(0...1)), 0, 0, 0, 0, 0]
            var body: [UInt8] = []
            for _ in 0..<g.int(0...6) {
                let payload = g.bytes(0...24)
                let length = g.int(0...9) == 0 ? g.int(0...40) : payload.count + 4
                let type = UInt16(g.int(0...30)) | (g.bool() ? 0x8000 : 0)
                body += [UInt8(length & 0xff), UInt8(length >> 8), UInt8(type & 0xff), UInt8(type >> 8)] + payload
                while body.count % 4 != 0, g.int(0...5) != 0 { body.append(0) }
            }
            decodeAsEverything(header + body)
        }
        // Real messages with a few random bytes changed.
        var valid: [[UInt8]] = []
        for _ in 0..<60 {
            valid.append(try g.flowRequest().encoded())
            valid.append(try g.packetUpcall().encoded())
            valid.append(try g.meterReply().encoded())
            valid.append(try g.vportReply().encoded())
        }
        for bytes in valid {
            for _ in 0..<40 {
                var mutated = bytes
                for _ in 0..<g.int(1...4) where !mutated.isEmpty {
                    mutated[g.int(0...mutated.count - 1)] = g.u8()
                }
                decodeAsEverything(mutated)
            }
        }
    }

    @Test func randomActionListsWithDamageNeverTrap() throws {
        var g = Gen(seed: 5)
        for _ in 0..<500 {
            let bytes = try DatapathActionCodec.encode(g.actions())
            guard !bytes.isEmpty else { continue }
            for _ in 0..<20 {
                var mutated = bytes
                mutated[g.int(0...mutated.count - 1)] = g.u8()
                _ = try? DatapathActionCodec.decode(mutated)
            }
            for cut in stride(from: 0, to: bytes.count, by: 3) {
                _ = try? DatapathActionCodec.decode(Array(bytes[..<cut]))
            }
        }
    }
}

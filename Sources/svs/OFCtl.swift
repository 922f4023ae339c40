import ArgumentParser
import Flow
import Wire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct OFCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ofctl", abstract: "OpenFlow switch management (as ovs-ofctl).",
        subcommands: [ParsePcap.self, NormalizeMatch.self, ParseFlowCommand.self, DumpFlowsFormat.self])
}

/// `svs ofctl parse-pcap FILE...`: one line per packet, the flow Open vSwitch
/// extracts from it, printed as `ovs-ofctl parse-pcap` prints it.
///
/// Reads capture files the way OVS's `lib/pcap-file.c` does, quirks
/// included: a short record header or short packet data ends the file
/// quietly; a record length above 0xffff is tried byte-swapped; Ethernet and
/// Linux "cooked" (SLL) link types only. Errors are reported on stderr as
/// `ovs-ofctl` reports them, and the exit status is the last error's errno
/// (255 for a premature end of file header).
struct ParsePcap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-pcap", abstract: "Print the flow extracted from each packet of pcap files.")
    @Argument(help: "Capture files (pcap, Ethernet or Linux SLL).") var files: [String] = []

    func run() throws {
        guard !files.isEmpty else {
            writeAll(2, Array("ovs-ofctl: 'parse-pcap' command requires at least 1 arguments\n".utf8))
            Glibc.exit(1)
        }
        var output = OutputBuffer()
        var log = VLog()
        var status: Int32 = 0
        for file in files {
            if let error = parse(file: file, into: &output, log: &log) {
                status = error
            }
        }
        output.flush()
        Glibc.exit(status)
    }

    /// Parses one file; returns the error to exit with, if any.
    private func parse(file: String, into output: inout OutputBuffer, log: inout VLog) -> Int32? {
        let fd = open(file, O_RDONLY)
        if fd < 0 {
            let e = errno
            log.warn("\(file): failed to open pcap file for reading (\(retvalString(e)))")
            reportError(e, "\(file): open failed")
            return e
        }
        var reader = FileReader(fd: fd)
        defer {
            close(fd)
            reader.buffer.deallocate()
        }

        // File header.
        var header = [UInt8](repeating: 0, count: 24)
        let got = header.withUnsafeMutableBytes { reader.read(into: $0) }
        if got < 24 {
            let e = reader.error ?? eofError
            log.warn("failed to read pcap header: \(retvalString(e))")
            reportError(e, "\(file): open failed")
            return e
        }
        let magic = le32(header, 0)
        let swapped: Bool
        switch magic {
        case 0xa1b2_c3d4, 0xa1b2_3c4d: swapped = false
        case 0xd4c3_b2a1, 0x4d3c_b2a1: swapped = true
        default:
            log.warn("bad magic 0x\(hex8(magic)) reading pcap file (expected 0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, or 0x4d3cb2a1)")
            reportError(EPROTO, "\(file): open failed")
            return EPROTO
        }
        let network = swapped ? le32(header, 20).byteSwapped : le32(header, 20)
        guard network == 1 || network == 113 else {
            log.warn("unknown network type \(network) reading pcap file")
            reportError(EPROTO, "\(file): open failed")
            return EPROTO
        }
        let isSLL = network == 113

        // Records.
        var record = [UInt8](repeating: 0, count: 16)
        var packet = [UInt8](repeating: 0, count: 0x10000 + 16)
        var line = TextBuffer(capacity: 512)
        while true {
            let n = record.withUnsafeMutableBytes { reader.read(into: $0) }
            if n < 16 {
                if let e = reader.error {
                    log.warn("failed to read pcap record header: \(retvalString(e))")
                    reportError(e, "\(file): read failed")
                    return e
                }
                return nil
            }
            var length = Int(le32(record, 8))
            if length > 0xffff {
                let swappedLength = Int(UInt32(length).byteSwapped)
                if swappedLength > 0xffff {
                    log.warn("bad packet length \(swappedLength) or \(length) reading pcap file")
                    reportError(EPROTO, "\(file): read failed")
                    return EPROTO
                }
                length = swappedLength
            }
            // Leave room in front to turn an SLL header into an Ethernet one.
            let dataStart = 2
            let got = packet.withUnsafeMutableBytes {
                reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[dataStart..<dataStart + length]))
            }
            // OVS reads the data with `fread(data, len, 1, file)`, which
            // reports nothing read for a zero-length record: that ends the file.
            if got < length || length == 0 {
                let e = reader.error ?? eofError
                log.warn("failed to read pcap packet: \(retvalString(e))")
                if reader.error != nil {
                    reportError(e, "\(file): read failed")
                    return e
                }
                return nil
            }
            var frameStart = dataStart
            var frameLength = length
            if isSLL {
                guard length >= 16 else {
                    log.warn("pcap packet too short for SLL header")
                    reportError(EPROTO, "\(file): read failed")
                    return EPROTO
                }
                // packet type, ARPHRD, address length, address (8), protocol.
                guard packet[dataStart + 4] == 0, packet[dataStart + 5] == 6 else {
                    output.append(hexDump: packet[dataStart..<dataStart + 16])
                    log.warn("bad SLL header")
                    reportError(EPROTO, "\(file): read failed")
                    return EPROTO
                }
                // Ethernet header: zero destination, SLL source, SLL protocol,
                // written over the 16-byte SLL header (2 bytes of headroom).
                let source = Array(packet[dataStart + 6..<dataStart + 12])
                frameStart = dataStart + 16 - 14
                for i in 0..<6 { packet[frameStart + i] = 0 }
                for i in 0..<6 { packet[frameStart + 6 + i] = source[i] }
                // Protocol bytes are already at dataStart + 14 == frameStart + 12.
                frameLength = length - 16 + 14
            }
            let key = packet.withUnsafeBytes {
                FlowKey(extractingFrom: UnsafeRawBufferPointer(rebasing: $0[frameStart..<frameStart + frameLength]),
                        inPort: 0xffff)
            }
            line.removeAll()
            key.format(into: &line)
            line.append(byte: 0x0a)
            output.append(line.bytes)
        }
    }
}

/// OVS uses `EOF` (-1) as an error value; it exits with 255.
private let eofError: Int32 = -1

/// `ovs_retval_to_string`.
private func retvalString(_ e: Int32) -> String {
    if e == eofError { return "End of file" }
    return String(cString: strerror(e))
}

/// `ovs_error`: `ovs-ofctl: MESSAGE (ERROR)` on stderr.
private func reportError(_ e: Int32, _ message: String) {
    writeAll(2, Array("ovs-ofctl: \(message) (\(retvalString(e)))\n".utf8))
}

private func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

private func hex8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var off = 0
        while off < raw.count {
            let n = write(fd, raw.baseAddress! + off, raw.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            off += n
        }
    }
}

/// Buffered standard output, written in large chunks.
private struct OutputBuffer {
    var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(1 << 17) }

    mutating func append(_ b: [UInt8]) {
        bytes.append(contentsOf: b)
        if bytes.count >= 1 << 16 { flush() }
    }

    /// OVS's `ovs_hex_dump` without ASCII: `%08x  ` then bytes, `-` after the eighth.
    mutating func append(hexDump data: ArraySlice<UInt8>) {
        var t = TextBuffer()
        var offset = 0
        let all = Array(data)
        while offset < all.count {
            let n = min(16, all.count - offset)
            t.append(hex: UInt64(offset), width: 8)
            t.append("  ")
            for i in 0..<n {
                t.append(hex: UInt64(all[offset + i]), width: 2)
                t.append(byte: i == 7 ? 0x2d : 0x20)
            }
            t.chomp(0x20)
            t.append(byte: 0x0a)
            offset += n
        }
        append(t.bytes)
    }

    mutating func flush() {
        writeAll(1, bytes)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// OVS's log line on stderr: `TIME|SEQ|pcap|WARN|message`.
private struct VLog {
    var sequence = 0
    mutating func warn(_ message: String) {
        sequence += 1
        var now = time(nil)
        var tm = tm()
        gmtime_r(&now, &tm)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &tm)
        let stamp = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let seq = String(sequence)
        let padded = String(repeating: "0", count: max(0, 5 - seq.count)) + seq
        writeAll(2, Array("\(stamp)|\(padded)|pcap|WARN|\(message)\n".utf8))
    }
}

/// Reads a file through a large buffer; remembers the first read error.
private struct FileReader {
    let fd: Int32
    var buffer: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    var error: Int32?
    var atEnd = false

    init(fd: Int32) {
        self.fd = fd
        buffer = .allocate(byteCount: 1 << 20, alignment: 16)
    }

    /// Fills `dest` as far as the file allows; returns the bytes copied.
    mutating func read(into dest: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        while copied < dest.count {
            if start == end {
                if atEnd || error != nil { break }
                let n = systemRead(fd, buffer.baseAddress!, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    error = errno
                    break
                }
                if n == 0 { atEnd = true; break }
                start = 0
                end = n
            }
            let k = min(end - start, dest.count - copied)
            dest.baseAddress!.advanced(by: copied).copyMemory(from: buffer.baseAddress!.advanced(by: start), byteCount: k)
            start += k
            copied += k
        }
        return copied
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#else
private let systemRead = Darwin.read
#endif

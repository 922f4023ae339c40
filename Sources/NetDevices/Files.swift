#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Datapath
import Wire

/// Small file helpers for the `dummy` device's capture options. Every
/// call retries `EINTR` and reports other failures as `PortError.file`.
enum Files {
    /// The whole contents of the file at `path`.
    static func readAll(_ path: String) throws(PortError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(path: path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .file(path: path, errno: errno)
            }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }
}

/// A pcap file opened for appending: the file header is written if the
/// file is new or empty, then records are appended (`ovs_pcap_open(.., "ab")`).
final class PcapAppender: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws(PortError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .file(path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            close(fd)
            throw .file(path: path, errno: e)
        }
        if info.st_size == 0 {
            let header = PcapWriter().bytes
            guard Self.writeAll(fd, header[...]) else {
                let e = errno
                close(fd)
                throw .file(path: path, errno: e)
            }
        }
    }

    deinit { close(fd) }

    /// Appends `frames` stamped with the current time; false if the write failed.
    @discardableResult
    func append(_ frames: [[UInt8]]) -> Bool {
        guard !frames.isEmpty else { return true }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var writer = PcapWriter()
        let headerLength = writer.bytes.count
        for frame in frames {
            writer.write(CapturedPacket(seconds: UInt32(truncatingIfNeeded: now.tv_sec),
                                        nanoseconds: UInt32(truncatingIfNeeded: now.tv_nsec), data: frame))
        }
        return Self.writeAll(fd, writer.bytes[headerLength...])
    }

    private static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            rest = rest.dropFirst(n)
        }
        return true
    }
}

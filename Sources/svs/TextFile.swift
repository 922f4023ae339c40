#if canImport(Glibc)
import Glibc
#endif
import Unixctl

/// Reading a whole file as text, for the commands that take files
/// (schemas, topologies, trace lists). svs does not link Foundation for
/// this: it would cost the daemon several megabytes of resident memory.
enum TextFile {
    /// Why a file could not be read: "PATH: reason".
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// The contents of `path`, decoded as UTF-8 (invalid bytes replaced).
    static func read(_ path: String) throws(ReadError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(description: "\(path): \(SystemError.describe(errno))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: "\(path): \(SystemError.describe(errno))")
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    /// The text without its leading and trailing spaces, tabs and CRs.
    var trimmingBlanks: Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

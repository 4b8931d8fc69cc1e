import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file a command reads whole (`--data`, `--lines`, `--file`): a regular file, or a pipe such
/// as the shell's `<(…)` or `/dev/stdin`. Foundation's `Data(contentsOf:)` refused a pipe with a
/// message about permission; this reads until the end and says what the system said.
enum InputFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String) throws(Failure) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: String(cString: strerror(errno)).lowercased()) }
        defer { close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: String(cString: strerror(errno)).lowercased())
            }
            data.append(contentsOf: buffer[0..<count])
        }
    }
}

import Foundation

/// `: held by modemmanager (pid 512)` for the processes that have `path` open, or an empty string
/// when none can be seen (other users' processes are visible to root only).
func holders(of path: String) -> String {
    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map {
        $0.hasPrefix("/") ? $0 : (path as NSString).deletingLastPathComponent + "/" + $0
    } ?? path
    var found: [String] = []
    let ownPID = ProcessInfo.processInfo.processIdentifier
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), pid != ownPID else { continue }
        let fdFolder = "/proc/\(entry)/fd"
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdFolder) else { continue }
        let holds = fds.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdFolder)/\($0)")) == target }
        if holds {
            let command = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            found.append("\(command) (pid \(pid))")
        }
    }
    return found.isEmpty ? "" : ": held by " + found.joined(separator: ", ")
}

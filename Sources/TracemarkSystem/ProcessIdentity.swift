import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Who holds something shared through the database (a printer's lease, a station's claim): one
/// holder in a process of a machine, so that a hold left by a process that died can be taken over
/// at once instead of after it expires.
///
/// Machines are told apart by their machine id (`/etc/machine-id`), not by host name: two
/// stations cloned from one image, or both named `localhost`, must not judge each other's
/// processes by a local `kill(pid, 0)`.
package struct ProcessIdentity: Sendable, CustomStringConvertible, Equatable {
    /// The host name, for people reading `tracemark printers`.
    package let host: String
    /// The machine id; empty when the holder's machine is unknown (a lease written by an older version).
    package let machine: String
    package let pid: Int32
    package let token: String

    /// The holders running in this process, by token.
    private static let running = Mutex<Set<String>>([])

    /// This machine's id: systemd's `/etc/machine-id` (D-Bus's copy on older systems), else the
    /// boot id, which at least changes when the machine restarts.
    package static let localMachine: String = {
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id", "/proc/sys/kernel/random/boot_id"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let id = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-", with: "")
                if !id.isEmpty, !id.contains("/") { return id }
            }
        }
        return ""
    }()

    /// A new identity for a holder in this process, counted as running until ``finish()``.
    package static func start() -> ProcessIdentity {
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let identity = ProcessIdentity(host: host, machine: localMachine, pid: getpid(),
                                      token: String(UUID().uuidString.prefix(8)))
        _ = running.withLock { $0.insert(identity.token) }
        return identity
    }

    package func finish() {
        _ = Self.running.withLock { $0.remove(token) }
    }

    package init(host: String, machine: String, pid: Int32, token: String) {
        self.host = host
        self.machine = machine
        self.pid = pid
        self.token = token
    }

    /// `host/machine/pid/token`; the older `host/pid/token` reads with an unknown machine.
    package init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 4:
            guard let pid = Int32(parts[2]) else { return nil }
            self.init(host: parts[0], machine: parts[1], pid: pid, token: parts[3])
        case 3:
            guard let pid = Int32(parts[1]) else { return nil }
            self.init(host: parts[0], machine: "", pid: pid, token: parts[2])
        default:
            return nil
        }
    }

    package var description: String { "\(host)/\(machine)/\(pid)/\(token)" }

    /// False only for a worker known to be gone: one of this process that finished, or of a
    /// process of this machine that no longer runs (a process id reused after a restart has another
    /// token). A worker of another machine, or of an unknown one, is assumed alive until its lease expires.
    package var isAlive: Bool {
        guard !machine.isEmpty, machine == Self.localMachine else { return true }
        if pid == getpid() { return Self.running.withLock { $0.contains(token) } }
        // A process killed whose parent has not yet reaped it (a shell that started it in the
        // background) is still in the process table, as a zombie, and answers kill(pid, 0): a
        // service restarted after `kill -9` waited out the dead one's claim (found by a QA run).
        if kill(pid, 0) == 0 { return !Self.isZombie(pid) }
        return errno != ESRCH
    }

    /// Whether process `pid` has ended and waits only to be reaped (state Z or X in /proc).
    package static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state == "Z" || state == "X"
    }
}

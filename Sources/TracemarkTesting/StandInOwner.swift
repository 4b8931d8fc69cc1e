public import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TracemarkSystem

/// A process that stands for the owner of something a test starts (a server whose script watches
/// its owner), ended when the test says: a `sleep` that would last ten minutes.
public final class StandInOwner: @unchecked Sendable {
    private let process: Process

    public var pid: pid_t { process.processIdentifier }

    public init() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["600"]
        try process.run()
    }

    /// Kills it and waits until it is reaped, so that it is gone rather than a zombie a watcher
    /// could still see. SIGKILL: a child of this process starts with the spawning thread's signal
    /// mask, in which Foundation's pool threads block SIGTERM.
    public func end() async {
        kill(pid, SIGKILL)
        let process = process
        await OffPool.run { process.waitUntilExit() }
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL) }
    }
}

public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process that stands for the owner of something a test starts (a server whose script watches
/// its owner), ended when the test says: a `sleep` that would last ten minutes.
public final class StandInOwner: Sendable {
    private let process: ChildProcess

    public var pid: pid_t { process.processIdentifier }

    public init() throws {
        process = try ChildProcess("/bin/sleep", ["600"])
    }

    /// Kills it and waits until it is reaped, so that it is gone rather than a zombie a watcher
    /// could still see. SIGKILL: a child of this process starts with the spawning thread's signal
    /// mask, in which Foundation's pool threads block SIGTERM.
    public func end() async {
        process.send(SIGKILL)
        _ = await process.exited()
    }

    deinit {
        process.send(SIGKILL)
    }
}

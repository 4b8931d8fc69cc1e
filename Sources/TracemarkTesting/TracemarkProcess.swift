public import Foundation
import TracemarkSystem

/// A `tracemark` process started by a test, whose end can be awaited without blocking a thread
/// of the cooperative pool.
public struct TracemarkProcess: Sendable {
    public let process: Process
    /// Ends with the process's exit status.
    public let ended: Task<Int32, Never>
    /// The exit status once the process has ended, from whichever wait saw it first.
    private let exit: ExitStatus

    /// Whether the process is still running (not Foundation's `isRunning`, which a missed
    /// SIGCHLD leaves true for ever).
    public var isRunning: Bool { exit.value == nil }

    /// Starts `tracemark ARGUMENTS` with `environment` added to this process's; its standard
    /// output and standard error go to the file `output` (thrown away without one). It stops
    /// by itself if this process dies first (``Command/endingWithThisProcess(_:)``).
    public static func launch(_ arguments: [String], environment: [String: String] = [:], output: URL? = nil,
                              input: FileHandle? = nil) throws -> TracemarkProcess {
        let process = Process()
        if let input { process.standardInput = input }
        process.executableURL = Repository.tracemark
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(Command.endingWithThisProcess(environment)) { $1 }
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let file = try FileHandle(forWritingTo: output)
            process.standardOutput = file
            process.standardError = file
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let exit = ExitStatus()
        process.terminationHandler = {
            exit.set($0.terminationStatus)
            continuation.yield($0.terminationStatus)
            continuation.finish()
        }
        try process.run()
        // Foundation learns of the end from SIGCHLD, which was seen to be missed (the child stayed
        // a zombie and the test waited until CI's limit). A thread of its own also waits for the
        // end without reaping it (WNOWAIT), leaving that to Foundation; whichever tells first wins.
        let pid = process.processIdentifier
        Thread.detachNewThread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 {
                guard errno == EINTR else { return }  // already reaped: Foundation saw the end
            }
            exit.set(info._sifields._sigchld.si_status)
            continuation.yield(info._sifields._sigchld.si_status)
            continuation.finish()
        }
        return TracemarkProcess(process: process, ended: Task { await stream.first { _ in true } ?? -1 }, exit: exit)
    }

    /// Starts `tracemark ARGUMENTS` once per mark and kills it with SIGKILL as soon as `progress`
    /// reaches that mark (unless it ended first), then runs it once more to its end. Returns how
    /// many runs were killed and the last run's exit status.
    ///
    /// The run is stopped (SIGSTOP) while its progress is read and goes on (SIGCONT) only in the
    /// windows between two readings. Left running freely, a run could reach its end in one
    /// stretch while this process waited for a core on a busy machine, and no kill would land
    /// (seen in CI); now it moves a few milliseconds at a time, and the kill finds it wherever it
    /// was stopped: in a transaction, between two, or in the middle of a send.
    public static func killAtProgress(_ arguments: [String], marks: [Int],
                               progress: () async throws -> Int) async throws -> (kills: Int, status: Int32) {
        var kills = 0
        for mark in marks {
            let run = try launch(arguments)
            let pid = run.process.processIdentifier
            do {
                while run.isRunning {
                    kill(pid, SIGSTOP)
                    if try await progress() >= mark { break }
                    kill(pid, SIGCONT)
                    try await Task.sleep(for: .milliseconds(20))
                }
            } catch {
                run.killIfRunning()
                throw error
            }
            if run.isRunning {
                kill(pid, SIGKILL)
                kills += 1
            }
            _ = await run.ended.value
        }
        let last = try launch(arguments)
        return (kills, await last.ended.value)
    }
}

extension TracemarkProcess {
    /// Kills the process unless it has ended: for a test's `defer`, so that a failed expectation
    /// never leaves a service running after the test.
    public func killIfRunning() {
        if isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Sends `signal` and returns the exit status, or nil (after killing it) when the process
    /// had not ended once `eventually` gave up: a hang is reported, never waited on forever.
    public func stop(_ signal: Int32 = SIGTERM) async throws -> Int32? {
        kill(process.processIdentifier, signal)
        guard try await eventually({ !isRunning }) else {
            killIfRunning()
            return nil
        }
        return await ended.value
    }
}

/// A process's exit status, set by the first wait that sees the end.
private final class ExitStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?

    var value: Int32? { lock.withLock { status } }

    func set(_ value: Int32) {
        lock.withLock { if status == nil { status = value } }
    }
}

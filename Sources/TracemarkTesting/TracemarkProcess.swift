public import Foundation

/// A `tracemark` process started by a test, whose end can be awaited without blocking a thread
/// of the cooperative pool.
public struct TracemarkProcess: Sendable {
    public let process: ChildProcess
    /// Ends with the process's exit status.
    public let ended: Task<Int32, Never>

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Starts `tracemark ARGUMENTS` with `environment` added to this process's; its standard
    /// output and standard error go to the file `output` (thrown away without one). It stops
    /// by itself if this process dies first (``Command/endingWithThisProcess(_:)``).
    public static func launch(_ arguments: [String], environment: [String: String] = [:], output: URL? = nil,
                              input: FileHandle? = nil) throws -> TracemarkProcess {
        var written: ChildProcess.Stream = .null
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            written = .handle(try FileHandle(forWritingTo: output))
        }
        let process = try ChildProcess(Repository.tracemark.path, arguments,
                                       environment: ProcessInfo.processInfo.environment.merging(Command.endingWithThisProcess(environment)) { $1 },
                                       stdin: input.map { .handle($0) } ?? .null, stdout: written, stderr: written)
        // The child has its own copy of the file: this one closes with the handle.
        return TracemarkProcess(process: process, ended: Task { await process.exited() })
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
            do {
                while run.isRunning {
                    run.process.send(SIGSTOP)
                    if try await progress() >= mark { break }
                    run.process.send(SIGCONT)
                    try await Task.sleep(for: .milliseconds(20))
                }
            } catch {
                run.killIfRunning()
                throw error
            }
            if run.isRunning {
                run.process.send(SIGKILL)
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
        process.send(SIGKILL)
    }

    /// Sends `signal` and returns the exit status, or nil (after killing it) when the process
    /// had not ended once `eventually` gave up: a hang is reported, never waited on forever.
    public func stop(_ signal: Int32 = SIGTERM) async throws -> Int32? {
        process.send(signal)
        guard try await eventually({ !isRunning }) else {
            killIfRunning()
            return nil
        }
        return await ended.value
    }
}

public import Foundation
import TracemarkSystem

/// Runs a program to its end: the `tracemark` built beside the tests, or a tool (`lpadmin`,
/// `umockdev-run`, `python3`). The wait happens on a thread of its own, because waiting for a
/// process blocks and the cooperative pool must never block: other tests' database work (and
/// the command's own, through the database) would stall behind it.
public enum Command {
    /// How a run ended and what it wrote.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// A command that did not end as a test needed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// `tool`'s full path: on PATH or in the sbin folders (lpadmin lives in /usr/sbin), else `nil`.
    public static func which(_ tool: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` (a path, or a tool's name found with ``which(_:)``) with `arguments`,
    /// in `directory`, with `stdin` as its standard input (else none) and `environment` added to
    /// this process's.
    /// A command still running after `deadline` is killed and throws.
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, stdin: String? = nil,
                           environment: [String: String] = [:], deadline: Duration = Command.deadline) async throws -> Result {
        let path = executable.contains("/") ? executable : (which(executable) ?? executable)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result {
                    try runBlocking(path, arguments, in: directory, stdin: stdin, environment: environment, deadline: deadline)
                })
            }
        }
    }

    /// Runs `tracemark ARGUMENTS` as a user would; it stops by itself if this process dies first.
    public static func tracemark(_ arguments: [String], in directory: URL? = nil, stdin: String? = nil,
                                 environment: [String: String] = [:]) async throws -> Result {
        try await run(Repository.tracemark.path, arguments, in: directory, stdin: stdin, environment: endingWithThisProcess(environment))
    }

    /// `environment` with `TRACEMARK_EXIT_WITH_PARENT` naming this process: a `tracemark` started
    /// with it stops once this process has ended, so that a test run killed midway (a CI timeout,
    /// Ctrl+C) leaves no service running behind it. A value the caller gave is kept.
    public static func endingWithThisProcess(_ environment: [String: String]) -> [String: String] {
        [ParentWatch.variable: String(getpid())].merging(environment) { $1 }
    }

    /// Runs `tool` and fails unless it exits 0.
    @discardableResult
    public static func check(_ tool: String, _ arguments: [String]) async throws -> Result {
        let result = try await run(tool, arguments)
        guard result.status == 0 else {
            throw Failure("\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result
    }

    /// How long a command may run before it is killed and its test fails: far beyond any command
    /// a test runs, so that only a hang reaches it.
    public static let deadline: Duration = .seconds(300)

    /// Spawns the command and waits for it with `waitpid` on this thread, reading its output
    /// with `poll`. Not through Foundation's `Process`: its wait relies on a SIGCHLD handler
    /// that was seen to miss a child's end (the child stayed a zombie and CI hung until its
    /// limit). A command past `deadline` is killed, and so is a lost end turned into one
    /// failed test. Output a command's own background children keep writing after it ended
    /// is read for two seconds more, then left.
    private static func runBlocking(_ executable: String, _ arguments: [String], in directory: URL?, stdin: String?,
                                    environment: [String: String], deadline: Duration) throws -> Result {
        func pipeEnds() throws -> (read: Int32, write: Int32) {
            var ends: [Int32] = [-1, -1]
            guard systemPipe2(&ends, O_CLOEXEC) == 0 else { throw Failure("cannot make a pipe: \(String(cString: strerror(errno)))") }
            return (ends[0], ends[1])
        }
        let input = try pipeEnds(), output = try pipeEnds(), errors = try pipeEnds()
        // The pipes are close-on-exec, and the child keeps only its 0, 1 and 2: a command spawned
        // at the same time by another test cannot hold this one's pipes open.
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                         in: directory, stdin: input.read, stdout: output.write, stderr: errors.write)
            for end in [input.read, output.write, errors.write] { close(end) }
        } catch {
            for end in [input.read, output.write, errors.write, input.write, output.read, errors.read] { close(end) }
            throw error
        }

        var pending = Array((stdin ?? "").utf8)[...]
        var stdinEnd: Int32? = input.write
        if pending.isEmpty { close(input.write); stdinEnd = nil } else { _ = fcntl(input.write, F_SETFL, O_NONBLOCK) }
        var open: [Int32: [UInt8]] = [output.read: [], errors.read: []]
        var collected: [Int32: [UInt8]] = [:]
        var status: Int32?
        var killed = false
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: deadline)
        var endedAt: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                    endedAt = clock.now
                }
            }
            if status != nil, open.isEmpty { break }
            if let endedAt, clock.now > endedAt.advanced(by: .seconds(2)) { break }
            if status == nil, clock.now > giveUp {
                kill(pid, SIGKILL)
                killed = true
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
                status = -1
                break
            }
            var watched = open.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if let stdinEnd { watched.append(pollfd(fd: stdinEnd, events: Int16(POLLOUT), revents: 0)) }
            // Short waits while the child runs with nothing to read: its end is noticed by polling
            // waitpid, not by a signal that could be missed.
            _ = poll(&watched, nfds_t(watched.count), status == nil ? 10 : 100)
            for watch in watched where watch.revents != 0 {
                if watch.fd == stdinEnd {
                    let written = pending.withUnsafeBytes { write(watch.fd, $0.baseAddress, $0.count) }
                    if written > 0 { pending = pending.dropFirst(written) }
                    if pending.isEmpty || (written < 0 && errno != EAGAIN && errno != EINTR) {
                        close(watch.fd)
                        stdinEnd = nil
                    }
                    continue
                }
                let count = read(watch.fd, &buffer, buffer.count)
                if count > 0 {
                    open[watch.fd, default: []].append(contentsOf: buffer[0..<count])
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    collected[watch.fd] = open.removeValue(forKey: watch.fd)
                    close(watch.fd)
                }
            }
        }
        if let stdinEnd { close(stdinEnd) }
        for (fd, bytes) in open {
            collected[fd] = bytes
            close(fd)
        }
        let stdout = String(decoding: collected[output.read] ?? [], as: UTF8.self)
        let stderr = String(decoding: collected[errors.read] ?? [], as: UTF8.self)
        if killed {
            throw Failure("\(executable) \(arguments.joined(separator: " ")) did not end within \(deadline) and was killed; "
                          + "it wrote: \(stdout.suffix(2_000)) \(stderr.suffix(2_000))")
        }
        return Result(status: status ?? -1, stdout: stdout, stderr: stderr)
    }

    /// A new temporary folder named after `purpose`.
    public static func temporaryFolder(_ purpose: String = "test") throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-\(purpose)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

// glibc functions that Swift's Glibc module leaves out (declared only for _GNU_SOURCE).
@_silgen_name("pipe2")
private func systemPipe2(_ ends: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

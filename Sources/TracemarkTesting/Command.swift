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
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, stdin: String? = nil,
                           environment: [String: String] = [:]) async throws -> Result {
        let path = executable.contains("/") ? executable : (which(executable) ?? executable)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result {
                    try runBlocking(path, arguments, in: directory, stdin: stdin, environment: environment)
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

    private static func runBlocking(_ executable: String, _ arguments: [String], in directory: URL?, stdin: String?,
                                    environment: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Standard error is read on another thread, so that neither pipe can fill up and stall the child.
        let errors = Reading()
        Thread.detachNewThread { errors.value = err.fileHandleForReading.readDataToEndOfFile(); errors.done.signal() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        errors.done.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: errors.value, as: UTF8.self))
    }

    /// A value handed from a reader thread, with a semaphore saying it is there.
    private final class Reading: @unchecked Sendable {
        var value = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// A new temporary folder named after `purpose`.
    public static func temporaryFolder(_ purpose: String = "test") throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-\(purpose)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

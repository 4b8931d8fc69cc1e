import Foundation
import TracemarkTesting
import Testing

/// Runs a program (the `tracemark` built beside the tests, or a tool such as `umockdev-run`) on a
/// thread of its own: waiting for a process blocks, which the cooperative pool must never do.
enum CommandRunner {
    struct Run: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// `tracemark`, found from the test bundle's path (swift test builds both into one folder).
    static var tracemark: URL { Repository.tracemark }

    /// `<repo>/../shared/usb/`, found from this file's path (used in place, never copied).
    static let sharedUSB: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // DevicesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository
        .deletingLastPathComponent()
        .appendingPathComponent("shared/usb", isDirectory: true)

    /// The full path of `tool` on PATH, or `nil`.
    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, stdin: String? = nil) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    continuation.resume(returning: try runBlocking(executable, arguments, in: directory, stdin: stdin))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], in directory: URL?, stdin: String?) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let errorText = ErrorText()
        let reader = Thread { errorText.value = err.fileHandleForReading.readDataToEndOfFile() ; errorText.done.signal() }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        errorText.done.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: errorText.value, as: UTF8.self))
    }

    /// Standard error, read on another thread so neither pipe can fill up and stall the child.
    private final class ErrorText: @unchecked Sendable {
        var value = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// A new temporary folder.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-devices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

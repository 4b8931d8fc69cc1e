public import Foundation

/// A program a benchmark runs to its end (a peer, a version query, `psql`), read whole.
public struct ChildProcess: Sendable {
    /// Where the program's standard error goes.
    public enum Errors: Sendable {
        /// Into ``output``, after or between what it printed (for messages read back).
        case merged
        /// To this benchmark's standard error, as the program writes it (for a long run's progress).
        case passedThrough
    }

    public let status: Int32
    /// Standard output (and error, when ``Errors/merged``).
    public let output: Data

    public var text: String { String(decoding: output, as: UTF8.self) }

    /// Runs `executable` with `arguments`, standard input empty, and waits for it to end.
    public static func run(_ executable: URL, _ arguments: [String], errors: Errors = .merged) throws -> ChildProcess {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = errors == .merged ? pipe : FileHandle.standardError
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ChildProcess(status: process.terminationStatus, output: data)
    }

    /// Runs `command` found on `PATH` (through `/usr/bin/env`).
    public static func run(command: String, _ arguments: [String], errors: Errors = .merged) throws -> ChildProcess {
        try run(URL(fileURLWithPath: "/usr/bin/env"), [command] + arguments, errors: errors)
    }

    /// `Benchmarks/peers/`: the peers' scripts and sources, beside this file's folder.
    public static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("peers", isDirectory: true)

    /// Runs `python3 Benchmarks/peers/SCRIPT ARGUMENTS…`, its standard error passed through (a
    /// peer reports its figures on standard output).
    public static func run(pythonPeer script: String, _ arguments: [String]) throws -> ChildProcess {
        try run(command: "python3", [peers.appendingPathComponent(script).path] + arguments, errors: .passedThrough)
    }
}

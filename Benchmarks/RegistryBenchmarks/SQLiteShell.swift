import Foundation

/// The `sqlite3` command-line shell, run as a child process: the benchmark's peer, and the
/// independent reader of what the registry wrote.
struct SQLiteShell: Sendable {
    let executable: URL
    /// Output of `sqlite3 --version`, e.g. `3.40.1 2022-12-28 …`.
    let version: String
    /// Folder for the files that catch a run's stdout and stderr.
    let scratch: URL

    static func find(scratch: URL) throws -> SQLiteShell {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("sqlite3")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                var shell = SQLiteShell(executable: candidate, version: "", scratch: scratch)
                let version = try shell.run(arguments: ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
                shell = SQLiteShell(executable: candidate, version: version, scratch: scratch)
                return shell
            }
        }
        throw BenchmarkFailure("the sqlite3 command is not on PATH: install Debian's sqlite3 package (scripts/install-deps.sh does)")
    }

    /// Runs `sqlite3 -batch -bail DATABASE ARGUMENTS…`, with `input` (a file of SQL) on stdin.
    ///
    /// - Parameter output: where stdout goes; when `nil` it is returned as a string.
    /// - Returns: stdout (empty when it went to `output`).
    @discardableResult
    func run(_ database: String, _ arguments: [String] = [], input: URL? = nil, output: URL? = nil) throws -> String {
        try run(arguments: ["-batch", "-bail", database] + arguments, input: input, output: output)
    }

    /// Runs the shell with a script given as text (written to a file in `scratch` first).
    @discardableResult
    func run(_ database: String, script: String) throws -> String {
        let file = scratch.appendingPathComponent("script-\(UUID().uuidString).sql")
        try Data(script.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run(database, input: file)
    }

    /// Runs `script` `runs` times and keeps the fastest: its output, and its wall time less that of
    /// `baseline` run right after (the shell's start-up, or as many trivial queries), as a peer's
    /// figure is taken when the shell's own timer is too coarse.
    func fastest(_ database: String, script: String, baseline: String, runs: Int = 3) throws -> (output: String, time: Duration) {
        let clock = ContinuousClock()
        var output = ""
        var times: [Duration] = []
        for _ in 0..<runs {
            let began = clock.now
            output = try run(database, script: script)
            let took = began.duration(to: clock.now)
            let again = clock.now
            try run(database, script: baseline)
            times.append(took - again.duration(to: clock.now))
        }
        return (output, times.min() ?? .zero)
    }

    private func run(arguments: [String], input: URL? = nil, output: URL? = nil) throws -> String {
        let id = UUID().uuidString
        let outFile = output ?? scratch.appendingPathComponent("sqlite3-\(id).out")
        let errFile = scratch.appendingPathComponent("sqlite3-\(id).err")
        defer {
            if output == nil { try? FileManager.default.removeItem(at: outFile) }
            try? FileManager.default.removeItem(at: errFile)
        }
        // Files rather than pipes: a large output can never fill a pipe and stall the child.
        for file in [outFile, errFile] {
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
                throw BenchmarkFailure("cannot create \(file.path): is the work folder writable?")
            }
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw BenchmarkFailure("sqlite3 \(arguments.prefix(3).joined(separator: " ")) failed (status \(process.terminationStatus)): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output == nil ? try String(contentsOf: outFile, encoding: .utf8) : ""
    }

    /// `'text'` with quotes doubled, for a file name inside SQL.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

import Foundation

/// A peer written in Python (`Benchmarks/peers/`), printing latency percentiles as JSON.
enum PythonPeer {
    struct Outcome {
        let p50, p99, p999: Duration
        let sqlite: String
    }

    /// Runs `python3 Benchmarks/peers/SCRIPT ARGUMENTS…` and reads its `{"p50", "p99", "p999", "sqlite"}` (nanoseconds).
    static func run(_ script: String, _ arguments: [String]) throws -> Outcome {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("peers/\(script)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Printed: Decodable { let p50, p99, p999: Int64; let sqlite: String }
        guard process.terminationStatus == 0, let printed = try? JSONDecoder().decode(Printed.self, from: data) else {
            throw BenchmarkFailure("peer python3 \(path) failed with status \(process.terminationStatus): \(String(decoding: data, as: UTF8.self))")
        }
        return Outcome(p50: .nanoseconds(printed.p50), p99: .nanoseconds(printed.p99), p999: .nanoseconds(printed.p999), sqlite: printed.sqlite)
    }
}

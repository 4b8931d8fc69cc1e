import BenchmarkSupport
import Foundation

/// A peer written in Python (`Benchmarks/peers/`), printing latency percentiles as JSON.
enum PythonPeer {
    struct Outcome {
        let p50, p99, p999: Duration
        let sqlite: String
    }

    /// Runs `python3 Benchmarks/peers/SCRIPT ARGUMENTS…` and reads its `{"p50", "p99", "p999", "sqlite"}` (nanoseconds).
    static func run(_ script: String, _ arguments: [String]) throws -> Outcome {
        let peer = try ChildProcess.run(pythonPeer: script, arguments)
        struct Printed: Decodable { let p50, p99, p999: Int64; let sqlite: String }
        guard peer.status == 0, let printed = try? JSONDecoder().decode(Printed.self, from: peer.output) else {
            throw BenchmarkFailure("peer python3 Benchmarks/peers/\(script) failed with status \(peer.status): \(peer.text)")
        }
        return Outcome(p50: .nanoseconds(printed.p50), p99: .nanoseconds(printed.p99), p999: .nanoseconds(printed.p999), sqlite: printed.sqlite)
    }
}

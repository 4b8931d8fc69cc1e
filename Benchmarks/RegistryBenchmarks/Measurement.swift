import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var microseconds: Double { seconds * 1e6 }
}

/// Latencies of single operations, summarised by nearest-rank percentiles.
struct Latencies: Sendable {
    private(set) var sorted: [Duration]

    init(_ samples: [Duration]) {
        sorted = samples.sorted()
    }

    var count: Int { sorted.count }

    /// The nearest-rank percentile: the smallest sample that `fraction` of the samples do not exceed.
    func percentile(_ fraction: Double) -> Duration {
        precondition(!sorted.isEmpty)
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    var mean: Duration {
        sorted.reduce(Duration.zero, +) / sorted.count
    }

    var max: Duration { sorted.last! }

    /// `p50 12.3 µs, p99 45.6 µs, p99.9 78.9 µs, max 123 µs`
    var summary: String {
        "p50 \(Format.micros(percentile(0.5))), p99 \(Format.micros(percentile(0.99))), p99.9 \(Format.micros(percentile(0.999))), max \(Format.micros(max))"
    }
}

/// A small, seeded generator, so that every run looks up the same numbers (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Format {
    /// `1,234,567`
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// A rate rounded to a whole number, with thousands separators.
    static func rate(_ value: Double) -> String {
        count(Int(value.rounded()))
    }

    static func micros(_ duration: Duration) -> String {
        let value = duration.microseconds
        if value >= 10_000 { return String(format: "%.1f ms", value / 1000) }
        return value < 100 ? String(format: "%.1f µs", value) : String(format: "%.0f µs", value)
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", duration.seconds)
    }

    static func ratio(_ value: Double) -> String {
        String(format: "%.2f×", value)
    }
}

/// One line of the final table.
struct ResultRow: Sendable {
    var benchmark: String
    var result: String
    var goal: String
    /// `nil` when the line has no goal of its own (a reference figure).
    var met: Bool?
    /// A line printed after the table, to compare any two runs by (`lookup p99 ratio: ...`).
    var ratio: String? = nil
}

/// `NAME p99 ratio: R (tracemark P µs / peer Q µs)`: how far a benchmark is from its peer, in one
/// line of a fixed form (printed last, so that runs can be compared by their last lines).
func ratioLine(_ name: String, _ what: String = "p99", ours: Duration, peer: Duration) -> String {
    "\(name) \(what) ratio: \(String(format: "%.2f", ours.seconds / peer.seconds)) "
        + "(tracemark \(String(format: "%.1f", ours.seconds * 1e6)) µs / peer \(String(format: "%.1f", peer.seconds * 1e6)) µs)"
}

/// Prints rows as a Markdown table, which reads well in a terminal and pastes into BENCHMARKS.md.
func printTable(_ rows: [ResultRow]) {
    let header = ["benchmark", "result", "goal", "met"]
    let cells = rows.map { [$0.benchmark, $0.result, $0.goal, $0.met.map { $0 ? "yes" : "NO" } ?? "—"] }
    var widths = header.map(\.count)
    for line in cells {
        for (column, cell) in line.enumerated() { widths[column] = Swift.max(widths[column], cell.count) }
    }
    func render(_ line: [String]) -> String {
        "| " + line.enumerated().map { column, cell in
            cell + String(repeating: " ", count: widths[column] - cell.count)
        }.joined(separator: " | ") + " |"
    }
    print(render(header))
    print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
    for line in cells { print(render(line)) }
}

/// Failure of a benchmark's own check (a gap, a duplicate, a missing record) or of its set-up.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints at once, even when stdout is a pipe (`make bench | tee`).
func say(_ line: String) {
    print(line)
    fflush(nil)
}

/// CPU time (user + system) used so far, by this process or by its waited-for children.
///
/// Wall-clock rates suffer when other work shares the machine; CPU time per row suffers much
/// less, so benchmark 1 reports both.
enum CPUTime {
    static func ofSelf() -> Duration { read(__rusage_who_t(RUSAGE_SELF.rawValue)) }
    static func ofChildren() -> Duration { read(__rusage_who_t(RUSAGE_CHILDREN.rawValue)) }

    private static func read(_ who: __rusage_who_t) -> Duration {
        var usage = rusage()
        guard getrusage(who, &usage) == 0 else { return .zero }
        func duration(_ time: timeval) -> Duration {
            .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
        }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }
}

/// The process's resident memory, from `/proc/self/status`. VmHWM counts the pages of files the
/// process maps, and the store maps its SQLite file (`mmap_size` 256 MiB per connection): a
/// report's own memory is RssAnon (heap, stacks), sampled while it runs.
enum Resident {
    /// The process's peak resident set (VmHWM), in bytes.
    static func peak() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    /// The process's resident set now, in bytes: anonymous memory (RssAnon) and pages of files
    /// (RssFile, here the database file SQLite maps).
    static func now() -> (anonymous: Int, file: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
                  let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
            return kilobytes * 1024
        }
        return (field("RssAnon:"), field("RssFile:"))
    }

    /// Samples the process's resident set every 5 ms on a thread of its own until stopped, keeping
    /// the highest of each part: a report's own memory peaks while it runs, not after.
    final class Sampler: @unchecked Sendable {
        private let lock = NSLock()
        private var running = true
        private var peak = (anonymous: 0, file: 0)
        private var thread: Thread?

        init() {
            let thread = Thread { [self] in
                while lock.withLock({ running }) {
                    let current = Resident.now()
                    lock.withLock { peak = (max(peak.anonymous, current.anonymous), max(peak.file, current.file)) }
                    usleep(5_000)
                }
            }
            self.thread = thread
            thread.start()
        }

        func stop() -> (anonymous: Int, file: Int) {
            lock.withLock { running = false }
            usleep(10_000)
            let current = Resident.now()
            return lock.withLock { (max(peak.anonymous, current.anonymous), max(peak.file, current.file)) }
        }
    }

    /// Resets the process's peak resident set (Linux: `clear_refs` 5), so that VmHWM measures what
    /// follows, not the set-up before it.
    static func resetPeak() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }
}

import BenchmarkSupport
import Foundation
import GS1

/// GS1 parsing on one core (the scan resolution issue): scans per second for realistic GS1-128
/// logistics labels, GS1 DataMatrix medicine packs (01+17+10+21), and every scan-data vector of
/// `../shared/gs1`, beside biip (PyPI) and the GS1 Syntax Engine (C) on the same input files.
///
/// The C engine is built locally for the comparison and never committed: give the path of a
/// program that reads a file of scans (one per line) and a round count, calls
/// `gs1_encoder_setScanData` on each, and prints `{"scans": N, "valid": V, "nsPerScan": X}`
/// (`--gs1-syntax-engine PATH`; BENCHMARKS.md says how it was made). biip runs through
/// `Benchmarks/peers/biip_parse.py`, which prints the same.
enum ParseBenchmark {
    struct InputSet {
        let name: String
        /// The set's name in its ratio line.
        let key: String
        let scans: [String]
    }

    struct PeerResult: Decodable {
        let scans: Int
        let valid: Int
        let nsPerScan: Double
    }

    static func run(options: Options, workdir: URL) async throws -> [ResultRow] {
        let sets = try inputs(options: options)
        say("""

            == parse: GS1 scans on one core ==
            Tracemark: GS1Parser (strict) .parse(scan) on each scan of the set in a loop (release build, one thread);
            C engine: gs1_encoder_setScanData on the same file (\(options.gs1SyntaxEngine == nil ? "not given: --gs1-syntax-engine PATH" : "given"));
            biip: biip.parse on the same file (Python \(peerVersion("python3", ["--version"]) ?? "not found")).
            """)
        var rows: [ResultRow] = []
        for set in sets {
            let file = workdir.appendingPathComponent("parse-\(set.name.replacingOccurrences(of: " ", with: "-")).txt")
            try Data(set.scans.joined(separator: "\n").utf8).write(to: file)
            var met: Bool?
            // The ratio is taken against the C engine, the goal's peer; without it, against biip.
            var ratio: String?
            let ours: Double
            var result: String
            if let engine = options.gs1SyntaxEngine {
                // Five rounds of about 0.4 s each, ours and the engine's in turn, and the median of
                // each side: the two timed one after the other for 2 s each moved by up to 20 %
                // with the load of this shared machine, more than the difference measured.
                let rounds = max(1, Int(0.4e9 / 600 / Double(set.scans.count)))
                var ourTimes: [Double] = [], peerTimes: [Double] = []
                var valid = 0, peerValid = 0
                for _ in 0..<5 {
                    let (time, counted) = measure(set.scans, for: .milliseconds(400))
                    let peer = try runPeer(engine, [file.path, "\(rounds)"])
                    ourTimes.append(time)
                    peerTimes.append(peer.nsPerScan)
                    valid = counted
                    peerValid = peer.valid
                }
                ours = median(ourTimes)
                let peer = median(peerTimes)
                result = "Tracemark \(nanos(ours)) (\(Format.rate(1e9 / ours))/s, \(valid) valid); "
                    + "C engine \(nanos(peer)) (\(peerValid) valid; medians of 5 rounds in turn)"
                met = ours < peer
                ratio = ratioLine(set.key, ours: ours, peer: peer, peerName: "C engine")
            } else {
                let (time, valid) = measure(set.scans, for: .seconds(2))
                ours = time
                result = "Tracemark \(nanos(ours)) (\(Format.rate(1e9 / ours))/s, \(valid) valid)"
            }
            let script = ChildProcess.peers.appendingPathComponent("biip_parse.py").path
            if let peer = try? runPeer("/usr/bin/env", ["python3", script, file.path, "1"]) {
                result += "; biip \(nanos(peer.nsPerScan)) (\(peer.valid) valid)"
                ratio = ratio ?? ratioLine(set.key, ours: ours, peer: peer.nsPerScan, peerName: "biip")
            } else {
                result += "; biip not run (pip install biip)"
            }
            say("\(set.name): \(result)")
            rows.append(ResultRow(benchmark: "parse \(set.name) (\(Format.count(set.scans.count)) scans), per scan on one core",
                                  result: result, goal: "faster than the C engine", met: met, ratio: ratio))
        }
        return rows
    }

    /// Nanoseconds per scan over rounds of the whole set lasting about `duration`, after a warm-up round.
    static func measure(_ scans: [String], for duration: Duration) -> (Double, Int) {
        let parser = GS1Parser()
        var valid = 0
        for scan in scans where (try? parser.parse(scan)) != nil { valid += 1 }
        let clock = ContinuousClock()
        var rounds = 0
        var sink = 0
        let started = clock.now
        var elapsed = Duration.zero
        while elapsed < duration {
            for scan in scans {
                if let code = try? parser.parse(scan) { sink &+= code.elements.count }
            }
            rounds += 1
            elapsed = clock.now - started
        }
        precondition(sink >= 0)
        return (elapsed.seconds * 1e9 / Double(rounds * scans.count), valid)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private static func nanos(_ value: Double) -> String { String(format: "%.0f ns", value) }

    /// `parse SET mean ratio: R (tracemark P ns / peer Q ns, NAME)`, in the form of the other
    /// benchmarks' ratio lines (a parse is timed as a mean over rounds, and in nanoseconds).
    static func ratioLine(_ key: String, ours: Double, peer: Double, peerName: String) -> String {
        let ratio = ours / peer
        return "parse \(key) mean ratio: \(String(format: ratio < 0.1 ? "%.4f" : "%.2f", ratio)) (tracemark \(nanos(ours)) / peer \(nanos(peer)), \(peerName))"
    }

    /// The sets: realistic GS1-128 and DataMatrix scans (seeded), and the shared scan-data vectors.
    static func inputs(options: Options) throws -> [InputSet] {
        var random = SplitMix64(seed: 4)
        let count = max(100, options.scaled(10_000))
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(random.next() % 10)) }) }
        func gtin() -> String {
            let body = "0" + "40" + digits(10)
            return withCheckDigit(body)
        }
        func date() -> String {
            let day = CalendarDate(year: 2027, month: 1, day: 1)!.adding(days: Int(random.next() % 900))
            return day.gs1YYMMDD
        }
        func alnum(_ n: Int) -> String {
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
            return String((0..<n).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        let logistics = (0..<count).map { _ in "]C101\(gtin())3103\(digits(6))15\(date())10\(alnum(4 + Int(random.next() % 6)))" }
        let medicine = (0..<count).map { _ in "]d201\(gtin())17\(date())10\(alnum(6))\u{1D}21\(alnum(12))" }
        return [
            InputSet(name: "GS1-128 logistics (01)(3103)(15)(10)", key: "GS1-128", scans: logistics),
            InputSet(name: "GS1 DataMatrix medicine (01)(17)(10)(21)", key: "DataMatrix", scans: medicine),
            InputSet(name: "shared scan-data vectors", key: "vectors", scans: try vectorScans()),
        ]
    }

    /// Every `scan_data_aim` input of `../shared/gs1/element-strings.jsonl` that fits on one line.
    static func vectorScans() throws -> [String] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/gs1/element-strings.jsonl")
        let text = try String(contentsOf: file, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["input_form"] as? String == "scan_data_aim", let input = object["input"] as? String,
                  !input.isEmpty, !input.contains("\n"), !input.contains("\r"), !input.contains("\0") else { return nil }
            return input
        }
    }

    static func runPeer(_ executable: String, _ arguments: [String]) throws -> PeerResult {
        let peer = try ChildProcess.run(URL(fileURLWithPath: executable), arguments, errors: .passedThrough)
        guard peer.status == 0 else {
            throw BenchmarkFailure("\(executable) \(arguments.joined(separator: " ")) exited with \(peer.status)")
        }
        return try JSONDecoder().decode(PeerResult.self, from: peer.output)
    }

    static func peerVersion(_ executable: String, _ arguments: [String]) -> String? {
        guard let peer = try? ChildProcess.run(command: executable, arguments, errors: .passedThrough) else { return nil }
        return peer.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A GS1 key with its check digit appended to `body` (digits only).
func withCheckDigit(_ body: String) -> String {
    body + String(CheckDigit.compute(body.utf8))
}

extension CalendarDate {
    /// The date as AI (11) or (17) carries it.
    var gs1YYMMDD: String { String(format: "%02d%02d%02d", year % 100, month, day) }
}

import Foundation

/// Runs the chosen benchmarks in order and collects their lines of the final table.
struct BenchmarkRun {
    let options: Options

    func run() async throws -> [ResultRow] {
        let (workdir, temporary) = try Self.workdir(options.workdir)
        defer { if temporary { try? FileManager.default.removeItem(at: workdir) } }
        let shell = try SQLiteShell.find(scratch: workdir)
        say(Self.machine(shell: shell, scale: options.scale))

        var rows: [ResultRow] = []
        var generated: GenerateOutcome?
        if options.runs(.generate) {
            let (outcome, generateRows) = try await GenerateBenchmark.run(options: options, workdir: workdir, shell: shell)
            generated = outcome
            rows += generateRows
        }
        if options.runs(.takeNumbers), let url = options.postgres {
            rows += try await TakeNumbersBenchmark.run(options: options, url: url, workdir: workdir)
        }
        if options.runs(.documents) {
            rows += try await DocumentsBenchmark.run(options: options, workdir: workdir)
        }
        if options.runs(.lookup) {
            rows += try await LookupBenchmark.run(options: options, workdir: workdir, shell: shell, generated: generated)
        }
        if options.runs(.parse) {
            rows += try await ParseBenchmark.run(options: options, workdir: workdir)
        }
        if options.runs(.resolve) {
            rows += try await ResolveBenchmark.run(options: options, workdir: workdir)
        }
        if options.runs(.trace) {
            rows += try await TraceBenchmark.run(options: options, workdir: workdir, shell: shell)
        }
        if options.runs(.balance) {
            rows += try await BalanceBenchmark.run(options: options, workdir: workdir, shell: shell)
        }
        return rows
    }

    /// The given folder (created when missing), or a new temporary one that is removed after.
    private static func workdir(_ path: String?) throws -> (URL, Bool) {
        if let path {
            let url = URL(fileURLWithPath: path, isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return (url, false)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-bench-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return (url, true)
    }

    /// What the figures were measured on.
    private static func machine(shell: SQLiteShell, scale: Double) -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let osRelease = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let os = osRelease.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "unknown OS"
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        var lines = [
            "Tracemark registry benchmarks, \(ISO8601DateFormatter().string(from: Date()))",
            "machine: \(model), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(String(format: "%.1f", memory)) GiB memory, \(os)",
            "sqlite3 command: \(shell.version)",
        ]
        if scale != 1 { lines.append("scale: \(scale) (counts multiplied; not the figures of record)") }
        return lines.joined(separator: "\n")
    }
}

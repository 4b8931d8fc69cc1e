public import ArgumentParser
import Foundation
import GS1
import Labels
import Logging
public import Printing
import Registry
import ServiceLifecycle
import Stations
import Store

extension GlobalOptions {
    /// Opens the registry and its spool, runs `body`, and closes them whatever happens.
    /// The spool in the registry; with `existing`, for a command that only reads it, a registry
    /// that must be there already (``withExistingRegistry(_:)``).
    func withSpool<T: Sendable>(existing: Bool = false, _ body: (Registry, Spool) async throws -> T) async throws -> T {
        let open = { (registry: Registry) in try await body(registry, try await Spool(store: registry.store)) }
        return try await existing ? withExistingRegistry(open) : withRegistry(open)
    }
}

/// Who asked: `--user`, else the login name.
/// Who runs the command, for the documents and history it writes: `$USER`, `$LOGNAME`, else the
/// operating system's name for the process's user (a service or a container often sets neither),
/// never empty.
func defaultUser() -> String {
    let environment = ProcessInfo.processInfo.environment
    for name in ["USER", "LOGNAME"] {
        if let user = environment[name], !user.isEmpty { return user }
    }
    return SQLStores.systemUserName ?? "operator"
}

/// Logs of printer workers run from the command line: warnings and above on standard error.
private func workerLogger(verbose: Bool) -> Logger {
    var logger = Logger(label: "tracemark.printing") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = verbose ? .info : .warning
    return logger
}

extension PrinterLanguage: ExpressibleByArgument {}
extension EndOfJob: ExpressibleByArgument {}
extension JobState: ExpressibleByArgument {}

// MARK: tracemark print

struct PrintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Print a label through the spool, or the labels of a production run.",
        discussion: """
            tracemark print TEMPLATE --printer NAME renders the template (data as for `render`: --data, \
            --product with --lot/--serial, or the template's sample) for the printer's language and \
            resolution, reads its barcodes back, and queues it; the job is committed before anything \
            is sent. tracemark print TEMPLATE --run --product P --count N --printer NAME generates N new \
            numbers per the product's class and queues their N labels in one transaction. \
            Then the command sends the job(s) and waits until the printer reports them printed \
            (--wait seconds, default 60; --no-wait leaves them to `tracemark jobs run`). \
            Exit status: 0 printed, 1 refused or given up (held, cancelled), 2 still waiting \
            (the printer is off or out of paper, say: the jobs stay queued and nothing is lost).
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The template file or name.") var template: String
    @Option(help: "The printer's name (see `tracemark printers`).") var printer: String = "file"
    @OptionGroup var labelData: LabelDataOptions
    @Flag(help: "A production run: generate --count new numbers of --product and print one label each.") var run = false
    @Option(parsing: .unconditional, help: "With --run: how many numbers and labels.") var count: Int?
    @Option(help: "With --run: the expiry date given to every number (YYYY-MM-DD).") var expiry: String?
    @Option(help: "With --run: the production date given to every number (YYYY-MM-DD).") var production: String?
    @Option(parsing: .unconditional, help: "Copies of each label (default: the template's copies field, or 1).") var copies: Int?
    @Option(help: "Who asks (default: the login name).") var user: String?
    @Option(help: "Why the label is printed, kept with the job.") var reason: String = "printed from the command line"
    @Option(help: "Seconds to wait for the printer to print.") var wait: Double = 60
    @Flag(help: "Queue only: leave sending to `tracemark jobs run`.") var noWait = false
    @Flag(help: "Log what the printer worker does.") var verbose = false
    @Flag(help: "Print the template's sample data (a test label): without --data or --product, nothing is printed unless this is given.")
    var sample = false

    func validate() throws {
        if let copies, copies < 1 { throw ValidationError("--copies must be at least 1") }
        // A label of the sample's invented lot could end up on goods: printed only when asked for.
        if !run, labelData.data == nil, labelData.product == nil, !sample {
            throw ValidationError("give the label's data (--data FILE, or --product with --lot or --serial); --sample prints the template's sample as a test label")
        }
        if run {
            guard labelData.product != nil, let count else { throw ValidationError("--run needs --product and --count") }
            guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1 to 10000") }
            if labelData.lot != nil || labelData.serial != nil { throw ValidationError("--run makes new numbers: drop --lot/--serial") }
        } else if count != nil || expiry != nil || production != nil {
            throw ValidationError("--count, --expiry and --production belong to --run")
        }
        if !(wait >= 0) { throw ValidationError("--wait must be 0 or more seconds") }
    }

    func run() async throws {
        let template = try TemplateLoader().load(contentsOf: TemplateLocation.resolve(self.template))
        let user = user ?? defaultUser()
        let ids: [Int64] = try await options.withSpool { registry, spool in
            let config = try await spool.printer(printer)
            if run, let product = labelData.product, let count {
                var base = LabelData.object([:])
                if labelData.data != nil { base = try await labelData.load(for: template, options: options) }
                let result = try await ProductionRun(
                    product: product, count: count, printer: config.name, template: template, data: base,
                    expiry: try expiry.map { try parseDate($0, what: "--expiry") },
                    production: try production.map { try parseDate($0, what: "--production") },
                    copies: copies, requestedBy: user, reason: reason).run(registry: registry, spool: spool)
                if !options.json {
                    print("registered \(result.numbers.count) numbers: \(numberRanges(result.numbers))")
                }
                return result.jobs
            }
            let data = try await labelData.load(for: template, options: options)
            // A label for goods held back (a failed test, a quarantine) prints as any other, and
            // may be wanted (goods in quarantine are labelled too): said, not refused (a QA run
            // printed a blocked lot's label without a word).
            if let product = labelData.product, let number = labelData.lot ?? labelData.serial,
               let record = try? await registry.lotSerial(product: product, number: number), [.quarantined, .blocked].contains(record.status) {
                FileHandle.standardError.write(Data("note: \(record.kind.rawValue) \(number) of \(product) is \(record.status.rawValue): its label says nothing of that; it is printed\n".utf8))
            }
            // The number as the registry has it: ` 000001R1 ` gave a reference of two spaces
            // and one behind, which a search of the jobs missed (found by a QA run).
            let number = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
            let reference = labelData.product.map { "\($0) \(labelData.lot.map { "lot \(number($0))" } ?? labelData.serial.map { "serial \(number($0))" } ?? "")" } ?? ""
            return [try await LabelJobs.enqueue(template, data, printer: config.name, spool: spool, copies: copies,
                                                requestedBy: user, reason: reason,
                                                reference: reference.trimmingCharacters(in: .whitespaces))]
        }
        if noWait {
            let jobs: [PrintJob] = try await options.withSpool { _, spool in
                var jobs: [PrintJob] = []
                for id in ids { jobs.append(try await spool.job(id)) }
                return jobs
            }
            try report(jobs, waited: false)
            return
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        let jobs = try await options.withSpool { _, spool in
            try await LabelJobs.follow(ids, printer: printer, spool: spool, until: deadline, logger: workerLogger(verbose: verbose))
        }
        try report(jobs, waited: true)
    }

    private func report(_ jobs: [PrintJob], waited: Bool) throws {
        let summary = JobSummary.counts(jobs)
        try options.emit(jobs.map(JobSummary.init)) {
            jobs.count == 1 ? describe(jobs[0]) : "\(jobs.count) jobs on \(printer): " + summary.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        }
        if jobs.contains(where: { $0.state == .held || $0.state == .cancelled }) { throw ExitCode(1) }
        if waited, !jobs.allSatisfy({ $0.state == .done }) {
            FileHandle.standardError.write(Data("tracemark: not printed yet; the jobs stay queued and print when \(printer) can (`tracemark jobs run` keeps sending)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// One line per job.
func describe(_ job: PrintJob) -> String {
    var text = "job \(job.id) \(job.state.rawValue) on \(job.printer): \(job.labelCount) label\(job.labelCount == 1 ? "" : "s")"
    if !job.reference.isEmpty { text += ", \(job.reference)" }
    if job.state == .done, !job.confirmed { text += " (delivered; the printer cannot confirm printing)" }
    if job.possiblyDuplicated { text += " [possibly printed twice: check]" }
    if !job.error.isEmpty, job.state != .done { text += " — \(job.error)" }
    return text
}

/// A job as `--json` shows it (without its bytes): the same shape as the HTTP API's.
typealias JobSummary = PrintJobSummary

extension PrintJobSummary {
    static func counts(_ jobs: [PrintJob]) -> [String: Int] {
        jobs.reduce(into: [:]) { $0[$1.state.rawValue, default: 0] += 1 }
    }
}

/// Numbers as runs of consecutive ones (`SN000006, SN000008…SN000009`): a run that skipped a
/// number another record had (SN000007) was said as `SN000006…SN000009`, and an operator took
/// the skipped one for the run's (found by a QA run).
func numberRanges(_ numbers: [String]) -> String {
    func split(_ number: String) -> (prefix: Substring, digits: Substring)? {
        let digits = number.reversed().prefix { $0.isASCII && $0.isNumber }.count
        guard digits > 0 else { return nil }
        return (number.dropLast(digits), number.suffix(digits))
    }
    var runs: [(first: String, last: String)] = []
    for number in numbers {
        if let last = runs.last, let previous = split(last.last), let current = split(number), previous.prefix == current.prefix,
           previous.digits.count == current.digits.count, let a = Int(previous.digits), let b = Int(current.digits), b == a + 1 {
            runs[runs.count - 1].last = number
        } else {
            runs.append((number, number))
        }
    }
    return runs.map { $0.first == $0.last ? $0.first : "\($0.first)…\($0.last)" }.joined(separator: ", ")
}

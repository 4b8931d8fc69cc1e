import ArgumentParser
import Foundation
import Logging
import Printing
import Registry
import ServiceLifecycle
import Stations
import UnixSignals

/// `tracemark jobs`: the spool, for operators.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List print jobs; retry, cancel, move or reprint one; run the printer workers.",
        subcommands: [List.self, Show.self, Retry.self, Cancel.self, Move.self, Reprint.self, Run.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this printer's jobs.") var printer: String?
        @Option(help: "Only jobs in this state (queued, sending, printing, done, failed, held, cancelled); repeatable.")
        var state: [JobState] = []
        @Option(help: "At most this many.") var limit: Int = 50

        func run() async throws {
            let (jobs, printers) = try await options.withSpool(existing: true) { _, spool in
                (try await spool.jobs(printer: printer, states: state, limit: limit), try await spool.printers())
            }
            // Why a job waits, where its printer cannot print now (as the worker last found it): a
            // job behind a printer that did not answer said nothing, or an old attempt's error
            // (found by a QA run).
            let waiting = Dictionary(uniqueKeysWithValues: printers.compactMap { printer -> (String, String)? in
                guard !["ready", "printing", "unknown"].contains(printer.state) else { return nil }
                return (printer.config.name, "printer \(printer.config.name) is \(printer.state)"
                    + (printer.stateMessage.isEmpty ? "" : ": \(printer.stateMessage)") + (printer.stateAt.map { " (since \($0.prefix(19)))" } ?? ""))
            })
            let worked = Set(printers.filter(\.worked).map(\.config.name))
            try options.emit(jobs.map(JobSummary.init)) {
                table(["JOB", "PRINTER", "STATE", "LABELS", "REFERENCE", "ASKED BY", "CREATED", "NOTE"], jobs.map { job in
                    var note = job.state == .done ? (job.confirmed ? "" : "delivered, not confirmed") : job.error
                    if job.state == .queued, !note.isEmpty { note = "last attempt: " + note }
                    if [.queued, .sending, .failed].contains(job.state), let why = waiting[job.printer] {
                        note = "waits: " + why + (note.isEmpty ? "" : ". " + note)
                    }
                    // On its way with no worker holding its printer: the worker stopped mid-send
                    // (killed, its machine off). It read as being sent, with no word (a QA run).
                    if [.sending, .printing].contains(job.state), !worked.contains(job.printer) {
                        note = "its worker stopped while sending it: the printer's next worker (serve, or tracemark jobs run) settles it, asking the printer what it printed"
                            + (note.isEmpty ? "" : ". " + note)
                    }
                    if job.possiblyDuplicated { note = "POSSIBLY PRINTED TWICE. " + note }
                    if let original = job.reprintOf {
                        note = "reprint of \(original)" + (job.reason.isEmpty ? "" : " (\(job.reason))") + (note.isEmpty ? "" : ". " + note)
                    }
                    return [String(job.id), job.printer, job.state.rawValue, String(job.labelCount), job.reference,
                            job.requestedBy, String(job.createdAt.prefix(19)), note]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job and its history.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job's number.") var job: Int64

        struct Shown: Encodable {
            let job: JobSummary
            let history: [[String: String]]
        }

        func run() async throws {
            let (job, history) = try await options.withSpool(existing: true) { _, spool in
                (try await spool.job(self.job), try await spool.events(job: self.job))
            }
            try options.emit(Shown(job: JobSummary(job), history: history.map {
                ["at": $0.at, "state": $0.state.rawValue, "message": $0.message]
            })) {
                fields([
                    ("job", String(job.id)), ("printer", job.printer), ("state", job.state.rawValue),
                    ("labels", "\(job.labelCount) (\(job.language.rawValue)\(job.dpi.map { ", \($0) dpi" } ?? ""), \(job.payload.count) bytes)"),
                    ("template", job.template), ("reference", job.reference.isEmpty ? nil : job.reference),
                    ("asked by", "\(job.requestedBy): \(job.reason)"), ("attempts", String(job.attempts)),
                    ("error", job.error.isEmpty ? nil : job.error),
                    ("warning", job.possiblyDuplicated ? "sent again after a doubt the printer could not settle: a label may exist twice" : nil),
                    ("reprint of", job.reprintOf.map(String.init)),
                ]) + "\n\n" + table(["AT", "STATE", "WHAT HAPPENED"], history.map { [$0.at, $0.state.rawValue, $0.message] })
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a held, failed or cancelled job back in its printer's queue.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job's number.") var job: Int64
        @Option(help: "Who retries (default: the login name).") var user: String?

        func run() async throws {
            try await options.withSpool { _, spool in try await spool.retry(job, by: user ?? defaultUser()) }
            if !options.json { print("job \(job) queued again") }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job that has not printed.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job's number.") var job: Int64
        @Option(help: "Why (kept in the job's history).") var reason: String?
        @Option(help: "Who cancels (default: the login name).") var user: String?

        func run() async throws {
            // What the cancel could not undo (a label in a raw printer's hands) is said here too.
            let note = try await options.withSpool { _, spool in
                try await spool.cancel(job, by: user ?? defaultUser(), reason: reason)
                return try await spool.job(job).error
            }
            if !options.json { print("job \(job) cancelled" + (note.isEmpty ? "" : ": \(note)")) }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a queued, held, failed or cancelled job to another printer of the same language and resolution.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job's number.") var job: Int64
        @Option(help: "The printer to send it to.") var to: String

        func run() async throws {
            let moved = try await options.withSpool { _, spool in try await spool.move(job, to: to) }
            // The new number, to follow it there (found by a QA run: only `jobs show` had it).
            if !options.json { print("job \(job) moved to \(to) as job \(moved)") }
        }
    }

    struct Reprint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a done job's labels again (a torn or smudged label).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The job's number.") var job: Int64
        @Option(help: "Another printer of the same language (default: the job's).") var printer: String?
        @Option(help: "Why it is reprinted (torn, smudged): kept with the new job.") var reason: String
        @Option(help: "Who asks (default: the login name).") var user: String?

        func validate() throws {
            // A label printed twice is a question an auditor asks: the answer goes with the job.
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--reason: say why the labels are printed again (torn, smudged, lost)")
            }
        }

        func run() async throws {
            let id = try await options.withSpool { registry, spool in
                try await LabelJobs.reprint(job, printer: printer, requestedBy: user ?? defaultUser(), reason: reason,
                                            spool: spool, registry: registry)
            }
            if options.json { print("{\"job\": \(id)}") } else { print("job \(id) queued: reprint of job \(job)") }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send queued jobs: one worker per printer, until Ctrl+C or TERM.",
            discussion: """
                Settles first any job a crash left in doubt (asking the printer what it printed), then \
                sends jobs in order. Stations on one PostgreSQL registry may all run this: one worker \
                at a time holds each printer. --until-idle returns once every printer's queue is empty.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only these printers (repeatable; default all).") var printer: [String] = []
        @Flag(help: "Return when there is nothing left to send.") var untilIdle = false
        @Option(help: "Seconds between looks for new jobs.") var poll: Double = 0.5
        @Option(help: "Most jobs sent to a printer as one payload.") var batch: Int = 2000
        @Option(help: ArgumentHelp("Seconds a printer's lease lasts without renewal: how soon another station takes over a printer whose worker stopped answering.",
                                   discussion: "The holder renews it every third of that while it sends.")) var lease: Double = 30
        @Flag(help: "Log what the workers do.") var verbose = false

        func validate() throws {
            guard lease >= 1 && lease <= 3600 else { throw ValidationError("--lease must be 1 to 3600 seconds") }
        }

        func run() async throws {
            var logger = Logger(label: "tracemark.printing") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = verbose ? .info : .notice
            try await options.withSpool { _, spool in
                let names = printer.isEmpty ? try await spool.printers().map(\.config.name) : printer
                for name in names { _ = try await spool.printer(name) }
                var workerOptions = PrinterWorker.Options()
                workerOptions.untilIdle = untilIdle
                workerOptions.batchLimit = max(1, batch)
                workerOptions.pollInterval = .milliseconds(Int64(max(0.01, poll) * 1000))
                workerOptions.lease = .milliseconds(Int64(lease * 1000))
                // One group of workers: a printer whose worker fails is started again on its
                // own and never stops the others.
                let workers = PrinterWorkers(spool: spool, printers: names, options: workerOptions, logger: logger)
                if untilIdle {
                    try await workers.run()
                } else {
                    let group = ServiceGroup(configuration: .init(
                        services: [.init(service: workers)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                    try await group.run()
                }
            }
        }
    }
}

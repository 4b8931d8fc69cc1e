import Foundation
public import Labels
public import Logging
public import Printing

/// Render → enqueue → follow: a label from a template onto a printer's queue, and waiting until
/// the printer has printed it.
public enum LabelJobs {
    /// Renders `data` with `template` for `printer`'s language and resolution, reads its barcodes
    /// back, and queues it: the job is committed before anything is sent. Returns the job's id.
    public static func enqueue(_ template: Template, _ data: LabelData, printer: String, spool: Spool, copies: Int? = nil,
                               requestedBy: String, reason: String, reference: String = "") async throws -> Int64 {
        let config = try await spool.printer(printer)
        let bytes = try LabelRendering.render(template, data, language: config.language, dpi: config.dpi, copies: copies)
        let ids = try await spool.enqueue([PrintRequest(
            printer: config.name, payload: bytes, language: config.language, copies: copies ?? 1,
            template: template.name, data: data.jsonText, requestedBy: requestedBy, reason: reason, reference: reference)])
        return ids[0]
    }

    /// Sends `printer`'s queue until the last of `jobs` is done, held or cancelled, or `deadline`
    /// passes; returns the jobs as they then are. Jobs that did not print stay queued: nothing is lost.
    public static func follow(_ jobs: [Int64], printer: String, spool: Spool, until deadline: ContinuousClock.Instant,
                              logger: Logger = Logger(label: "tracemark.printing")) async throws -> [PrintJob] {
        var options = PrinterWorker.Options()
        options.pollInterval = .milliseconds(100)
        options.maxBackoff = .seconds(5)
        options.until = deadline
        let last = jobs.last ?? 0
        options.stop = {
            if ContinuousClock.now > deadline { return true }
            guard let job = try? await spool.job(last) else { return true }
            return [.done, .held, .cancelled].contains(job.state)
        }
        try await PrinterWorker(spool: spool, printer: printer, options: options, logger: logger).run()
        var followed: [PrintJob] = []
        for id in jobs { followed.append(try await spool.job(id)) }
        return followed
    }
}

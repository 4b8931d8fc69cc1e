import Foundation
public import Labels
public import Logging
public import Printing
public import Registry

/// Render → enqueue → follow: a label from a template onto a printer's queue, and waiting until
/// the printer has printed it.
public enum LabelJobs {
    /// Renders `data` with `template` for `printer`'s language and resolution, reads its barcodes
    /// back, and queues it: the job is committed before anything is sent. Returns the job's id.
    public static func enqueue(_ template: Template, _ data: LabelData, printer: String, spool: Spool, copies: Int? = nil,
                               requestedBy: String, reason: String, reference: String = "") async throws -> Int64 {
        let config = try await spool.printer(printer)
        let bytes = try LabelRendering.render(template, data, for: config, copies: copies)
        // A raw template writes its quantity itself (`^PQ{{copies}}`): held to the same 10,000
        // copies a template's `copies` and --copies are (a QA run queued 99,999,999 this way).
        if template.rawLanguage != nil {
            let labels = LabelCount.count(bytes, language: config.language)
            guard labels <= 10_000 else {
                throw LabelError(.invalidValue,
                    "template \(template.name) asks for \(labels) labels in one job: at most 10000 copies are printed at once; check the value of its quantity")
            }
        }
        let ids = try await spool.enqueue([PrintRequest(
            printer: config.name, payload: bytes, language: config.language, copies: copies ?? 1,
            template: template.name, data: data.jsonText, requestedBy: requestedBy, reason: reason, reference: reference,
            dpi: config.dpi)])
        return ids[0]
    }

    /// A reprint of job `id` (a torn label): refused when the label is of a lot or serial voided
    /// since, as printing one is: a voided number is never used again, and a reprint would put it
    /// back on the floor (a run's unverified serials are voided when the run closes).
    public static func reprint(_ id: Int64, printer: String?, requestedBy: String, reason: String, spool: Spool,
                               registry: Registry) async throws -> Int64 {
        let job = try await spool.job(id)
        if let (product, number) = numbered(job.reference),
           let record = try? await registry.lotSerial(product: product, number: number), record.status == .voided {
            throw RegistryError(.numberRetired,
                "job \(id) is the label of \(record.kind.rawValue) \(number) of \(product), voided since: a voided number is never used again, so its label is not printed again")
        }
        return try await spool.reprint(id, printer: printer, requestedBy: requestedBy, reason: reason)
    }

    /// A label job's reference for one lot or serial (`PUMP-200 serial SN1`, `PAINT-5L lot L1`):
    /// read by people in `jobs`, and by ``reprint`` to find the number again. Every place that
    /// queues a numbered label writes it with this.
    public static func reference(product: String, kind: String, number: String) -> String {
        "\(product) \(kind) \(number)"
    }

    /// The product and number a job's reference names (``reference(product:kind:number:)``).
    static func numbered(_ reference: String) -> (product: String, number: String)? {
        let parts = reference.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[2].isEmpty, parts[1] == "lot" || parts[1] == "serial" else { return nil }
        return (String(parts[0]), String(parts[2]))
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

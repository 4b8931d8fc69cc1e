import Foundation
public import GS1
public import Labels
public import Printing
public import Registry
public import SQLKit
import Store
import TracemarkSystem

/// "Print labels for N new serials of product P on printer X": generates the N numbers per the
/// product's class, registers them and queues their N labels, all in one transaction. Either
/// every number exists and has its label queued, or nothing was written: no number without its
/// label, and no label for a number that does not exist.
public struct ProductionRun: Sendable {
    public var product: String
    public var count: Int
    public var printer: String
    public var template: Template
    /// Data set under each label's product and serial (partner, order, …).
    public var data: LabelData
    /// The date of use for the number format's date segments (default: today).
    public var date: CalendarDate?
    public var expiry: CalendarDate?
    public var production: CalendarDate?
    public var copies: Int?
    public var requestedBy: String
    public var reason: String

    public init(product: String, count: Int, printer: String, template: Template, data: LabelData = .object([:]),
                date: CalendarDate? = nil, expiry: CalendarDate? = nil, production: CalendarDate? = nil,
                copies: Int? = nil, requestedBy: String, reason: String = "production run") {
        self.product = product
        self.count = count
        self.printer = printer
        self.template = template
        self.data = data
        self.date = date
        self.expiry = expiry
        self.production = production
        self.copies = copies
        self.requestedBy = requestedBy
        self.reason = reason
    }

    /// What the run wrote.
    public struct Result: Sendable {
        public var numbers: [String]
        public var jobs: [Int64]
        /// Counter values skipped because their number existed already (voided in the series).
        public var skipped: [String]
        /// What each number's label carries, as a scanner reads it (JSON), when it can be read back.
        public var readings: [String: String] = [:]
    }

    /// Runs it. The labels are rendered from the numbers the run is about to make, before its
    /// transaction, and the first is read back (check before print) on a real number of the
    /// class's format, so a template or data that would not scan refuses the run with nothing
    /// written. The transaction then makes the numbers and queues their labels; only a number
    /// that differs from the one foreseen (another generation came first, or a number existed)
    /// is rendered inside it, so SQLite's write lock is not held while thousands of labels render.
    public func run(registry: Registry, spool: Spool) async throws -> Result {
        try await run(registry: registry, spool: spool) { _, _ in }.result
    }

    /// ``run(registry:spool:)``, with `then` run in the same transaction once the numbers and
    /// their jobs are written (a production line records the run and the scan that started it).
    public func run<T: Sendable>(registry: Registry, spool: Spool,
                                 then: @escaping @Sendable (any SQLDatabase, Result) async throws -> T) async throws -> (result: Result, then: T) {
        guard (1...10_000).contains(count) else {
            throw RegistryError(.invalidInput, "count \(count): a production run prints 1 to 10000 labels")
        }
        let product = try await registry.product(product)
        guard let classCode = product.lotSerialClass else {
            throw RegistryError(.invalidInput, "product \(product.article) is not tracked by lot or serial: it has no numbers to print")
        }
        let lotSerialClass = try await registry.lotSerialClass(classCode)
        let kind: LotSerial.Kind = lotSerialClass.tracking == .serial ? .serial : .lot
        let config = try await spool.printer(printer)
        let date = date ?? registry.today
        // As `generate`: it registered and printed a lot expired a year ago (found by a QA run).
        // Before thousands of labels render.
        try Registry.checkNotExpired(product.article, date: date, expiry: expiry)
        try Registry.checkProduction(product.article, production: production, expiry: expiry)
        let reference = "production run of \(count) × \(product.article) on \(printer)"
        let template = template, expiry = expiry, production = production, data = data, copies = copies
        let label: @Sendable (String, Bool) throws -> (bytes: Data, data: LabelData, readings: String?) = { number, verify in
            let labelData = LabelData.from(product: product, number: number, kind: kind, expiry: expiry,
                                           production: production, over: data)
            let (bytes, readings) = try LabelRendering.renderReading(template, labelData, for: config, copies: copies, verify: verify)
            return (bytes, labelData, LabelReading.stored(readings))
        }

        let upcoming = try await registry.upcomingNumbers(product: product.article, count: count, date: date)
        // Check before print on the first number the run will make: same format, same characters.
        guard let first = upcoming.first else {
            // No number can be foreseen (no format, the counter exhausted): the generation says
            // why, in a transaction that is rolled back whatever it says.
            try await registry.store.write { db -> Void in
                _ = try await registry.generate(db, product: product.article, count: count, date: date, expiry: expiry,
                                                production: production, reference: reference)
                throw RegistryError(.invalidInput, "product \(product.article): no number can be generated for a production run")
            }
            throw RegistryError(.invalidInput, "product \(product.article): no number can be generated for a production run")
        }
        // Thousands of labels take seconds to render: off the cooperative pool (``OffPool``).
        let prepared = try await OffPool.run {
            var rendered: [String: (bytes: Data, data: LabelData, readings: String?)] = [first: try label(first, true)]
            rendered.reserveCapacity(upcoming.count)
            for number in upcoming.dropFirst() { rendered[number] = try label(number, false) }
            return rendered
        }
        let result = try await registry.store.write { db in
            let generated = try await registry.generate(db, product: product.article, count: count, date: date, expiry: expiry,
                                                        production: production, reference: reference)
            var requests: [PrintRequest] = []
            requests.reserveCapacity(generated.numbers.count)
            var readings: [String: String] = [:]
            for number in generated.numbers {
                let (bytes, labelData, read) = try prepared[number] ?? label(number, false)
                readings[number] = read
                requests.append(PrintRequest(printer: config.name, payload: bytes, language: config.language,
                                             copies: copies ?? 1, template: template.name, data: labelData.jsonText,
                                             requestedBy: requestedBy, reason: reason,
                                             reference: LabelJobs.reference(product: product.article, kind: kind.rawValue, number: number),
                                             dpi: config.dpi))
            }
            let jobs = try await spool.enqueue(db, requests)
            let result = Result(numbers: generated.numbers, jobs: jobs, skipped: generated.skipped, readings: readings)
            return (result, try await then(db, result))
        }
        spool.notify([config.name])
        return result
    }
}

public import GS1
public import Labels
public import Printing
public import Registry

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
    }

    /// Runs it. The first label is rendered and its barcodes read back before anything is
    /// written, so a template or data that would not scan refuses the run with nothing written;
    /// the others are rendered inside the transaction (zint refuses invalid GS1 data there too).
    public func run(registry: Registry, spool: Spool) async throws -> Result {
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
        let reference = "production run of \(count) × \(product.article) on \(printer)"
        // Check before print, on a stand-in number of the same shape, outside the transaction.
        let trial = LabelData.from(product: product, number: "RUN0000001", kind: kind, expiry: expiry,
                                   production: production, over: data)
        _ = try LabelRendering.render(template, trial, language: config.language, dpi: config.dpi, copies: copies, verify: true)

        let result = try await registry.store.write { db in
            let generated = try await registry.generate(db, product: product.article, count: count, date: date, expiry: expiry,
                                                        production: production, reference: reference)
            var requests: [PrintRequest] = []
            requests.reserveCapacity(generated.numbers.count)
            for number in generated.numbers {
                let labelData = LabelData.from(product: product, number: number, kind: kind, expiry: expiry,
                                               production: production, over: data)
                let bytes = try LabelRendering.render(template, labelData, language: config.language, dpi: config.dpi,
                                                      copies: copies, verify: false)
                requests.append(PrintRequest(printer: config.name, payload: bytes, language: config.language,
                                             copies: copies ?? 1, template: template.name, data: labelData.jsonText,
                                             requestedBy: requestedBy, reason: reason,
                                             reference: "\(product.article) \(kind.rawValue) \(number)"))
            }
            let jobs = try await spool.enqueue(db, requests)
            return Result(numbers: generated.numbers, jobs: jobs, skipped: generated.skipped)
        }
        spool.notify([config.name])
        return result
    }
}

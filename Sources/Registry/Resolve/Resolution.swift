public import Foundation
public import GS1

/// The answer to "what is this?" for one scan: what the code names, the registry's record of it,
/// and every warning an operator needs to see before the goods move.
public struct Resolution: Codable, Hashable, Sendable {
    /// What the code turned out to name.
    public enum Subject: String, Codable, Hashable, Sendable {
        /// A product (a GTIN alone, or an article number).
        case product
        /// A lot of a lot-tracked product.
        case lot
        /// One serial unit.
        case serial
        /// Nothing the registry knows; the warnings say why.
        case unknown
        /// A plain code that matches more than one record; ``Resolution/candidates`` lists them.
        case ambiguous
    }

    /// What the scan itself says, whatever the registry holds: what a receiving station registers
    /// when the lot or serial is new.
    public struct Scan: Codable, Hashable, Sendable {
        /// The scan as received, with its symbology identifier if any.
        public var code: String
        /// `elementString`, `digitalLink`, `gtin` or `plain`.
        public var form: String
        /// The AIM symbology identifier, e.g. `]d2`.
        public var symbology: String?
        /// The AIs in the order they came.
        public var elements: [Element]
        public var gtin: GTIN?
        public var lot: String?
        public var serial: String?
        public var sscc: String?
        public var expiry: CalendarDate?
        public var production: CalendarDate?
        public var bestBefore: CalendarDate?

        /// One AI and its value, with what the value means where it is a measure, an amount or
        /// a date: `(3102)002004` reads 20.04 kg.
        public struct Element: Codable, Hashable, Sendable {
            public var ai: String
            public var value: String
            public var reading: AIReading?

            public init(ai: String, value: String, reading: AIReading? = nil) {
                self.ai = ai
                self.value = value
                self.reading = reading
            }
        }
    }

    /// One movement of the ledger, as the resolution reports it.
    public struct Movement: Codable, Hashable, Sendable {
        /// The document kind: `receipt`, `issue`, `transfer`, `production`, `return`, `write-off`, `split`.
        public var what: String
        public var document: String
        public var date: CalendarDate?
        public var warehouse: String
        public var partner: String?
        public var partnerName: String?
        /// Signed: positive into the warehouse, negative out of it.
        public var quantity: Decimal
        /// When it was posted (UTC).
        public var at: String
    }

    /// The lot a serial unit belongs to, from the scan's AI (10) and what the registry recorded.
    public struct LotOfSerial: Codable, Hashable, Sendable {
        /// The lot number: the scan's, else the one the registry recorded for the serial.
        public var number: String
        /// The lot as the registry recorded it for this serial (a lot record of the product, or
        /// the serial's `lot` attribute); `nil` when it recorded none.
        public var recorded: String?
        /// The lot's record, when the product keeps lots of its own.
        public var record: LotSerial?
    }

    /// A record a plain code could mean.
    public struct Candidate: Codable, Hashable, Sendable {
        public var product: String
        /// The lot or serial number; `nil` when the code is the article number.
        public var number: String?
    }

    /// What the code names.
    public var subject: Subject
    /// What the scan says.
    public var scan: Scan
    /// The product, when the registry knows it.
    public var product: Product?
    /// The lot or serial record, when the registry knows it.
    public var lotSerial: LotSerial?
    /// For a serial unit: its lot.
    public var lot: LotOfSerial?
    /// Stock now per warehouse: of the lot or serial, or (for a product) of the product.
    public var stock: [StockBalance]
    /// Days from today to the expiry (negative once expired); the registry's expiry, else the scan's.
    public var daysToExpiry: Int?
    /// The last time it came in from a partner (receipt from a supplier, return from a customer).
    public var lastReceipt: Movement?
    /// The last time it was sold (an issue to a customer).
    public var lastIssue: Movement?
    /// The last movement of any kind.
    public var lastMovement: Movement?
    /// For an ambiguous plain code: what it could mean.
    public var candidates: [Candidate]
    /// Everything the operator should see, most serious first.
    public var warnings: [ResolutionWarning]

    /// Whether a warning of `kind` is present.
    public func has(_ kind: ResolutionWarning.Kind) -> Bool {
        warnings.contains { $0.kind == kind }
    }
}

/// How the products of a class are tracked and how their lot or serial numbers are made
/// (the "lot/serial class" of the ERPs).
public struct LotSerialClass: Codable, Hashable, Sendable {
    public enum Tracking: String, Codable, Sendable, CaseIterable {
        case none, lot, serial
    }
    /// For serials: one unit per number, or one number on several units (a "batch serial").
    public enum SerialQuantity: String, Codable, Sendable, CaseIterable {
        case unique, multiple
    }
    /// When numbers are given to goods.
    public enum Assignment: String, Codable, Sendable, CaseIterable {
        case receipt, use
    }
    /// Which stock an issue takes first.
    public enum IssueMethod: String, Codable, Sendable, CaseIterable {
        case fifo, lifo, sequential, expiration, manual
    }
    /// Whether one counter serves all products of the class, or each product has its own.
    public enum CounterScope: String, Codable, Sendable, CaseIterable {
        case shared, product
    }
    /// Where a number must be unique: within its product (the default) or among all products
    /// of every class that asks for global uniqueness.
    public enum Uniqueness: String, Codable, Sendable, CaseIterable {
        case product, global
    }

    /// Short identifier, e.g. `FOODLOT`.
    public var code: String
    public var description: String
    public var tracking: Tracking
    public var serialQuantity: SerialQuantity
    /// When true, every lot or serial of the class must carry an expiry date.
    public var tracksExpiry: Bool
    public var assignment: Assignment
    public var issueMethod: IssueMethod
    /// The most numbers generated at once for one document line; the excess stays unassigned.
    public var autoGenerateBatchSize: Int
    /// The number format pattern (see ``NumberFormat``), or `nil` when numbers are only entered.
    public var format: String?
    public var counterScope: CounterScope
    /// The series that holds the shared counter. `nil` lets the registry create `CLASS-<code>`.
    public var counterSeries: String?
    public var uniqueness: Uniqueness

    public init(
        code: String,
        description: String = "",
        tracking: Tracking,
        serialQuantity: SerialQuantity = .unique,
        tracksExpiry: Bool = false,
        assignment: Assignment = .receipt,
        issueMethod: IssueMethod = .fifo,
        autoGenerateBatchSize: Int = 1000,
        format: String? = nil,
        counterScope: CounterScope = .shared,
        counterSeries: String? = nil,
        uniqueness: Uniqueness = .product
    ) {
        self.code = code
        self.description = description
        self.tracking = tracking
        self.serialQuantity = serialQuantity
        self.tracksExpiry = tracksExpiry
        self.assignment = assignment
        self.issueMethod = issueMethod
        self.autoGenerateBatchSize = autoGenerateBatchSize
        self.format = format
        self.counterScope = counterScope
        self.counterSeries = counterSeries
        self.uniqueness = uniqueness
    }

    /// The parsed format, if the class has one.
    public func numberFormat() throws(RegistryError) -> NumberFormat? {
        try format.map { pattern throws(RegistryError) in try NumberFormat(pattern) }
    }

    /// Checks the class on its own (the registry checks it against the others when saving).
    public func validate() throws(RegistryError) {
        func fail(_ what: String) -> RegistryError {
            RegistryError(.invalidInput, "class \(code): \(what)")
        }
        try Identifier.validate(code, what: "class code")
        guard autoGenerateBatchSize >= 1 else {
            throw fail("auto-generate batch size must be at least 1, got \(autoGenerateBatchSize)")
        }
        if tracking == .none {
            guard format == nil else { throw fail("a class that does not track has no number format") }
            guard !tracksExpiry else { throw fail("a class that does not track cannot track expiry dates") }
            return
        }
        if let format = try numberFormat() {
            if tracking == .serial, !format.hasCounter {
                throw fail("a serial number format must have a counter ({counter:N}); \"\(format)\" has none")
            }
            if tracking == .lot, !format.hasCounter, !format.hasDate {
                throw fail("a lot number format needs a counter ({counter:N}) or a date ({yy}{MM}{dd} …): \"\(format)\" would only ever make one lot")
            }
        }
    }
}

/// A named, gapless sequence of numbers: document numbers, and the counters of number formats.
///
/// Every number below ``next`` is accounted for in the series' ledger as issued, reserved
/// (a block for pre-printed labels) or voided (skipped by moving the series forward, or skipped by
/// generation because the number existed).
public struct NumberSeries: Codable, Hashable, Sendable {
    public enum Purpose: String, Codable, Sendable {
        /// Numbers documents (receipts, issues, transfers…).
        case document
        /// Holds the counter of a lot/serial number format.
        case counter
    }

    public var code: String
    public var description: String
    /// How a number of the series is written (a ``NumberFormat`` with a counter), e.g. `RCT-{counter:6}`.
    public var format: String
    /// The first number the series issued or will issue.
    public var start: Int
    /// The next number the series will issue.
    public var next: Int
    /// Built-in series (the documents') can be edited but not deleted.
    public var builtIn: Bool
    public var purpose: Purpose

    public init(code: String, description: String = "", format: String = "{counter}", start: Int = 1,
                builtIn: Bool = false, purpose: Purpose = .document) {
        self.code = code
        self.description = description
        self.format = format
        self.start = start
        self.next = start
        self.builtIn = builtIn
        self.purpose = purpose
    }

    /// The series that number documents, created with the registry.
    public static let builtIns: [NumberSeries] = [
        .init(code: "RECEIPT", description: "Receipts from suppliers", format: "RCT-{counter:6}", builtIn: true),
        .init(code: "ISSUE", description: "Issues and sales to customers", format: "ISS-{counter:6}", builtIn: true),
        .init(code: "TRANSFER", description: "Transfers between warehouses", format: "TRF-{counter:6}", builtIn: true),
        .init(code: "PRODUCTION", description: "Production and assembly orders", format: "PRD-{counter:6}", builtIn: true),
        .init(code: "RETURN", description: "Customer returns", format: "RET-{counter:6}", builtIn: true),
        .init(code: "WRITEOFF", description: "Write-offs", format: "WO-{counter:6}", builtIn: true),
        .init(code: "SPLIT", description: "Lot splits", format: "SPL-{counter:6}", builtIn: true),
        .init(code: "ASSIGNMENT", description: "Numbers assigned to stock received without them", format: "ASG-{counter:6}", builtIn: true),
    ]
}

/// One line of a series' ledger: a range of numbers and what became of it.
public struct SeriesEntry: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case issued, reserved, voided
        /// A number issued (or reserved), then voided (`lot void`): still accounted for once, and
        /// counted as voided rather than issued.
        case retired
    }

    public var first: Int
    public var last: Int
    public var kind: Kind
    public var reason: String
    /// What the numbers went to: a document, a product's lots or serials, a block.
    public var reference: String
    public var createdAt: String
}

/// The numbers a caller took from a series, in order.
public struct TakenNumbers: Codable, Hashable, Sendable {
    public var series: String
    public var first: Int
    public var last: Int
    /// The numbers as the series' format writes them.
    public var numbers: [String]
}

/// Whether every number of a series is accounted for.
public struct SeriesAudit: Codable, Hashable, Sendable {
    public var series: String
    public var start: Int
    public var next: Int
    public var issued: Int
    public var reserved: Int
    public var voided: Int
    /// Ranges below `next` that no ledger entry accounts for (should always be empty).
    public var gaps: [ClosedRange<Int>]
    /// Ranges that more than one ledger entry claims (should always be empty).
    public var overlaps: [ClosedRange<Int>]

    public var isComplete: Bool { gaps.isEmpty && overlaps.isEmpty }
}

public import Foundation
public import GS1

/// What every stock document carries besides its lines.
public struct DocumentHeader: Codable, Hashable, Sendable {
    /// The document date (receipt, shipping, production date); default today (UTC).
    public var date: CalendarDate?
    /// Who posts it.
    public var user: String
    public var note: String

    public init(date: CalendarDate? = nil, user: String = "", note: String = "") {
        self.date = date
        self.user = user
        self.note = note
    }
}

/// Goods received from a supplier into a warehouse.
public struct Receipt: Codable, Hashable, Sendable {
    public var warehouse: String
    public var supplier: String?
    public var lines: [StockLine]
    /// Receiving goods that are already expired is refused unless this is set (returns, goods
    /// for destruction); such lots start quarantined.
    public var acceptExpired: Bool
    public var header: DocumentHeader

    public init(warehouse: String, supplier: String? = nil, lines: [StockLine], acceptExpired: Bool = false,
                header: DocumentHeader = .init()) {
        self.warehouse = warehouse
        self.supplier = supplier
        self.lines = lines
        self.acceptExpired = acceptExpired
        self.header = header
    }
}

/// Goods issued or sold to a customer from a warehouse.
public struct Issue: Codable, Hashable, Sendable {
    public var warehouse: String
    public var customer: String?
    public var lines: [StockLine]
    /// The least shelf life, in days on the document date, that this order accepts; `nil` takes the
    /// customer's own requirement.
    public var minimumShelfLifeDays: Int?
    /// Explicit overrides, recorded on each movement they allow.
    public var allowExpired: Bool
    public var allowQuarantined: Bool
    /// Lots affected by an open recall (under investigation, not yet held).
    public var allowRecalled: Bool
    public var header: DocumentHeader

    public init(warehouse: String, customer: String? = nil, lines: [StockLine], minimumShelfLifeDays: Int? = nil,
                allowExpired: Bool = false, allowQuarantined: Bool = false, allowRecalled: Bool = false, header: DocumentHeader = .init()) {
        self.warehouse = warehouse
        self.customer = customer
        self.lines = lines
        self.minimumShelfLifeDays = minimumShelfLifeDays
        self.allowExpired = allowExpired
        self.allowQuarantined = allowQuarantined
        self.allowRecalled = allowRecalled
        self.header = header
    }
}

/// Goods moved between warehouses, keeping their lot/serial identity.
public struct Transfer: Codable, Hashable, Sendable {
    public var from: String
    public var to: String
    public var lines: [StockLine]
    public var header: DocumentHeader

    public init(from: String, to: String, lines: [StockLine], header: DocumentHeader = .init()) {
        self.from = from
        self.to = to
        self.lines = lines
        self.header = header
    }
}

/// Production or assembly: consumes component lots/serials and produces finished ones.
public struct Production: Codable, Hashable, Sendable {
    public var warehouse: String
    public var inputs: [StockLine]
    /// Each output may name the inputs it consumed (``StockLine/inputs``); otherwise it is linked
    /// to every input.
    public var outputs: [StockLine]
    /// What making the outputs cost besides their inputs (work, energy, packaging not tracked),
    /// in the registry's currency: the outputs cost their inputs plus this, shared by quantity.
    public var addedCost: Decimal?
    /// An explicit override: inputs affected by an open recall (not yet held) may be consumed,
    /// recorded on each movement it allows (the outputs join the recall).
    public var allowRecalled: Bool
    public var header: DocumentHeader

    public init(warehouse: String, inputs: [StockLine], outputs: [StockLine], addedCost: Decimal? = nil, allowRecalled: Bool = false,
                header: DocumentHeader = .init()) {
        self.warehouse = warehouse
        self.inputs = inputs
        self.outputs = outputs
        self.addedCost = addedCost
        self.allowRecalled = allowRecalled
        self.header = header
    }
}

/// Goods coming back from a customer, with their lot/serial identity and history.
public struct CustomerReturn: Codable, Hashable, Sendable {
    public var warehouse: String
    public var customer: String
    public var lines: [StockLine]
    public var header: DocumentHeader

    public init(warehouse: String, customer: String, lines: [StockLine], header: DocumentHeader = .init()) {
        self.warehouse = warehouse
        self.customer = customer
        self.lines = lines
        self.header = header
    }
}

/// Stock taken out of the books: damaged, expired, or a correction.
public struct WriteOff: Codable, Hashable, Sendable {
    public enum Reason: String, Codable, Sendable, CaseIterable {
        case damaged, expired, correction, other
    }

    public var warehouse: String
    public var reason: Reason
    public var lines: [StockLine]
    public var header: DocumentHeader

    public init(warehouse: String, reason: Reason, lines: [StockLine], header: DocumentHeader = .init()) {
        self.warehouse = warehouse
        self.reason = reason
        self.lines = lines
        self.header = header
    }
}

public import Foundation
public import GS1

/// A document as posted: its number and every movement it wrote.
public struct PostedDocument: Codable, Hashable, Sendable {
    public struct Movement: Codable, Hashable, Sendable {
        public var line: Int
        public var product: String
        public var warehouse: String
        /// The lot or serial, or `nil` for stock without a number.
        public var number: String?
        /// Signed: positive into the warehouse, negative out of it.
        public var quantity: Decimal
        /// What it moved, at cost (signed like the quantity).
        public var value: Decimal
        /// An override that allowed it (expired, quarantined, unknown serial…).
        public var override: String?
    }

    public var kind: DocumentKind
    public var number: String
    public var date: CalendarDate
    public var movements: [Movement]
}

/// A posted document read back, as anyone reconciling it needs it: its header and every line.
public struct DocumentRecord: Codable, Hashable, Sendable {
    public var kind: DocumentKind
    public var number: String
    public var date: CalendarDate
    /// The supplier or customer.
    public var partner: String?
    public var partnerName: String?
    /// The warehouse (for a transfer, the one it left).
    public var warehouse: String?
    /// For a transfer: where it went.
    public var toWarehouse: String?
    /// For a write-off: why.
    public var reason: String
    public var user: String
    public var note: String
    /// When it was posted (UTC).
    public var postedAt: String
    /// Every movement, in the order it was written, with the product's unit.
    public var movements: [Line]

    public struct Line: Codable, Hashable, Sendable {
        /// The document line, from 1.
        public var line: Int
        public var product: String
        public var unit: String
        public var warehouse: String
        /// The lot or serial, or `nil` for stock without a number.
        public var number: String?
        /// Signed: positive into the warehouse, negative out of it.
        public var quantity: Decimal
        /// What it moved, at cost (signed like the quantity).
        public var value: Decimal
        public var override: String?
    }
}

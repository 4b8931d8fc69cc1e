public import Foundation
public import GS1

/// A document as posted: its number and every movement it wrote.
public struct PostedDocument: Codable, Hashable, Sendable {
    public struct Movement: Codable, Hashable, Sendable {
        /// The document line it is of, from 0 here; written out (JSON) from 1, as a document read
        /// back (`document show`, `GET /documents/{kind}/{number}`) and every message number it:
        /// a client matching a posting's answer to its read-back was one off (found by a QA run).
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

        public init(line: Int, product: String, warehouse: String, number: String?, quantity: Decimal, value: Decimal, override: String?) {
            self.line = line
            self.product = product
            self.warehouse = warehouse
            self.number = number
            self.quantity = quantity
            self.value = value
            self.override = override
        }

        private enum CodingKeys: String, CodingKey { case line, product, warehouse, number, quantity, value, override }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            line = try container.decode(Int.self, forKey: .line) - 1
            product = try container.decode(String.self, forKey: .product)
            warehouse = try container.decode(String.self, forKey: .warehouse)
            number = try container.decodeIfPresent(String.self, forKey: .number)
            quantity = try container.decode(Decimal.self, forKey: .quantity)
            value = try container.decode(Decimal.self, forKey: .value)
            override = try container.decodeIfPresent(String.self, forKey: .override)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(line + 1, forKey: .line)
            try container.encode(product, forKey: .product)
            try container.encode(warehouse, forKey: .warehouse)
            try container.encodeIfPresent(number, forKey: .number)
            try container.encode(quantity, forKey: .quantity)
            try container.encode(value, forKey: .value)
            try container.encodeIfPresent(override, forKey: .override)
        }
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

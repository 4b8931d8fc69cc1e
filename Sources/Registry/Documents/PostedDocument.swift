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
        /// An override that allowed it (expired, quarantined, unknown serial…).
        public var override: String?
    }

    public var kind: DocumentKind
    public var number: String
    public var date: CalendarDate
    public var movements: [Movement]
}

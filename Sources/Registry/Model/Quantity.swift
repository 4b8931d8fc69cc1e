public import Foundation

/// A quantity of stock: exact decimal, stored as an integer count of millionths.
public struct Quantity: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// Millionths of the unit.
    public let storage: Int
    public static let scale = 1_000_000

    public init(storage: Int) { self.storage = storage }

    /// Whole units.
    public init(_ units: Int) { self.storage = units * Self.scale }

    /// - Throws: when `value` has more than six decimals or is too large to store.
    public init(_ value: Decimal) throws(RegistryError) {
        guard let storage = Self.millionths(value) else {
            throw RegistryError(.invalidInput, Self.unstorable("quantity", value))
        }
        self.storage = storage
    }

    /// Why `value` cannot be stored: too many decimals, or too large.
    static func unstorable(_ what: String, _ value: Decimal) -> String {
        var scaled = value * Decimal(scale)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        return rounded != scaled ? "\(what) \(value) has more than 6 decimals" : "\(what) \(value) is too large to store"
    }

    /// `value` as an exact count of millionths, or `nil` when it has more than six decimals or
    /// does not fit 64 bits: how quantities and amounts of money are stored.
    static func millionths(_ value: Decimal) -> Int? {
        var scaled = value * Decimal(scale)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, let int = Int(exactly: NSDecimalNumber(decimal: rounded).int64Value), Decimal(int) == rounded else {
            return nil
        }
        return int
    }

    /// The exact value, built from digits and an exponent: Decimal's division took a tenth of a
    /// scan's resolution (it is on every quantity read).
    public var decimal: Decimal {
        var significand = storage, exponent = -6
        while exponent < 0, significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        return Decimal(sign: significand < 0 ? .minus : .plus, exponent: exponent, significand: Decimal(significand.magnitude))
    }

    public var description: String { decimal.description }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.storage < rhs.storage }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Decimal.self)
        try self.init(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }
}

public import Foundation

/// An amount of money in the registry's one currency: exact decimal, stored as an integer count
/// of millionths, like ``Quantity``. Stock values and unit costs are kept this way, so that a
/// value rebuilt from the ledger is a sum of integers and never drifts.
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// Millionths of the currency (the scale of ``Quantity``).
    public let storage: Int
    public static let zero = Money(storage: 0)

    public init(storage: Int) { self.storage = storage }

    /// - Throws: when `value` has more than six decimals or is too large to store.
    public init(_ value: Decimal, what: String = "amount") throws(RegistryError) {
        guard let storage = Quantity.millionths(value) else {
            throw RegistryError(.invalidInput, Quantity.unstorable(what, value))
        }
        self.storage = storage
    }

    public var decimal: Decimal { Quantity(storage: storage).decimal }
    public var description: String { decimal.description }
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.storage < rhs.storage }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(Decimal.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }

    /// The value of `quantity` (millionths of a unit) at `unitCost` (millionths of the currency per
    /// unit), in millionths of the currency, rounded half away from zero. Exact in 128 bits.
    static func value(of quantity: Int, at unitCost: Int) -> Int {
        divide(Int128(quantity) * Int128(unitCost), by: Int128(Quantity.scale))
    }

    /// The unit cost (millionths of the currency per unit) of `value` spread over `quantity`.
    static func unitCost(of value: Int, over quantity: Int) -> Int {
        guard quantity != 0 else { return 0 }
        return divide(Int128(value) * Int128(Quantity.scale), by: Int128(quantity))
    }

    /// `numerator × part / whole`, rounded: a share of a value by quantity.
    static func share(_ numerator: Int, part: Int, whole: Int) -> Int {
        guard whole != 0 else { return 0 }
        return divide(Int128(numerator) * Int128(part), by: Int128(whole))
    }

    private static func divide(_ numerator: Int128, by denominator: Int128) -> Int {
        let negative = (numerator < 0) != (denominator < 0)
        let (n, d) = (numerator.magnitude, denominator.magnitude)
        let rounded = (n + d / 2) / d
        let clamped = Int128(clamping: rounded)
        return Int(clamping: negative ? -clamped : clamped)
    }
}

/// A value spread over the movements of one line by their quantities, the last one taking what
/// rounding left, so that the movements add up to the line's value exactly.
struct ValueShare {
    private(set) var value: Int
    private(set) var quantity: Int

    init(value: Int, quantity: Int) {
        self.value = value
        self.quantity = quantity
    }

    mutating func take(_ amount: Int) -> Int {
        let part = amount >= quantity ? value : Money.share(value, part: amount, whole: quantity)
        value -= part
        quantity -= amount
        return part
    }
}

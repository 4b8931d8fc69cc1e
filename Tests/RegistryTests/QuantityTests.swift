import Foundation
import Registry
import Testing

@Suite struct QuantityTests {
    @Test(arguments: [0, 1, 10, 999_999, 1_000_000, 2_500_000, 5_000_000, 123_456_789, -1, -1_250_000, 7_000_000_000_000, Int.max, Int.min + 1])
    func aStoredQuantityReadsBackAsTheSameExactDecimal(storage: Int) throws {
        let quantity = Quantity(storage: storage)
        let divided = Decimal(storage) / Decimal(Quantity.scale)
        #expect(quantity.decimal == divided)
        #expect(quantity.description == divided.description)
        if storage != Int.max && storage != Int.min + 1 {
            #expect(try Quantity(quantity.decimal) == quantity)
        }
    }

    /// A quantity the registry cannot hold says which of the two it is.
    @Test func anUnstorableQuantitySaysWhy() {
        let small = #expect(throws: RegistryError.self) { _ = try Quantity(Decimal(string: "0.0000001")!) }
        #expect(small?.message == "quantity 0.0000001 has more than 6 decimals")
        let large = #expect(throws: RegistryError.self) { _ = try Quantity(Decimal(string: "100000000000000")!) }
        #expect(large?.message == "quantity 100000000000000 is too large to store")
    }

    @Test func wholeAndFractionalQuantitiesPrintWithoutTrailingZeros() {
        #expect(Quantity(storage: 5_000_000).description == "5")
        #expect(Quantity(storage: 2_500_000).description == "2.5")
        #expect(Quantity(storage: 1).description == "0.000001")
        #expect(Quantity(storage: -1_250_000).description == "-1.25")
    }
}

public import GS1

/// An article that the registry tracks (or deliberately does not).
public struct Product: Codable, Hashable, Sendable {
    /// The article number, unique.
    public var article: String
    /// The GTIN, normalised to 14 digits; unique when present.
    public var gtin: GTIN?
    public var description: String
    /// Unit of measure, e.g. `pcs`, `kg`, `roll`.
    public var unit: String
    /// The lot/serial class, or `nil` for a product that is not tracked.
    public var lotSerialClass: String?
    /// For classes with a counter per product: the first counter value and the last one allowed
    /// (`nil`: up to what the format holds). Keeps products' ranges apart (000000, 100000, …).
    public var counterStart: Int?
    public var counterEnd: Int?
    /// Whether an issue, transfer or write-off may name a serial that was never received
    /// (it is then created and flagged for investigation).
    public var allowsUnknownSerials: Bool
    /// How many decimals a quantity of it may have: 0 for whole units (pieces, cans, pallets),
    /// 3 for grams of a kilogram; `nil` for up to 6, what the registry stores. A product counted
    /// in pieces (``pieceUnits``) is added with 0 unless it says otherwise.
    public var decimals: Int?

    /// Units that count whole things: a product in one of them takes whole quantities unless
    /// its `decimals` say otherwise.
    public static let pieceUnits: Set<String> = ["pcs", "pc", "piece", "pieces", "ea", "each", "unit", "units", "st"]

    public init(
        article: String,
        gtin: GTIN? = nil,
        description: String = "",
        unit: String = "pcs",
        lotSerialClass: String? = nil,
        counterStart: Int? = nil,
        counterEnd: Int? = nil,
        allowsUnknownSerials: Bool = false,
        decimals: Int? = nil
    ) {
        self.article = article
        self.gtin = gtin
        self.description = description
        self.unit = unit
        self.lotSerialClass = lotSerialClass
        self.counterStart = counterStart
        self.counterEnd = counterEnd
        self.allowsUnknownSerials = allowsUnknownSerials
        self.decimals = decimals
    }

    func validate() throws(RegistryError) {
        try Identifier.validate(article, what: "article number")
        try Identifier.validate(unit, what: "unit of measure of \(article)")
        // A description is printed on labels, where a control character prints nothing readable
        // and a label with it is refused at every scan: refused once, here, where it is typed
        // (a bell character saved over HTTP blocked every receiving scan; found by a QA run).
        if let control = Identifier.lineBreakOrControl(in: description) {
            throw RegistryError(.invalidInput,
                "product \(article): the description \(description.debugDescription) contains U+\(String(control.value, radix: 16, uppercase: true)), a control character or line break: a description is one line of text, printed on labels")
        }
        if let start = counterStart, start < 0 {
            throw RegistryError(.invalidInput, "product \(article): counter start \(start) is negative")
        }
        if let end = counterEnd, end < (counterStart ?? 1) {
            throw RegistryError(.invalidInput, "product \(article): counter end \(end) is below its start \(counterStart ?? 1)")
        }
        if let decimals, !(0...6).contains(decimals) {
            throw RegistryError(.invalidInput, "product \(article): decimals \(decimals) is not from 0 to 6")
        }
    }

    /// The smallest quantity, in millionths, that `decimals` decimals can write (0: 1,000,000).
    static func step(decimals: Int) -> Int {
        var step = 1
        for _ in 0..<max(0, 6 - decimals) { step *= 10 }
        return step
    }

    /// Refuses a quantity (in millionths) with more decimals than the product takes, saying how
    /// it is counted: "PUMP-200 is counted in whole pcs, not 1.5".
    public func checkDecimals(_ storage: Int) throws(RegistryError) {
        guard let decimals, storage % Self.step(decimals: decimals) != 0 else { return }
        let how = decimals == 0 ? "whole \(unit)" : "\(unit) with at most \(decimals) decimal\(decimals == 1 ? "" : "s")"
        throw RegistryError(.invalidInput, "\(article) is counted in \(how), not \(Quantity(storage: storage).decimal)")
    }
}

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

    public init(
        article: String,
        gtin: GTIN? = nil,
        description: String = "",
        unit: String = "pcs",
        lotSerialClass: String? = nil,
        counterStart: Int? = nil,
        counterEnd: Int? = nil,
        allowsUnknownSerials: Bool = false
    ) {
        self.article = article
        self.gtin = gtin
        self.description = description
        self.unit = unit
        self.lotSerialClass = lotSerialClass
        self.counterStart = counterStart
        self.counterEnd = counterEnd
        self.allowsUnknownSerials = allowsUnknownSerials
    }

    func validate() throws(RegistryError) {
        try Identifier.validate(article, what: "article number")
        try Identifier.validate(unit, what: "unit of measure of \(article)")
        if let start = counterStart, start < 0 {
            throw RegistryError(.invalidInput, "product \(article): counter start \(start) is negative")
        }
        if let end = counterEnd, end < (counterStart ?? 1) {
            throw RegistryError(.invalidInput, "product \(article): counter end \(end) is below its start \(counterStart ?? 1)")
        }
    }
}

public import Foundation
public import GS1

/// One line of a stock document: a product, a quantity, and the lots or serials it moves.
public struct StockLine: Codable, Hashable, Sendable {
    /// A lot or serial named on a line, with the quantity it moves (a unique serial moves 1).
    public struct Pick: Codable, Hashable, Sendable {
        public var number: String
        public var quantity: Decimal?
        /// For numbers received for the first time.
        public var expiry: CalendarDate?
        public var production: CalendarDate?
        public var attributes: [Attribute]

        public init(number: String, quantity: Decimal? = nil, expiry: CalendarDate? = nil,
                    production: CalendarDate? = nil, attributes: [Attribute] = []) {
            self.number = number.trimmingSpaces
            self.quantity = quantity
            self.expiry = expiry
            self.production = production
            self.attributes = attributes
        }

        /// Only `number` is required; the number is trimmed as everywhere else.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(number: try container.decode(String.self, forKey: .number),
                      quantity: try container.decodeIfPresent(Decimal.self, forKey: .quantity),
                      expiry: try container.decodeIfPresent(CalendarDate.self, forKey: .expiry),
                      production: try container.decodeIfPresent(CalendarDate.self, forKey: .production),
                      attributes: try container.decodeIfPresent([Attribute].self, forKey: .attributes) ?? [])
        }
    }

    public var product: String
    /// The line's quantity; may be left out when the picks give theirs.
    public var quantity: Decimal?
    /// Lots or serials named by the user (typed, scanned). Empty: the registry chooses (issue)
    /// or generates (receipt) them per the product's class.
    public var picks: [Pick]
    /// For numbers generated on receipt or production.
    public var expiry: CalendarDate?
    public var production: CalendarDate?
    /// Production outputs: the input lines (indexes, from 0) this output consumed. `nil` links the
    /// output to every input of the document.
    public var inputs: [Int]?
    /// Receipts: what one unit of the product cost (in the registry's currency). Every other
    /// document values its goods at the cost of the lots and serials it moves.
    public var unitCost: Decimal?

    public init(product: String, quantity: Decimal? = nil, picks: [Pick] = [], expiry: CalendarDate? = nil,
                production: CalendarDate? = nil, inputs: [Int]? = nil, unitCost: Decimal? = nil) {
        self.product = product
        self.quantity = quantity
        self.picks = picks
        self.expiry = expiry
        self.production = production
        self.inputs = inputs
        self.unitCost = unitCost
    }

    /// Only `product` is required: `picks` may be left out (the registry chooses or generates).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(product: try container.decode(String.self, forKey: .product),
                  quantity: try container.decodeIfPresent(Decimal.self, forKey: .quantity),
                  picks: try container.decodeIfPresent([Pick].self, forKey: .picks) ?? [],
                  expiry: try container.decodeIfPresent(CalendarDate.self, forKey: .expiry),
                  production: try container.decodeIfPresent(CalendarDate.self, forKey: .production),
                  inputs: try container.decodeIfPresent([Int].self, forKey: .inputs),
                  unitCost: try container.decodeIfPresent(Decimal.self, forKey: .unitCost))
    }

    /// A line naming serials, one unit each.
    public static func serials(_ product: String, _ numbers: [String]) -> StockLine {
        StockLine(product: product, picks: numbers.map { Pick(number: $0) })
    }
}

extension StockLine {
    /// The positions (from 0) of the `lines` a refusal's `message` is about: those with a lot or
    /// serial it names, else the first line of a product it names; empty when it names none.
    /// Clients that sent the lines (the HTTP API, a JSON file) say where the refusal points.
    public static func positions(namedIn message: String, _ lines: [StockLine]) -> [Int] {
        var hits = lines.indices.filter { index in lines[index].picks.contains { Self.message(message, names: $0.number) } }
        if hits.isEmpty, let first = lines.indices.first(where: { Self.message(message, names: lines[$0].product) }) { hits = [first] }
        return hits
    }

    /// Whether `message` names `word` standing alone: not inside a longer number (L-1 in L-10).
    static func message(_ message: String, names word: String) -> Bool {
        guard !word.isEmpty else { return false }
        var search = message.startIndex..<message.endIndex
        while let found = message.range(of: word, range: search) {
            let before = found.lowerBound == message.startIndex ? nil : message[message.index(before: found.lowerBound)]
            let after = found.upperBound == message.endIndex ? nil : message[found.upperBound]
            func apart(_ c: Character?) -> Bool { c.map { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } ?? true }
            if apart(before), apart(after) || after == "." || after == ":" { return true }
            search = found.upperBound..<message.endIndex
        }
        return false
    }
}

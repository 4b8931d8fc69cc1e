/// A block of numbers reserved ahead of use (pre-printed labels, a line that prints offline).
public struct NumberBlock: Codable, Hashable, Sendable {
    public var id: Int
    public var product: String
    public var series: String
    public var firstCounter: Int
    public var lastCounter: Int
    public var purpose: String
    public var createdAt: String
    /// The reserved numbers, in order.
    public var numbers: [String]
}

/// What became of the numbers of a block.
public struct NumberBlockReport: Codable, Hashable, Sendable {
    public var block: NumberBlock
    /// Registered as lots or serials.
    public var used: [String]
    /// Voided (a damaged label): never to be used.
    public var voided: [String]
    /// Neither: still free to be used.
    public var open: [String]
}

/// Numbers generated for a product, registered as lots or serials in one transaction.
public struct GeneratedNumbers: Codable, Hashable, Sendable {
    public var product: String
    public var series: String
    public var numbers: [String]
    /// Counter values skipped because their number already existed or was retired (voided in the series).
    public var skipped: [String]
}

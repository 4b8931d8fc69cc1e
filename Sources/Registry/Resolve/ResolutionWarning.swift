/// Something about a scanned code that an operator must see before the goods move. A warning is
/// an outcome, not an error: the resolution is still complete.
public struct ResolutionWarning: Codable, Hashable, Sendable, CustomStringConvertible {
    /// What kind of warning; the order of the cases is the order of severity.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// Blocked (recall): must not be used or shipped.
        case blocked
        /// Affected by a recall that is not closed: open (under investigation, not to be used or
        /// shipped until it is decided) or held.
        case recalled
        /// Past its expiry date.
        case expired
        /// In quarantine: not to be used until released.
        case quarantined
        /// The registry does not know the product (GTIN or article).
        case unknownProduct
        /// The product is known, the lot or serial is not: a receiving station can register it.
        case unknownLotSerial
        /// The number was voided or retired and must not come back.
        case retiredNumber
        /// The lot or serial has no stock (shipped, consumed, written off), or none in this warehouse.
        case notInStock
        /// Created at transaction time without a receipt; someone must find out where it came from.
        case flaggedForInvestigation
        /// The expiry in the barcode is not the registry's.
        case expiryMismatch
        /// The lot in the barcode is not the one the registry recorded for the serial.
        case lotMismatch
        /// Another lot comes first by the class's issue method in the same warehouse: wrong pick.
        case betterLotAvailable
        /// Expires within the configured number of days.
        case expiresSoon
        /// The code matches several records.
        case ambiguous
        /// The scan breaks a GS1 rule (read by a lenient parser).
        case scanRuleBroken
        /// The code is valid but names something the registry does not track (an SSCC).
        case notTracked
    }

    public var kind: Kind
    /// A sentence for the operator that names the lot/serial, the dates and what to do.
    public var message: String
    /// The other lot or serial the warning is about: for ``Kind/betterLotAvailable``, the one
    /// that goes first (a production line checks it can cover a unit).
    public var other: String?

    public init(_ kind: Kind, _ message: String, other: String? = nil) {
        self.kind = kind
        self.message = message
        self.other = other
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

extension ResolutionWarning.Kind {
    /// The place of this kind in the order of severity (0 most serious), looked up, not searched.
    var severity: Int { Self.severities[self]! }

    private static let severities = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}

public import Labels

/// What a station is: its kind, where its goods are, and what it prints.
public struct StationConfiguration: Sendable {
    /// What a station does with a scan.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Resolves and shows; no side effects.
        case lookup
        /// Adds supplier labels to the station's open receipt and prints the internal label.
        case receiving
        /// A production line (not built yet: refused at start).
        case production
        /// Picks goods for a customer's issue, checking each scan against what may go to them.
        case picking

        /// Whether this build runs stations of this kind.
        public var isAvailable: Bool { self != .production }
    }

    public var name: String
    public var kind: Kind
    /// The warehouse its stock is about (receiving: where goods are received).
    public var warehouse: String?
    /// The printer its labels go to, and the template they are filled into.
    public var printer: String?
    public var template: Template?
    /// Receiving: the supplier of the station's receipts.
    public var supplier: String?
    /// Warn when the expiry is this many days away or fewer.
    public var expiryWarningDays: Int
    /// Read legacy labels that break GS1 rules, reporting each broken rule as a warning.
    public var lenient: Bool

    public init(name: String, kind: Kind, warehouse: String? = nil, printer: String? = nil, template: Template? = nil,
                supplier: String? = nil, expiryWarningDays: Int = 30, lenient: Bool = false) {
        self.name = name
        self.kind = kind
        self.warehouse = warehouse
        self.printer = printer
        self.template = template
        self.supplier = supplier
        self.expiryWarningDays = expiryWarningDays
        self.lenient = lenient
    }
}

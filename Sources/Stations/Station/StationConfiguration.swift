public import Labels
import GS1

/// What a station is: its kind, where its goods are, and what it prints.
public struct StationConfiguration: Sendable {
    /// What a station does with a scan.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Resolves and shows; no side effects.
        case lookup
        /// Adds supplier labels to the station's open receipt and prints the internal label.
        case receiving
        /// A production line: runs print a label per unit; the line's verify scanner reads each
        /// one, and a verified unit is posted as produced, with genealogy to the component lots.
        case production
        /// Picks goods for a customer's issue, checking each scan against what may go to them.
        case picking
    }

    public var name: String
    public var kind: Kind
    /// The warehouse its stock is about (receiving: where goods are received).
    public var warehouse: String?
    /// The printer its labels go to, and the template they are filled into.
    public var printer: String?
    public var template: Template?
    /// How long the first barcode of a label split over two (a long lot) waits for the second,
    /// in seconds; a production line's verify scanner raises `label-part-only` when it passes.
    public var partWindow: Double = 60
    /// The name the template was configured by (its path in the templates folder, as the
    /// template routes and `tracemark print --template` take it); the template's own `name` is
    /// its title.
    public var templateName: String?
    /// Receiving: the supplier of the station's receipts.
    public var supplier: String?
    /// Warn when the expiry is this many days away or fewer.
    public var expiryWarningDays: Int
    /// Read legacy labels that break GS1 rules, reporting each broken rule as a warning.
    public var lenient: Bool
    /// Picking: the SSCC pallet label printed when an issue posts, if any.
    public var palletLabel: PalletLabel?
    /// Production: what the verify scanner sends when a label does not read.
    public var noRead: String
    /// What the station's keyboard-wedge scanners send for GS, where they cannot send Ctrl+]
    /// (the web page turns it back into GS).
    public var gsSubstitute: String?
    /// Production: what happens to a unit whose label does not read or reads wrong.
    public var onFailedVerify: FailedVerifyPolicy

    /// A picking station's SSCC pallet label: each posted issue takes the next number of a named
    /// series as the SSCC's serial reference (extension digit + company prefix + serial reference +
    /// check digit, 18 digits), in the transaction, and queues the label on the station's
    /// printer.
    public struct PalletLabel: Sendable {
        /// The named number series the serial references come from (gapless, never reused).
        public var series: String
        /// The GS1 company prefix, 7 to 10 digits.
        public var companyPrefix: String
        /// The extension digit, 0–9.
        public var extensionDigit: Int
        /// The sender's name printed on the label.
        public var sender: String
        /// The label of a pallet of one product and one lot (or serials of one product), with its
        /// content and lot; and the label of any other pallet, with the SSCC alone.
        public var template: Template
        public var mixedTemplate: Template

        public init(series: String, companyPrefix: String, extensionDigit: Int = 0, sender: String, template: Template,
                    mixedTemplate: Template) {
            self.series = series
            self.companyPrefix = companyPrefix
            self.extensionDigit = extensionDigit
            self.sender = sender
            self.template = template
            self.mixedTemplate = mixedTemplate
        }

        /// The SSCC with serial reference `reference`; nil when it does not fit in the digits the
        /// company prefix leaves.
        public func sscc(_ reference: Int) -> String? {
            let width = 16 - companyPrefix.count
            let text = String(reference)
            guard reference >= 0, text.count <= width else { return nil }
            let payload = "\(extensionDigit)\(companyPrefix)" + String(repeating: "0", count: width - text.count) + text
            return payload + "\(CheckDigit.compute(Array(payload.utf8)))"
        }
    }

    /// What a production line does when its verify scanner cannot read a unit's label, besides
    /// raising the alarm.
    public enum FailedVerifyPolicy: String, Sendable, CaseIterable, Codable {
        /// Print the same number's label again, to be put on the unit and verified.
        case reprint
        /// Void the number (never issued again) and print a new number in its place.
        case void
        /// Only raise the alarm: the operator decides (reprint, or void, by hand).
        case alarm
    }

    public init(name: String, kind: Kind, warehouse: String? = nil, printer: String? = nil, template: Template? = nil,
                supplier: String? = nil, expiryWarningDays: Int = 30, lenient: Bool = false, noRead: String = "NOREAD",
                onFailedVerify: FailedVerifyPolicy = .reprint, palletLabel: PalletLabel? = nil, gsSubstitute: String? = nil,
                templateName: String? = nil) {
        self.templateName = templateName
        self.palletLabel = palletLabel
        self.gsSubstitute = gsSubstitute
        self.noRead = noRead
        self.onFailedVerify = onFailedVerify
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

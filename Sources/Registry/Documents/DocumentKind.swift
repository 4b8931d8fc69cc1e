/// The kinds of stock documents, each numbered from its built-in series.
public enum DocumentKind: String, Codable, Sendable, CaseIterable {
    case receipt, issue, transfer, production, `return`, writeOff = "write-off", split
    /// Stock received without numbers, numbered in place (`tracemark assign`).
    case assignment

    /// The series that numbers documents of this kind.
    public var series: String {
        switch self {
        case .receipt: "RECEIPT"
        case .issue: "ISSUE"
        case .transfer: "TRANSFER"
        case .production: "PRODUCTION"
        case .return: "RETURN"
        case .writeOff: "WRITEOFF"
        case .split: "SPLIT"
        case .assignment: "ASSIGNMENT"
        }
    }
}

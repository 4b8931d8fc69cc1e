/// A supplier or customer (or both), named on receipts, issues and returns.
public struct Partner: Codable, Hashable, Sendable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        case supplier, customer, both
    }

    public var code: String
    public var name: String
    public var role: Role
    /// The least shelf life (in days) this customer accepts on the shipping date, if any.
    public var minimumShelfLifeDays: Int?

    public init(code: String, name: String = "", role: Role, minimumShelfLifeDays: Int? = nil) {
        self.code = code
        self.name = name
        self.role = role
        self.minimumShelfLifeDays = minimumShelfLifeDays
    }
}

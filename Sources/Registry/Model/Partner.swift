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
    /// Whom to call about a delivery (a recall's exposure list shows these).
    public var contact: String?
    public var email: String?
    public var phone: String?

    public init(code: String, name: String = "", role: Role, minimumShelfLifeDays: Int? = nil, contact: String? = nil,
                email: String? = nil, phone: String? = nil) {
        self.contact = contact
        self.email = email
        self.phone = phone
        self.code = code
        self.name = name
        self.role = role
        self.minimumShelfLifeDays = minimumShelfLifeDays
    }
}

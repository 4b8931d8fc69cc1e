/// A place that holds stock.
public struct Warehouse: Codable, Hashable, Sendable {
    public var code: String
    public var name: String

    public init(code: String, name: String = "") {
        self.code = code
        self.name = name
    }
}

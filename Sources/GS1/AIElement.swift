/// One element of GS1 data: an Application Identifier and its value, e.g. `(17)270131`.
public struct AIElement: Hashable, Sendable, CustomStringConvertible {
    /// The AI, e.g. `17`.
    public let ai: String
    /// The value, e.g. `270131`.
    public let value: String

    /// An element; nothing is validated until it is built or parsed.
    public init(ai: String, value: String) {
        self.ai = ai
        self.value = value
    }

    /// The bracketed form, `(17)270131`.
    public var description: String { "(\(ai))\(value)" }
}

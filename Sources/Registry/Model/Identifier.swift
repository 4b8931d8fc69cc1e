/// Rules for the short codes that name things (classes, series, warehouses, partners, articles).
enum Identifier {
    /// A code is 1 to 64 printable characters without leading or trailing spaces or control characters.
    static func validate(_ code: String, what: String) throws(RegistryError) {
        guard !code.isEmpty else { throw RegistryError(.invalidInput, "\(what) is empty") }
        guard code.count <= 64 else { throw RegistryError(.invalidInput, "\(what) \"\(code.prefix(20))…\" is longer than 64 characters") }
        guard code.trimmingSpaces == code else {
            throw RegistryError(.invalidInput, "\(what) \"\(code)\" has leading or trailing spaces")
        }
        if code.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw RegistryError(.invalidInput, "\(what) \(code.debugDescription) contains a control character")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}

/// Rules for the short codes that name things (classes, series, warehouses, partners, articles).
enum Identifier {
    /// The first character of `text` that keeps it from being one line of text: a control
    /// character, a line or a paragraph separator; nil when there is none. Descriptions and text
    /// attributes are shown, printed and exported on one line.
    static func lineBreakOrControl(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { [.control, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) }
    }

    /// The most characters a code or a number has.
    static let maximumLength = 64

    /// A code is 1 to 64 printable characters without leading or trailing spaces or control characters.
    static func validate(_ code: String, what: String) throws(RegistryError) {
        guard !code.isEmpty else { throw RegistryError(.invalidInput, "\(what) is empty") }
        guard code.count <= maximumLength else {
            throw RegistryError(.invalidInput, "\(what) \"\(code.prefix(20))…\" is longer than \(maximumLength) characters")
        }
        guard code.trimmingSpaces == code else {
            throw RegistryError(.invalidInput, "\(what) \"\(code)\" has leading or trailing spaces")
        }
        if code.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw RegistryError(.invalidInput, "\(what) \(code.debugDescription) contains a control character")
        }
        // Invisible characters (a right-to-left override, a zero-width space, a byte order mark, a
        // line separator) make a number that reads on screen and on a label as another one:
        // "LOT1" and "LOT1" + U+200B would be two lots nobody can tell apart.
        if let hidden = code.unicodeScalars.first(where: {
            [.format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate].contains($0.properties.generalCategory)
        }) {
            throw RegistryError(.invalidInput,
                "\(what) \(code.debugDescription) contains U+\(String(hidden.value, radix: 16, uppercase: true)), a character that does not show: type it without")
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

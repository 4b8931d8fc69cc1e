/// GS1 element strings ready for a barcode encoder or a label: the AIs in encoding order with the
/// forms encoders and people need.
public struct ElementString: Hashable, Sendable {
    /// The AIs in encoding order.
    public let elements: [AIElement]

    /// Elements in the given order (no reordering).
    init(ordered elements: [AIElement]) {
        self.elements = elements
    }

    /// Whether an FNC1 separator must follow element `index` in the encoded data: after every AI
    /// whose prefix has no predefined length, except the last.
    public func needsSeparator(after index: Int) -> Bool {
        index < elements.count - 1 && Self.needsSeparator(elements[index].ai)
    }

    static func needsSeparator(_ ai: String) -> Bool {
        let bytes = Array(ai.utf8)
        guard bytes.count >= 2, isDigit(bytes[0]), isDigit(bytes[1]) else { return true }
        return PredefinedLength.valueLength(prefix: Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48)) == nil
    }

    /// The bracketed form `(01)09501101530003(10)ABC123`, the input of most label printers' GS1
    /// modes (ZPL `^BC…,D`, zint `--gs1` with brackets); a `(` inside a value is written `\(`.
    public var bracketed: String { Self.bracketed(elements) }

    /// The bracketed form of `elements` as they are, unchecked and in their order: AIs read
    /// from two scans of one label and put together.
    public static func bracketed(_ elements: [AIElement]) -> String {
        var text = ""
        for element in elements {
            text += "(\(element.ai))"
            for character in element.value {
                if character == "(" { text += "\\" }
                text.append(character)
            }
        }
        return text
    }

    /// The data as it is encoded, with the GS character (ASCII 29) for each FNC1 separator and no
    /// leading FNC1: exactly what a scanner sends after the symbology identifier.
    public var raw: String { joined(separator: "\u{1D}") }

    /// The data with `^` for FNC1, including the leading one (`^0109501101530003^10ABC123` style
    /// with `^` only where a separator is needed): the convention of zint, BWIPP and the GS1
    /// Syntax Engine.
    public var caretForm: String { "^" + joined(separator: "^") }

    /// The data with `separator` where an FNC1 separator goes.
    public func joined(separator: String) -> String {
        var text = ""
        for (index, element) in elements.enumerated() {
            text += element.ai
            text += element.value
            if needsSeparator(after: index) { text += separator }
        }
        return text
    }

    /// The human-readable interpretation, one `(AI) value` per element: `["(01) 09501101530003", …]`.
    public var hri: [String] { elements.map { "(\($0.ai)) \($0.value)" } }

    /// The text printed under a linear barcode: `(01)09501101530003(17)270131(10)ABC123`.
    public var hriText: String {
        elements.map { "(\($0.ai))\($0.value)" }.joined()
    }
}

/// JSON text written by hand: strings quoted and escaped per RFC 8259. Statements that take a JSON
/// parameter (Store, Registry) and a label's data (Labels) write their strings with it.
public enum JSONText {
    /// `text` as a JSON string, in quotes.
    public static func quoted(_ text: String) -> String {
        var json = ""
        append(text, to: &json)
        return json
    }

    /// Appends `text` to `json` as a JSON string, in quotes.
    public static func append(_ text: String, to json: inout String) {
        json += "\""
        var plain = true
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            json += text
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case "\n": json += "\\n"
                case "\r": json += "\\r"
                case "\t": json += "\\t"
                case let control where control.value < 0x20:
                    let hex = String(control.value, radix: 16)
                    json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: json.unicodeScalars.append(scalar)
                }
            }
        }
        json += "\""
    }
}

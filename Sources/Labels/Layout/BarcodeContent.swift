import GS1

/// What a barcode encodes, checked for its symbology: plain text, or GS1 element strings built
/// (validated and ordered) by the GS1 target.
enum BarcodeContent: Hashable, Sendable {
    case text(String)
    case gs1(ElementString)

    /// The human-readable text printed under a linear barcode.
    var humanReadable: String {
        switch self {
        case .text(let text): text
        case .gs1(let elements): elements.elements.map { "(\($0.ai)) \($0.value)" }.joined(separator: " ")
        }
    }

    /// Checks `data` for `symbology`, completing EAN/UPC/ITF check digits, and rejecting what a
    /// printer would change silently (lowercase in Code 39, which zint and printers upper-case).
    static func plain(_ data: String, for symbology: Symbology) throws(LabelError) -> BarcodeContent {
        func digits(_ lengths: [Int], _ name: String) throws(LabelError) -> String {
            let bytes = Array(data.utf8)
            guard bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }), let full = lengths.max(), lengths.contains(bytes.count) else {
                throw LabelError(.unencodable, "\(name) takes \(lengths.map(String.init).joined(separator: " or ")) digits, not '\(data)'")
            }
            if bytes.count == full {
                let expected = CheckDigit.compute(bytes.dropLast())
                guard bytes.last! - 48 == expected else {
                    throw LabelError(.unencodable, "\(name) '\(data)' has check digit \(bytes.last! - 48), should be \(expected)")
                }
                return data
            }
            return data + String(CheckDigit.compute(bytes))
        }
        switch symbology {
        case .ean13: return .text(try digits([12, 13], "EAN-13"))
        case .upcA: return .text(try digits([11, 12], "UPC-A"))
        case .itf14: return .text(try digits([13, 14], "ITF-14"))
        case .code39:
            let allowed = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")
            guard !data.isEmpty, data.allSatisfy({ allowed.contains($0) }) else {
                throw LabelError(.unencodable, "Code 39 takes 0-9, A-Z (upper case), space and - . $ / + %, not '\(data)'")
            }
            return .text(data)
        case .code128:
            guard !data.isEmpty, data.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) else {
                throw LabelError(.unencodable, "Code 128 takes printable ASCII text, not '\(data)'")
            }
            return .text(data)
        default:
            guard !data.isEmpty else { throw LabelError(.unencodable, "\(symbology.rawValue) has no data") }
            return .text(data)
        }
    }
}

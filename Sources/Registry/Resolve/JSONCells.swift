/// A JSON value as the resolve statement builds them: arrays of text, numbers and null
/// (`json_group_array`, `json_array`, `json_agg`); an object is refused, as the statement builds
/// none. Read by a small parser of its own because a resolution reads up to eight of them on
/// every scan, and Foundation's `JSONSerialization` (boxed `Any` values, `NSNumber`s, dynamic
/// casts) cost a tenth of a resolution.
enum JSONCell: Equatable {
    case null
    case bool(Bool)
    /// An integer, or a number with a fraction or exponent kept as its text.
    case number(Int?, text: String)
    case text(String)
    case list([JSONCell])
}

extension JSONCell {
    struct Malformed: Error {
        /// The byte offset where reading stopped.
        let offset: Int
    }

    /// Reads one JSON value filling the whole of `text` (blanks around it allowed).
    init(parsing text: String) throws(Malformed) {
        var text = text
        let result: Result<JSONCell, Malformed> = text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            do throws(Malformed) {
                let value = try reader.value(depth: 0)
                reader.skipBlanks()
                guard reader.position == bytes.count else { throw Malformed(offset: reader.position) }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// The text of a text cell; nil for anything else.
    var text: String? {
        if case .text(let value) = self { value } else { nil }
    }

    /// The integer of a number cell (`5`, or a whole `5.0`), or of a text cell holding one.
    var integer: Int? {
        switch self {
        case .number(let value?, _): value
        case .number(nil, let text): Double(text).flatMap { $0.rounded() == $0 ? Int(exactly: $0) : nil }
        case .text(let value): Int(value)
        default: nil
        }
    }

    var list: [JSONCell]? {
        if case .list(let cells) = self { cells } else { nil }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        /// Deeper than any statement builds, shallow enough that no input exhausts the stack.
        static let maximumDepth = 64

        mutating func skipBlanks() {
            while position < bytes.count {
                let byte = bytes[position]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
                position += 1
            }
        }

        mutating func value(depth: Int) throws(Malformed) -> JSONCell {
            guard depth < Self.maximumDepth else { throw Malformed(offset: position) }
            skipBlanks()
            guard position < bytes.count else { throw Malformed(offset: position) }
            switch bytes[position] {
            case UInt8(ascii: "["):
                position += 1
                var cells: [JSONCell] = []
                skipBlanks()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .list(cells)
                }
                while true {
                    cells.append(try value(depth: depth + 1))
                    skipBlanks()
                    guard position < bytes.count else { throw Malformed(offset: position) }
                    let byte = bytes[position]
                    position += 1
                    if byte == UInt8(ascii: "]") { return .list(cells) }
                    guard byte == UInt8(ascii: ",") else { throw Malformed(offset: position - 1) }
                }
            case UInt8(ascii: "\""):
                return .text(try string())
            case UInt8(ascii: "n"):
                try word("null")
                return .null
            case UInt8(ascii: "t"):
                try word("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try word("false")
                return .bool(false)
            default:
                return try number()
            }
        }

        private mutating func word(_ expected: StaticString) throws(Malformed) {
            let count = expected.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw Malformed(offset: position) }
            for index in 0..<count where bytes[position + index] != expected.utf8Start[index] {
                throw Malformed(offset: position + index)
            }
            position += count
        }

        /// A number as JSON writes it: `-`? digits (`.` digits)? (`e` sign? digits)?
        private mutating func number() throws(Malformed) -> JSONCell {
            let start = position
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digits = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
            guard position > digits else { throw Malformed(offset: position) }
            var integral = true
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                integral = false
                position += 1
                let fraction = position
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                guard position > fraction else { throw Malformed(offset: position) }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                integral = false
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                let exponent = position
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                guard position > exponent else { throw Malformed(offset: position) }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            return .number(integral ? Int(text) : nil, text: text)
        }

        /// A string from its opening quote; plain runs are copied whole, escapes decoded.
        private mutating func string() throws(Malformed) -> String {
            position += 1
            var result = ""
            var run = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    result += String(decoding: UnsafeBufferPointer(rebasing: bytes[run..<position]), as: UTF8.self)
                    position += 1
                    return result
                }
                guard byte >= 0x20 else { throw Malformed(offset: position) }
                guard byte == UInt8(ascii: "\\") else {
                    position += 1
                    continue
                }
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[run..<position]), as: UTF8.self)
                position += 1
                guard position < bytes.count else { throw Malformed(offset: position) }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""): result += "\""
                case UInt8(ascii: "\\"): result += "\\"
                case UInt8(ascii: "/"): result += "/"
                case UInt8(ascii: "b"): result += "\u{08}"
                case UInt8(ascii: "f"): result += "\u{0C}"
                case UInt8(ascii: "n"): result += "\n"
                case UInt8(ascii: "r"): result += "\r"
                case UInt8(ascii: "t"): result += "\t"
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        else { throw Malformed(offset: position) }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Malformed(offset: position - 4) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Malformed(offset: position - 4) }
                    result.unicodeScalars.append(unicode)
                default:
                    throw Malformed(offset: position - 1)
                }
                run = position
            }
            throw Malformed(offset: position)
        }

        private mutating func hex4() throws(Malformed) -> UInt32 {
            guard position + 4 <= bytes.count else { throw Malformed(offset: position) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8 = switch byte {
                case 0x30...0x39: byte - 0x30
                case 0x41...0x46: byte - 0x41 + 10
                case 0x61...0x66: byte - 0x61 + 10
                default: throw Malformed(offset: position)
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }
    }
}

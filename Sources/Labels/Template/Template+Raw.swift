import Foundation
import Problems

extension Template {
    /// Fills a raw `.zpl` or `.epl` template with `data`, escaping every value for the language.
    ///
    /// ZPL: a value inside a `^FD` field is hex-escaped with that field's `^FH` character; a field
    /// without `^FH` gets `^FH\` inserted before its `^FD`. Elsewhere (e.g. `^PQ{{copies}}`) a value
    /// may hold only letters, digits, `.`, `-` and spaces, and any other is refused with the
    /// placeholder's line. EPL: inside quotes `"` and `\` are escaped; elsewhere the same
    /// letters-and-digits rule applies. Line breaks in values inside fields become spaces.
    ///
    /// A value in a barcode field is escaped for the barcode command too, so that it stays data:
    /// in `^BC` (modes N and A) `>` becomes `>0`, which prints `>` where a bare `>` would start an
    /// invocation (`>:` switches subset, `>8` is FNC1); in `^BX` with an escape character that
    /// character is doubled, so a value's `_1` is not FNC1.
    public func renderRaw(_ data: LabelData) throws(LabelError) -> String {
        try fillRaw(data).text
    }

    /// A filled raw template, and where each value went: what ``LabelVerifier/verify(rawZPL:placed:)``
    /// needs to check that every barcode carries the values put in it.
    public struct RawFill: Sendable {
        public var text: String
        public var placed: [RawPlacement]
    }

    /// Fills a raw template like ``renderRaw(_:)`` and says where each value was put.
    public func fillRaw(_ data: LabelData) throws(LabelError) -> RawFill {
        guard let raw else { throw LabelError(.unsupported, "\(name) is not a raw template", file: file) }
        var out = ""
        var placed: [RawPlacement] = []
        for part in raw.parts {
            switch part {
            case .text(let text):
                out += text
            case .field(let field, let line):
                let value: String
                do {
                    value = try field.render(data, formats: formats).composed
                } catch {
                    throw error.located(file: file, line: line, element: "placeholder \(field.source)")
                }
                // Outside a field's data a value is a command's parameter (`^PQ{{copies}}`): one
                // that is not a plain word is refused, not trimmed into another number.
                func plainOnly() throws(LabelError) -> String {
                    guard let dropped = value.unicodeScalars.first(where: { !Self.isPlain($0) }) else { return value }
                    let code = "U+" + String(dropped.value, radix: 16, uppercase: true)
                    let what = dropped == "\n" || dropped == "\r" ? "a line break"
                        : dropped.properties.generalCategory == .control ? "a control character (\(code))" : "\"\(Character(dropped))\" (\(code))"
                    throw LabelError(.invalidValue,
                        "the value \(value.debugDescription) of \(field.source) is outside a field's text, where only letters, digits, '.', '-' and spaces are placed, and it has \(what)",
                        file: file, line: line, element: "placeholder \(field.source)")
                }
                // A field's text is printed: a control or invisible character in it is refused,
                // as a designed template's (a raw template sent NUL and U+2028 to the printer;
                // found by a QA run). Line breaks become spaces, as the field is one line.
                func printable() throws(LabelError) {
                    do { try FontFace.checkCharacters(value, lineBreaks: true) } catch {
                        throw LabelError(error.code, error.message, file: file, line: line, element: "placeholder \(field.source)")
                    }
                }
                // A print quantity (`^PQ{{copies}}`, EPL's `P{{copies}}`) is a count: `^PQ0` was
                // sent, counted as one label, where a designed template refuses it (a QA run).
                let quantity = raw.language == .zpl ? out.utf8.suffix(3).map { $0 & 0xDF } == Array("^PQ".utf8).map { $0 & 0xDF }
                    : out.split(separator: "\n", omittingEmptySubsequences: false).last == "P"
                if quantity, !value.isEmpty, value.unicodeScalars.allSatisfy(Self.isPlain) {
                    guard let count = Int(value), (1...99_999_999).contains(count) else {
                        throw LabelError(.invalidValue, "\(field.source) is a print quantity here, a whole number from 1 to 99999999, not \(value.debugDescription)",
                                         file: file, line: line, element: "placeholder \(field.source)")
                    }
                }
                switch raw.language {
                case .zpl:
                    let text: String, offset: Int?
                    do {
                        (text, offset) = try Self.insertZPLValue(value, into: out)
                    } catch {
                        throw LabelError(error.code, error.message, file: file, line: line, element: "placeholder \(field.source)")
                    }
                    guard let offset else {
                        out += try plainOnly()
                        continue
                    }
                    try printable()
                    out = text
                    placed.append(RawPlacement(offset: offset, value: Self.flat(value), field: field.source))
                case .epl:
                    guard Self.insideQuotes(out) else { out += try plainOnly(); continue }
                    try printable()
                    out += String(EPLWriter.quoted(value).dropFirst().dropLast())
                }
            }
        }
        return RawFill(text: out, placed: placed)
    }

    /// A value outside quotes: letters, marks and digits of any script, `.`, `-` and spaces; no
    /// other ASCII. Judged per Unicode scalar, not per character: a character may join a `"` or a
    /// `^` to a letter (a combining mark after it, a prepended letter such as U+0D4E before it),
    /// and the printer reads bytes.
    private static func plain(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars where isPlain(scalar) { out.append(scalar) }
        return String(out)
    }

    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII
            ? scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "-" || scalar == " "
            : scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || [.nonspacingMark, .spacingMark, .enclosingMark].contains(scalar.properties.generalCategory)
    }

    /// Whether the end of `text` is inside an EPL string.
    private static func insideQuotes(_ text: String) -> Bool {
        var quotes = EPLQuotes()
        quotes.read(Substring(text))
        return quotes.inside
    }

    /// Appends a value to ZPL text, escaped for the barcode command of its field and hex-escaped
    /// for the `^FD` field it is in; with the UTF-8 offset where the value starts when it went into
    /// a field's data.
    private static func insertZPLValue(_ value: String, into text: String) throws(LabelError) -> (text: String, offset: Int?) {
        let bytes = Array(text.utf8)
        /// The position of the last `^XY` command (either case) before `end`, or nil.
        func last(_ command: String, before end: Int) -> Int? {
            let name = Array(command.utf8)
            var index = end - 3
            while index >= 0 {
                if bytes[index] == 0x5E, bytes[index + 1] & 0xDF == name[0], bytes[index + 2] & 0xDF == name[1] { return index }
                index -= 1
            }
            return nil
        }
        guard let fd = last("FD", before: bytes.count), (last("FS", before: bytes.count) ?? -1) < fd else {
            return (text + plain(value), nil)
        }
        let fieldStart = last("FS", before: fd).map { $0 + 3 } ?? 0
        let data = try forBarcode(flat(value), command: barcodeCommand(bytes[fieldStart..<fd]))
        if let fh = last("FH", before: fd), fh >= fieldStart {
            let after = fh + 3 < bytes.count ? bytes[fh + 3] : 0x5E
            let indicator = after == 0x5E ? UInt8(ascii: "_") : after
            return (text + escape(data, indicator: indicator), bytes.count)
        }
        let head = String(decoding: bytes[..<fd], as: UTF8.self)
        let tail = String(decoding: bytes[fd...], as: UTF8.self)
        return (head + "^FH\\" + tail + escape(data, indicator: UInt8(ascii: "\\")), bytes.count + 4)
    }

    /// The last barcode command (`^B…` but `^BY`) of a field, with its parameters.
    private static func barcodeCommand(_ field: ArraySlice<UInt8>) -> (name: String, parameters: [String])? {
        var found: (name: String, parameters: [String])?
        var index = field.startIndex
        while index + 2 < field.endIndex {
            defer { index += 1 }
            guard field[index] == 0x5E, field[index + 1] & 0xDF == UInt8(ascii: "B") else { continue }
            let name = "B" + String(decoding: [field[index + 2] & (field[index + 2] >= 0x61 ? 0xDF : 0xFF)], as: UTF8.self)
            guard name != "BY" else { continue }
            var end = index + 3
            while end < field.endIndex, field[end] != 0x5E, field[end] != 0x7E { end += 1 }
            let parameters = String(decoding: field[(index + 3)..<end], as: UTF8.self)
                .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            found = (name, parameters)
        }
        return found
    }

    /// A value escaped for the barcode command it is data of, so that the barcode carries the
    /// value itself (FIELD-NOTES: in `^BC` data `>0` prints `>`).
    /// A `^BX` without its escape character set is refused: printers differ in its default, and
    /// where it is `_` a value's `_1` is FNC1 (data of the value's choosing: a GS1 DataMatrix of
    /// another product; found by a QA run), while escaping for `_` would double every `_` on the
    /// others.
    private static func forBarcode(_ value: String, command: (name: String, parameters: [String])?) throws(LabelError) -> String {
        guard let command else { return value }
        func parameter(_ index: Int) -> String { index < command.parameters.count ? command.parameters[index].uppercased() : "" }
        switch command.name {
        case "BC" where ["", "N", "A"].contains(parameter(5)):
            return following(">", in: value, with: "0")
        case "BX":
            guard command.parameters.count > 6, let escape = command.parameters[6].unicodeScalars.first else {
                throw LabelError(.invalidValue,
                    "^BX\(command.parameters.joined(separator: ",")) has no escape character (its 7th parameter), and printers differ in its default: where it is _, a value's _1 would be read as FNC1. Set it, e.g. ^BXN,6,200,,,,_ (a value's _ is then doubled)")
            }
            return following(escape, in: value, with: escape)
        default:
            return value
        }
    }

    /// `value` with `addition` after every `target`, scalar by scalar: `replacingOccurrences`
    /// compares characters, and a `>` or `_` with a combining mark after it is one character that
    /// is not equal to `>` or `_`, while the printer reads bytes (found by the raw-ZPL fuzz target).
    private static func following(_ target: Unicode.Scalar, in value: String, with addition: Unicode.Scalar) -> String {
        guard value.unicodeScalars.contains(target) else { return value }
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            out.append(scalar)
            if scalar == target { out.append(addition) }
        }
        return String(out)
    }

    /// A value on one line: line breaks become spaces.
    private static func flat(_ value: String) -> String {
        value.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    /// `value` on one line, hex-escaped with the field's `^FH` character.
    private static func escape(_ value: String, indicator: UInt8) -> String {
        var out = [UInt8]()
        ZPLEscaping.appendHex(flat(value), indicator: indicator, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Where a raw template put a value: its UTF-8 offset in the filled text and the value as placed
/// (on one line), and the placeholder it came from (`{{lot.number}}`).
public struct RawPlacement: Sendable, Equatable {
    public var offset: Int
    public var value: String
    public var field: String
}

/// Where EPL text stands after what was read of it, byte by byte: inside a string (its line's `"`
/// not escaped by `\`), and whether its last byte is a `\` that escapes the next one.
struct EPLQuotes {
    private(set) var inside = false
    private(set) var escaping = false

    mutating func read(_ text: Substring) {
        for byte in text.utf8 {
            if byte == 0x0A { inside = false; escaping = false; continue }
            if escaping { escaping = false; continue }
            if byte == 0x5C { escaping = true; continue }
            if byte == 0x22 { inside.toggle() }
        }
    }
}

extension Template {
    /// The bytes of a filled raw EPL template for the printer. ASCII goes as it is. Other text is
    /// written in Windows-1252, the code page the label selects with `I8,A` (added at the top when
    /// the template selects none: an EPL2 printer reads bytes in its own code page, DOS 437 unless
    /// told, and UTF-8 `ü` prints as two other characters).
    ///
    /// - Throws: ``LabelError`` naming the line when a character is not in Windows-1252, or when
    ///   the template selects another code page (`I8,B`) for text that is not ASCII.
    public func rawEPLBytes(_ filled: String) throws(LabelError) -> [UInt8] {
        guard !filled.utf8.allSatisfy({ $0 < 0x80 }) else { return Array(filled.utf8) }
        let lines = filled.split(separator: "\n", omittingEmptySubsequences: false)
        let selection = lines.enumerated().first { $0.element.hasPrefix("I8,") }
        if let (index, line) = selection {
            let page = line.dropFirst(3).prefix { $0 != "," }
            guard page == "A" else {
                throw LabelError(.unsupported,
                    "the label selects code page \(page) (\(line.trimmingCharacters(in: .whitespaces))), and its text is not ASCII: Tracemark writes EPL text in Windows-1252; select it with I8,A,001, or keep the text to ASCII",
                    file: file, line: index + 1)
            }
        }
        var out: [UInt8] = selection == nil ? Array("I8,A,001\n".utf8) : []
        for (index, line) in lines.enumerated() {
            if index > 0 { out.append(0x0A) }
            switch Windows1252.encode(String(line)) {
            case .success(let bytes): out += bytes
            case .failure(let unencodable):
                throw LabelError(.unencodable,
                    "line \(index + 1) of the filled label has \(unencodable.scalar.named), which an EPL printer's fonts do not have (they print Western European letters, Windows-1252)",
                    file: file)
            }
        }
        return out
    }
}

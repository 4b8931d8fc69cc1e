import Foundation

extension Template {
    /// Fills a raw `.zpl` or `.epl` template with `data`, escaping every value for the language.
    ///
    /// ZPL: a value inside a `^FD` field is hex-escaped with that field's `^FH` character; a field
    /// without `^FH` gets `^FH\` inserted before its `^FD`. Elsewhere (e.g. `^PQ{{copies}}`) only
    /// letters, digits, `.`, `-` and spaces are kept. EPL: inside quotes `"` and `\` are escaped;
    /// elsewhere the same letters-and-digits rule applies. Line breaks in values become spaces.
    public func renderRaw(_ data: LabelData) throws(LabelError) -> String {
        guard let raw else { throw LabelError(.unsupported, "\(name) is not a raw template", file: file) }
        var out = ""
        for part in raw.parts {
            switch part {
            case .text(let text):
                out += text
            case .field(let field):
                let value = field.render(data, formats: formats)
                switch raw.language {
                case .zpl: out = Self.insertZPLValue(value, into: out)
                case .epl: out += Self.insideQuotes(out) ? String(EPLWriter.quoted(value).dropFirst().dropLast()) : Self.plain(value)
                }
            }
        }
        return out
    }

    private static func plain(_ value: String) -> String {
        String(value.filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == " " })
    }

    private static func insideQuotes(_ text: String) -> Bool {
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        var inside = false
        var escaped = false
        for character in line {
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { inside.toggle() }
        }
        return inside
    }

    /// Appends a value to ZPL text, hex-escaped for the `^FD` field it is in.
    private static func insertZPLValue(_ value: String, into text: String) -> String {
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
            return text + plain(value)
        }
        let fieldStart = last("FS", before: fd).map { $0 + 3 } ?? 0
        if let fh = last("FH", before: fd), fh >= fieldStart {
            let after = fh + 3 < bytes.count ? bytes[fh + 3] : 0x5E
            let indicator = after == 0x5E ? UInt8(ascii: "_") : after
            return text + escape(value, indicator: indicator)
        }
        let head = String(decoding: bytes[..<fd], as: UTF8.self)
        let tail = String(decoding: bytes[fd...], as: UTF8.self)
        return head + "^FH\\" + tail + escape(value, indicator: UInt8(ascii: "\\"))
    }

    /// `value` on one line, hex-escaped with the field's `^FH` character.
    private static func escape(_ value: String, indicator: UInt8) -> String {
        let flat = value.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        var out = [UInt8]()
        ZPLEscaping.appendHex(flat, indicator: indicator, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

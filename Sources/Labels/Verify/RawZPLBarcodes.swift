import Foundation
import GS1

/// The barcodes of a filled raw ZPL label, read as a Zebra printer reads them, so that a raw
/// template can be checked before print like one of ours.
///
/// Each `^BC`, `^BX`, `^BQ`, `^BE`, `^BU`, `^B2` or `^B3` field's data is taken after `^FH`
/// decoding and interpreted as the printer does: `^BC` subset invocations (`>;`, `>5`, `>6`, …)
/// with subset C dropping what is not a digit pair, FNC1 as `>8` in `^BC` and as the escape
/// character's `1` in `^BX`, `^BQ`'s `MA,` prefix. GS1 data is checked by the GS1 target.
/// Barcode commands not listed cannot be checked, and say so.
enum RawZPLBarcodes {
    struct Barcode {
        let symbology: Symbology
        let content: BarcodeContent
        /// `^BC field at line 8`: where the label has it.
        let name: String
        /// Where the field's data is in the label's UTF-8 text (after `^FD`, before the next command).
        var data: Range<Int> = 0..<0
    }

    /// The barcodes of `zpl`.
    ///
    /// - Throws: ``LabelError`` (`unverified`) naming the field, when a barcode's data would not
    ///   come out as written (letters dropped by subset C), is not valid GS1 data, or is in a
    ///   form this check cannot read.
    static func barcodes(in zpl: String) throws(LabelError) -> [Barcode] {
        let bytes = Array(zpl.utf8)
        var caret = UInt8(ascii: "^")
        var tilde = UInt8(ascii: "~")
        var found: [Barcode] = []
        var command: (name: String, parameters: [String])?
        var hexIndicator: UInt8?
        var index = 0
        var line = 1
        func isCommandStart(_ byte: UInt8) -> Bool { byte == caret || byte == tilde }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A { line += 1 }
            guard isCommandStart(byte), index + 2 < bytes.count else {
                index += 1
                continue
            }
            let name = String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self).uppercased()
            var end = index + 3
            while end < bytes.count, !isCommandStart(bytes[end]) { end += 1 }
            let argument = Array(bytes[(index + 3)..<end])
            let fieldLine = line
            for inner in argument where inner == 0x0A { line += 1 }
            index = end
            switch name {
            case "CC" where byte == caret:
                if let first = argument.first { caret = first }
            case "CT" where byte == tilde:
                if let first = argument.first { tilde = first }
            case "FH":
                hexIndicator = argument.first.map { $0 == 0x0A || $0 == 0x0D ? UInt8(ascii: "_") : $0 } ?? UInt8(ascii: "_")
            case "FS":
                command = nil
                hexIndicator = nil
            case "FD", "FV":
                guard let barcode = command else { continue }
                let data = decode(argument, hexIndicator: hexIndicator)
                let location = "^\(barcode.name) field at line \(fieldLine)"
                do {
                    let (symbology, content) = try interpret(barcode.name, barcode.parameters, data)
                    found.append(Barcode(symbology: symbology, content: content, name: location, data: (end - argument.count)..<end))
                } catch {
                    throw LabelError(.unverified, "\(error.message); the label was not printed", element: location)
                }
            default:
                if name.hasPrefix("B"), name != "BY" {
                    let text = String(decoding: argument, as: UTF8.self)
                    command = (name, text.split(separator: ",", omittingEmptySubsequences: false)
                        .map { $0.trimmingCharacters(in: .whitespaces) })
                }
            }
        }
        return found
    }

    /// Field data with `^FH` escapes (`_5E` or `\5E`) decoded.
    private static func decode(_ data: [UInt8], hexIndicator: UInt8?) -> [UInt8] {
        guard let indicator = hexIndicator else { return data }
        var out: [UInt8] = []
        var index = 0
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 65...70: byte - 55
            case 97...102: byte - 87
            default: nil
            }
        }
        while index < data.count {
            if data[index] == indicator, index + 2 < data.count,
               let high = hexValue(data[index + 1]), let low = hexValue(data[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(data[index])
                index += 1
            }
        }
        return out
    }

    private static func parameter(_ parameters: [String], _ index: Int) -> String {
        index < parameters.count ? parameters[index].uppercased() : ""
    }

    private static func interpret(_ name: String, _ parameters: [String], _ data: [UInt8]) throws(LabelError) -> (Symbology, BarcodeContent) {
        let text = String(decoding: data, as: UTF8.self)
        switch name {
        case "BC":
            switch parameter(parameters, 5) {
            case "D":
                // GS1 mode: the data in bracketed form.
                return (.gs1_128, try gs1 { () throws(GS1Error) in try GS1Parser().parseBracketed(text).elements })
            case "", "N", "A":
                return try code128(data, automatic: parameter(parameters, 5) == "A")
            default:
                throw LabelError(.unverified, "^BC mode \(parameter(parameters, 5)) cannot be checked (modes N, A and D can)")
            }
        case "BX":
            guard parameter(parameters, 2) == "200" else {
                throw LabelError(.unverified, "^BX without quality 200 (ECC 200) cannot be checked")
            }
            let escape = parameters.count > 6 ? parameters[6].utf8.first : nil
            return try dataMatrix(data, escape: escape)
        case "BQ":
            // `MA,text`: error correction, then automatic input mode, then the data.
            guard data.count >= 3, data[1] == UInt8(ascii: "A"), data[2] == UInt8(ascii: ",") else {
                throw LabelError(.unverified, "^BQ data in manual input mode cannot be checked (automatic, e.g. 'MA,…', can)")
            }
            return (.qr, .text(String(decoding: data[3...], as: UTF8.self)))
        case "BE": return (.ean13, try BarcodeContent.plain(text, for: .ean13))
        case "BU": return (.upcA, try BarcodeContent.plain(text, for: .upcA))
        case "B2":
            guard data.count == 13 || data.count == 14 else {
                throw LabelError(.unverified, "^B2 data of \(data.count) digits cannot be checked (ITF-14's 13 or 14 can)")
            }
            return (.itf14, try BarcodeContent.plain(text, for: .itf14))
        case "B3": return (.code39, try BarcodeContent.plain(text, for: .code39))
        default:
            throw LabelError(.unverified, "^\(name) barcodes cannot be checked before print")
        }
    }

    private static func gs1(_ parse: () throws(GS1Error) -> [AIElement]) throws(LabelError) -> BarcodeContent {
        do {
            return .gs1(try ElementStringBuilder().build(try parse()))
        } catch {
            throw LabelError(.unverified, "not valid GS1 data: \(error.message)")
        }
    }

    /// `^BC` data in normal (or automatic) mode, subset by subset as the printer encodes it.
    private static func code128(_ data: [UInt8], automatic: Bool) throws(LabelError) -> (Symbology, BarcodeContent) {
        enum Subset { case a, b, c }
        var subset = Subset.b
        var out: [UInt8] = []  // FNC1 as 0x1D
        var dropped: [UInt8] = []
        var pending: UInt8?
        var startsWithFNC1 = false
        func flushPending() {
            if let digit = pending { dropped.append(digit) }
            pending = nil
        }
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == UInt8(ascii: ">"), index + 1 < data.count {
                let code = data[index + 1]
                index += 2
                switch code {
                case UInt8(ascii: ";"), UInt8(ascii: "5"): flushPending(); subset = automatic ? subset : .c
                case UInt8(ascii: ":"), UInt8(ascii: "6"): flushPending(); subset = .b
                case UInt8(ascii: "9"), UInt8(ascii: "7"): flushPending(); subset = .a
                case UInt8(ascii: "8"):
                    flushPending()
                    if out.isEmpty { startsWithFNC1 = true } else { out.append(0x1D) }
                case UInt8(ascii: "0") where subset != .c: out.append(UInt8(ascii: ">"))
                case UInt8(ascii: "<") where subset != .c: out.append(UInt8(ascii: "^"))
                case UInt8(ascii: "=") where subset != .c: out.append(UInt8(ascii: "~"))
                default:
                    throw LabelError(.unverified, "^BC invocation '>\(String(decoding: [code], as: UTF8.self))' cannot be checked")
                }
                continue
            }
            index += 1
            guard subset == .c, !automatic else {
                out.append(byte)
                continue
            }
            guard byte >= 48, byte <= 57 else {
                dropped.append(byte)
                continue
            }
            if let first = pending {
                out += [first, byte]
                pending = nil
            } else {
                pending = byte
            }
        }
        flushPending()
        if !dropped.isEmpty {
            let shown = String(decoding: out.map { $0 == 0x1D ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            throw LabelError(.unverified,
                "^BC subset C drops '\(String(decoding: dropped, as: UTF8.self))' (it takes digit pairs only): the barcode would carry '\(shown)'; switch to subset B (>6) before letters and odd digits")
        }
        if startsWithFNC1 {
            let elementString = String(decoding: out, as: UTF8.self)
            return (.gs1_128, try gs1 { () throws(GS1Error) in try GS1Parser().parseElementString(elementString).elements })
        }
        return (.code128, try BarcodeContent.plain(String(decoding: out, as: UTF8.self), for: .code128))
    }

    /// `^BX` data: with an escape character, `e1` is FNC1 and `ee` the character itself.
    private static func dataMatrix(_ data: [UInt8], escape: UInt8?) throws(LabelError) -> (Symbology, BarcodeContent) {
        guard let escape else { return (.dataMatrix, .text(String(decoding: data, as: UTF8.self))) }
        var out: [UInt8] = []
        var startsWithFNC1 = false
        var index = 0
        while index < data.count {
            guard data[index] == escape, index + 1 < data.count else {
                out.append(data[index])
                index += 1
                continue
            }
            switch data[index + 1] {
            case UInt8(ascii: "1"):
                if out.isEmpty { startsWithFNC1 = true } else { out.append(0x1D) }
            case escape:
                out.append(escape)
            default:
                throw LabelError(.unverified, "^BX escape '\(String(decoding: data[index...(index + 1)], as: UTF8.self))' cannot be checked")
            }
            index += 2
        }
        if startsWithFNC1 {
            let elementString = String(decoding: out, as: UTF8.self)
            return (.gs1DataMatrix, try gs1 { () throws(GS1Error) in try GS1Parser().parseElementString(elementString).elements })
        }
        return (.dataMatrix, .text(String(decoding: out, as: UTF8.self)))
    }
}

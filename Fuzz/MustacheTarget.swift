#if canImport(Labels)
import Labels
#endif
import Foundation

/// Label data bound into templates. The input is split at NUL bytes: the first part is a field's
/// Mustache text, the others are the values of the label data (`a`, `b`, `n`, `lot.number`,
/// `lot.expiry`, `items`, …); the first byte chooses the barcode the field goes into. Compiling the
/// field and filling it may only throw ``LabelError``; what fills must keep the writers' promises:
///
/// - a plain field prints what Mustache prints (``Field`` renders it without Mustache);
/// - ZPL field data is `^FH`-escaped: no `^` or `~` from a value, every `^FD` ends at its `^FS`;
/// - EPL strings are quoted with `"` and `\` escaped, and no value ends a line;
/// - a raw template's values change none of its commands: filled with the fuzzer's values and
///   with `x`, a ZPL template has the same `^` and `~`, an EPL template the same lines, quotes and
///   commas outside quotes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let setting = bytes.first else { return 0 }
    let parts = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let source = parts.first ?? ""
    let values = Array(parts.dropFirst().prefix(6))
    let data = labelData(values, setting: setting)
    let benign = labelData(values.map { _ in "x" }, setting: setting)

    for value in values {
        checkEPLQuoting(value)
        checkZPLEscaping(value)
    }

    // The field alone: the plain renderer and Mustache agree.
    var formats: [String: FieldFormat] = ["expiry": .date("dd.MM.yyyy"), "quantity": .number("#,##0.00")]
    if let field = try? Field(source, formats: &formats) {
        // Both refuse the same data (a list or object as text, a value its format cannot read),
        // or both print it.
        let fastResult = Result { () throws(LabelError) in try field.render(data, formats: formats) }
        let mustacheResult = Result { () throws(LabelError) in try field.renderThroughMustache(data, formats: formats) }
        let fast: String, mustache: String
        switch (fastResult, mustacheResult) {
        case (.success(let one), .success(let other)): (fast, mustache) = (one, other)
        case (.failure, .failure): return fuzzRaw(source, data: data, benign: benign)
        case (.success(let one), .failure(let error)): fatalError("field '\(source)' renders '\(one)' but through Mustache is refused: \(error)")
        case (.failure(let error), .success(let other)): fatalError("field '\(source)' is refused (\(error)) but through Mustache renders '\(other)'")
        }
        // No Swift value's description (named by the module) in a label, whichever way it is rendered.
        let module = "LabelsFuzz."
        if fast.contains(module) || mustache.contains(module), !source.contains(module), !values.contains(where: { $0.contains(module) }) {
            fatalError("field '\(source)' prints a Swift description: '\(fast)' / through Mustache '\(mustache)'")
        }
        if fast != mustache {
            fatalError("field '\(source)' renders '\(fast)' but through Mustache '\(mustache)'")
        }
        checkEPLQuoting(fast)
        checkZPLEscaping(fast)
        designed(field, formats: formats, setting: setting, data: data)
    }

    return fuzzRaw(source, data: data, benign: benign)
}

/// Raw templates: fixed commands with placeholders, and the fuzzer's text as one more field.
private func fuzzRaw(_ source: String, data: LabelData, benign: LabelData) -> CInt {
    raw(zplTemplate(source), .zpl, data: data, benign: benign)
    raw(eplTemplate(source), .epl, data: data, benign: benign)
    return 0
}

/// The label data: strings, a number when the third value is one, a list, an object, a flag.
private func labelData(_ values: [String], setting: UInt8) -> LabelData {
    func value(_ index: Int) -> String { index < values.count ? values[index] : "" }
    let number = Decimal(string: value(2), locale: Locale(identifier: "en_US_POSIX")).map(LabelData.number) ?? .string(value(2))
    return .object([
        "a": .string(value(0)), "b": .string(value(1)), "n": number,
        "lot": .object(["number": .string(value(0)), "expiry": .string(value(1)), "quantity": number]),
        "items": .list(values.map(LabelData.string)),
        "flag": .bool(setting & 0x80 != 0),
        "copies": setting & 0x40 != 0 ? number : .string(value(2)),
    ])
}

// MARK: Designed templates

private let symbologies: [Symbology] = [.code128, .dataMatrix, .qr, .code39, .gs1_128, .gs1DataMatrix, .ean13, .itf14]

/// The field as a text (wrapped in a box, or shrunk) and as the data of a barcode, laid out and
/// written as ZPL and EPL.
private func designed(_ field: Field, formats: [String: FieldFormat], setting: UInt8, data: LabelData) {
    let position = Position(x: Length(2, .mm), y: Length(2, .mm))
    let text = TextElement(
        at: position, text: field, fontSize: Length(3, .mm), bold: setting & 1 != 0,
        alignment: [.left, .center, .right][Int(setting >> 1) % 3], rotation: Int(setting >> 3 & 3) * 90,
        box: Size(width: Length(60, .mm), height: Length(20, .mm)), fit: setting & 0x20 != 0 ? .shrink : .wrap)
    let symbology = symbologies[Int(setting) % symbologies.count]
    let barcode = BarcodeElement(
        at: position, symbology: symbology, data: symbology.isGS1 ? nil : field,
        ais: symbology.isGS1 ? [(ai: "01", value: Field(constant: "09501101530003")), (ai: "10", value: field)] : [],
        module: Length(symbology.isMatrix ? 0.5 : 0.25, .mm), height: Length(10, .mm), humanReadable: !symbology.isMatrix,
        textSize: Length(2.5, .mm))
    for kind in [Element.Kind.text(text), .barcode(barcode)] {
        let template = Template(
            name: "fuzz", file: nil, size: Size(width: Length(100, .mm), height: Length(60, .mm)), dpi: 203, copies: nil,
            elements: [Element(name: "fuzz", line: 1, kind: kind)], formats: formats, sample: data, raw: nil)
        guard let label = try? template.layout(data) else { continue }
        if let zpl = try? ZPLWriter().write(label) { checkZPLFields(zpl) }
        if case .text = kind, let epl = try? EPLWriter().write(label) { checkEPLText(epl) }
    }
}

/// Every `^FD` of our ZPL ends at its own `^FS`, and no `~` is written: a value ran into no command.
private func checkZPLFields(_ zpl: String) {
    let bytes = Array(zpl.utf8)
    if bytes.contains(0x7E) { fatalError("'~' in written ZPL: \(zpl)") }
    var commands: [String] = []
    for index in bytes.indices where bytes[index] == 0x5E {
        commands.append(String(decoding: bytes[(index + 1)..<min(index + 3, bytes.count)], as: UTF8.self))
    }
    for (index, command) in commands.enumerated() where command == "FD" {
        if index + 1 >= commands.count || commands[index + 1] != "FS" {
            fatalError("^FD not followed by ^FS in written ZPL: \(zpl)")
        }
    }
    if commands.first != "XA" || commands.last != "XZ" || commands.filter({ $0 == "XA" || $0 == "XZ" }).count != 2 {
        fatalError("written ZPL is not one ^XA…^XZ label: \(zpl)")
    }
}

/// Lines of written EPL text (`A…,"…"`): the quoted string is the end of its line.
private func checkEPLText(_ epl: [UInt8]) {
    for line in epl.split(separator: 0x0A) where line.first == UInt8(ascii: "A") {
        guard let open = line.firstIndex(of: 0x22) else { fatalError("EPL text line without a string: \(line)") }
        checkQuoted(Array(line[open...]), String(decoding: line, as: UTF8.self))
    }
}

/// `EPLWriter.quoted` (its doc): `"` and `\` are escaped, line breaks become spaces.
private func checkEPLQuoting(_ value: String) {
    checkQuoted(Array(EPLWriter.quoted(value).utf8), value)
}

private func checkQuoted(_ quoted: [UInt8], _ what: String) {
    guard quoted.count >= 2, quoted.first == 0x22, quoted.last == 0x22 else { fatalError("not a quoted EPL string: \(what)") }
    var index = 1
    while index < quoted.count - 1 {
        switch quoted[index] {
        case 0x5C:
            guard index + 1 < quoted.count - 1, quoted[index + 1] == 0x5C || quoted[index + 1] == 0x22 else {
                fatalError("a bare '\\' in EPL string \(String(decoding: quoted, as: UTF8.self)) for '\(what)'")
            }
            index += 2
        case 0x22, 0x0A, 0x0D:
            fatalError("byte \(quoted[index]) unescaped in EPL string \(String(decoding: quoted, as: UTF8.self)) for '\(what)'")
        default:
            index += 1
        }
    }
}

/// `ZPLEscaping.appendHex` (its doc): no `^`, `~` or control character left, the indicator only
/// before two hex digits, and the hex decoded is the value.
private func checkZPLEscaping(_ value: String) {
    for indicator in [UInt8(ascii: "\\"), UInt8(ascii: "_")] {
        var out: [UInt8] = []
        ZPLEscaping.appendHex(value, indicator: indicator, to: &out)
        var decoded: [UInt8] = []
        var index = 0
        while index < out.count {
            let byte = out[index]
            if byte == 0x5E || byte == 0x7E || byte < 0x20 || byte == 0x7F { fatalError("byte \(byte) unescaped for '\(value)'") }
            if byte == indicator {
                guard index + 2 < out.count, let high = hex(out[index + 1]), let low = hex(out[index + 2]) else {
                    fatalError("indicator without two hex digits for '\(value)'")
                }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        if decoded != Array(value.utf8) { fatalError("hex escapes of '\(value)' decode to something else") }
    }
}

private func hex(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: byte - 48
    case 65...70: byte - 55
    default: nil
    }
}

// MARK: Raw templates

private func zplTemplate(_ source: String) -> String {
    """
    ^XA
    ^CI28
    ^FO10,10^A0N,30,30^FD{{a}}^FS
    ^FO10,50^FH_^FDX {{b}} {{lot.expiry | date: "dd.MM.yy"}}^FS
    ^FO10,90^BY2^BCN,80,N,N,N^FD{{lot.number}}^FS
    ^FO10,200^BXN,6,200,,,,_^FD_10109501101530003_110{{b}}^FS
    ^FO300,200^FH\\^BXN,6,200,,,,\\^FD{{a}}^FS
    ^FO300,10^BQN,2,4^FDMA,{{uppercased(a)}}^FS
    ^FO10,300^FD\(source)^FS
    \(source)
    ^PQ{{copies}}
    ^XZ

    """
}

private func eplTemplate(_ source: String) -> String {
    """
    N
    A10,10,0,3,1,1,N,"LOT {{a}}"
    A10,50,0,3,1,1,N,"{{b}} \\"{{lot.number}}\\" {{n | number: "0.00"}}"
    B10,90,0,1,2,4,100,B,"{{a}}"
    A10,200,0,3,1,1,N,"\(source)"
    \(source)
    P{{copies}}

    """
}

/// A raw template filled with the fuzzer's values has the command structure it has filled with `x`.
private func raw(_ text: String, _ language: RawTemplate.Language, data: LabelData, benign: LabelData) {
    guard let template = try? TemplateLoader().loadRaw(text, language: language, sample: benign),
          let filled = try? template.fillRaw(data), let plain = try? template.fillRaw(benign) else { return }
    let utf8Count = filled.text.utf8.count
    for placement in filled.placed where placement.offset < 0 || placement.offset > utf8Count {
        fatalError("value placed at \(placement.offset), outside the \(utf8Count) bytes filled")
    }
    // (A `\` of an EPL template right before a placeholder, which escaped the value's first
    // byte, is refused when the template loads since this target found it.)
    let shape = language == .zpl ? zplShape : eplShape
    if shape(filled.text) != shape(plain.text) {
        fatalError("values changed the commands of the \(language) template:\n\(filled.text)\nfilled with x:\n\(plain.text)")
    }
}

/// Where commands start: the number of `^` and of `~`.
private func zplShape(_ text: String) -> [Int] {
    [text.utf8.count { $0 == 0x5E }, text.utf8.count { $0 == 0x7E }]
}

/// For each line, the number of unescaped quotes and of commas outside quotes. A line ends at LF,
/// as EPL ends a command and as `Template.fillRaw` reads it (a lone CR in the template's text
/// does not close its quotes; values have none, theirs become spaces).
private func eplShape(_ text: String) -> [Int] {
    var shape: [Int] = []
    var quotes = 0, commas = 0, inside = false, escaped = false
    for byte in text.utf8 {
        if escaped, byte != 0x0A { escaped = false; continue }
        switch byte {
        case 0x0A:
            escaped = false
            shape += [quotes, commas]
            quotes = 0; commas = 0; inside = false
        case 0x5C: escaped = true
        case 0x22: quotes += 1; inside.toggle()
        case 0x2C where !inside: commas += 1
        default: break
        }
    }
    return shape + [quotes, commas]
}

#if canImport(GS1)
import GS1
#endif

/// Every entry point, strict and lenient, on the same bytes: none may crash or hang. Whatever the
/// strict parser accepts as GS1 data must also survive a round trip through the label builder.
private let today = CalendarDate(year: 2026, month: 1, day: 27)!

private let parsers: [GS1Parser] = {
    var strict = GS1Parser.Options.strict
    strict.today = today
    var lenient = GS1Parser.Options.lenient
    lenient.today = today
    var substitutes = lenient
    substitutes.groupSeparators = ["^", "~", "<GS>"]
    substitutes.permitsUnknownAIs = true
    substitutes.permitsUnknownAIsInDigitalLinkQueries = true
    return [GS1Parser(strict), GS1Parser(lenient), GS1Parser(substitutes)]
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    for parser in parsers {
        if let code = try? parser.parse(text) { check(code, parser) }
        if let code = try? parser.parseElementString(text) { check(code, parser) }
        if let code = try? parser.parseBracketed(text) { check(code, parser) }
        if let code = try? parser.parseDigitalLink(text) { check(code, parser) }
    }
    _ = SymbologyIdentifier(prefixOf: text)
    for symbology in Symbology.allCases {
        _ = try? ScanData.generate(dataString: text, symbology: symbology)
        _ = try? ScanData.generate(dataString: text, symbology: symbology, addsCheckDigit: true)
    }
    return 0
}

/// What was accepted strictly rebuilds into the same elements, and re-parses the same.
private func check(_ code: ScannedCode, _ parser: GS1Parser) {
    _ = (code.gtin, code.expiry, code.production, code.bracketed, code.elementString?.hri)
    // (A composite after EAN/UPC is checked together with its GTIN, so it is not GS1 data alone.)
    guard !parser.options.isLenient, !code.elements.isEmpty, !parser.options.permitsUnknownAIs, code.kind != .gtin else { return }
    guard let data = code.elementString else { return }
    do {
        let reparsed = try parser.parseBracketed(data.bracketed)
        if reparsed.elements != code.elements { fatalError("bracketed round trip changed \(code.elements) to \(reparsed.elements)") }
        let raw = try parser.parse("]C1" + data.raw)
        if raw.elements != code.elements { fatalError("raw round trip changed \(code.elements) to \(raw.elements)") }
        let built = try ElementStringBuilder(today: today).build(code.elements)
        if Set(built.elements.map(\.description)) != Set(code.elements.map(\.description)) {
            fatalError("builder changed \(code.elements) to \(built.elements)")
        }
        _ = try? DigitalLinkBuilder().uri(for: code.elements)
    } catch {
        fatalError("accepted \(code.elements) but not its own forms: \(error)")
    }
}

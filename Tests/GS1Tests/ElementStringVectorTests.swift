import Foundation
@testable import GS1
import Testing

/// One row of `element-strings.jsonl` (the same rows as `element-strings.tsv`).
struct ElementStringVector: Sendable, CustomTestStringConvertible {
    let id: String
    let isReference: Bool   // gs1-syntax-engine (the C reference); otherwise biip, a lenient parser
    let api: String
    let form: String
    let input: String
    let optionsJSON: String
    let expectedValid: Bool
    let expectedJSON: String
    let derivedJSON: String
    let note: String

    var testDescription: String { "\(id) \(form) \(input.debugDescription)" }
    var options: [String: Any] { VectorFiles.json(optionsJSON) }
    var expected: [String: Any] { VectorFiles.json(expectedJSON) }
    var derived: [String: Any] { VectorFiles.json(derivedJSON) }

    static func all() throws -> [ElementStringVector] {
        func text(_ value: Any?) -> String {
            guard let value, !(value is NSNull) else { return "" }
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        return try VectorFiles.jsonl("element-strings.jsonl").map { row in
            ElementStringVector(
                id: row["id"] as? String ?? "", isReference: (row["suite"] as? String ?? "").hasPrefix("gs1/gs1-syntax-engine"),
                api: row["api"] as? String ?? "", form: row["input_form"] as? String ?? "", input: row["input"] as? String ?? "",
                optionsJSON: text(row["options"]), expectedValid: row["expected_valid"] as? Bool ?? false,
                expectedJSON: text(row["expected"]), derivedJSON: text(row["derived_gse"]), note: row["note"] as? String ?? "")
        }
    }
}

/// Every vector of `element-strings.jsonl`.
///
/// Vectors of the GS1 Syntax Engine are checked against our strict parser with the options the
/// vector names: same verdict, same data string, HRI and failing check.
///
/// Vectors of biip (a lenient Python parser) are checked twice: our strict verdict must agree with
/// the GS1 Syntax Engine on the same input (`derived_gse`), and where biip accepts the data our
/// lenient parser must accept it too, with the values biip reports and a warning for each rule
/// the reference enforces. Where biip rejects, strict parsing rejects too.
@Suite struct ElementStringVectorTests {
    @Test(arguments: try ElementStringVector.all())
    func vectorIsHonoured(_ vector: ElementStringVector) throws {
        if vector.isReference {
            try checkReference(vector)
        } else {
            try checkBiip(vector)
        }
    }

    @Test func tsvAndJSONLHoldTheSameVectors() throws {
        let rows = try VectorFiles.tsv("element-strings.tsv")
        let vectors = try ElementStringVector.all()
        #expect(rows.count == vectors.count)
        for (row, vector) in zip(rows, vectors) {
            #expect(row["id"] == vector.id)
            #expect(VectorFiles.unescape(row["input"] ?? "") == vector.input, "\(vector.id)")
            #expect((row["expected_valid"] == "true") == vector.expectedValid, "\(vector.id)")
        }
    }

    // MARK: - GS1 Syntax Engine vectors

    /// Which validations the engine's API under test runs besides parsing: its unit tests of
    /// `gs1_parseAIdata`, `gs1_processAIdata`, `gs1_parseDLuri` and `gs1_processScanData` check no
    /// required AIs; the public encoder API and the requisites tests do.
    private func referenceChecksRequiredAIs(_ vector: ElementStringVector) -> Bool {
        if vector.options["validation.REQUISITE_AIS"] as? Bool == false { return false }
        return vector.api.contains("encoder") || vector.api.contains("GS1Encoder") || vector.api.contains("validateAIrequisites")
    }

    private func options(_ vector: ElementStringVector, lenient: Bool = false) -> GS1Parser.Options {
        var options = lenient ? GS1Parser.Options.lenient : GS1Parser.Options.strict
        options.today = VectorFiles.today
        let given = vector.options
        options.permitsUnknownAIs = given["permitUnknownAIs"] as? Bool ?? false
        options.permitsConvenienceAlphas = (given["permitConvenienceAlphas"] as? Bool ?? false) || lenient
        options.permitsZeroSuppressedGTINs = (given["permitZeroSuppressedGTINinDLuris"] as? Bool ?? false) || lenient
        options.permitsUnknownAIsInDigitalLinkQueries = !(given["validation.UNKNOWN_AI_NOT_DL_ATTR"] as? Bool ?? true)
        if let separators = given["separator_chars"] as? [String] { options.groupSeparators = separators }
        return options
    }

    /// The engine's "data string": `^` for FNC1 for GS1 data, plain data with a leading `^` escaped.
    private func dataString(_ code: ScannedCode) -> String {
        switch code.kind {
        case .elementString, .digitalLink:
            return code.elementString?.caretForm ?? ""
        case .gtin:
            return code.data.split(separator: "|").first.map(String.init).map { primary in
                code.elements.isEmpty ? primary : primary + "|" + (code.elementString?.caretForm ?? "")
            } ?? ""
        case .plain:
            let backslashes = code.data.prefix { $0 == "\\" }.count
            return code.data.dropFirst(backslashes).hasPrefix("^") ? "\\" + code.data : code.data
        }
    }

    private enum Outcome {
        case parsed(ScannedCode)
        case failed(GS1Error)
        /// Text without FNC1 in first position given where AI data was asked for: the engine
        /// treats it as plain data, not as AI data.
        case notAIData

        var code: ScannedCode? { if case .parsed(let code) = self { code } else { nil } }
        var error: GS1Error? { if case .failed(let error) = self { error } else { nil } }
    }

    private func run(_ vector: ElementStringVector, _ options: GS1Parser.Options) -> Outcome {
        let parser = GS1Parser(options)
        do throws(GS1Error) {
            if !vector.isReference {
                // biip's entry points: auto-detection reads like a scan; the URI parser only takes URIs.
                if vector.api.hasPrefix("biip.parse") { return .parsed(try parser.parse(vector.input)) }
                if vector.api.hasPrefix("GS1DigitalLinkURI") { return .parsed(try parser.parseDigitalLink(vector.input)) }
            }
            switch vector.form {
            case "hri_bracketed":
                return .parsed(try parser.parseBracketed(vector.input))
            case "fnc1_caret":
                guard vector.input.hasPrefix("^") else { return .notAIData }
                var caret = options
                caret.groupSeparators.append("^")
                // "|^" starts a composite component: its AIs follow the linear ones after an FNC1.
                let data = String(vector.input.dropFirst()).replacingOccurrences(of: "|^", with: "^")
                return .parsed(try GS1Parser(caret).parseElementString(data))
            case "dl_uri":
                return .parsed(try parser.parseDigitalLink(vector.input))
            case "element_string_gs":
                return .parsed(try parser.parseElementString(vector.input))
            default:  // scan_data_aim, plain
                return .parsed(try parser.parse(vector.input))
            }
        } catch {
            return .failed(error)
        }
    }

    private func checkReference(_ vector: ElementStringVector) throws {
        var options = options(vector)
        options.checksRequiredAIs = referenceChecksRequiredAIs(vector)
        var outcome = run(vector, options)
        let expected = vector.expected

        if case .notAIData = outcome {
            // gs1_processAIdata needs FNC1 in first position; the encoder takes such text as plain data.
            if vector.api.contains("setDataStr") {
                outcome = .parsed(try GS1Parser(options).parse(vector.input))
            } else {
                #expect(!vector.expectedValid, "\(vector.id): not AI data")
                return
            }
        }
        if vector.form == "plain", vector.api.contains("processScanData") {
            // Scan data must start with a symbology identifier for the engine; we read it as a plain code.
            #expect(!vector.expectedValid)
            #expect(outcome.code?.kind == .plain && outcome.code?.symbology == nil, "\(vector.id)")
            return
        }
        if vector.form == "plain", vector.input.isEmpty, !vector.expectedValid {
            // The encoder refuses to encode nothing; an empty scan reads as an empty plain code.
            #expect(outcome.code?.kind == .plain && outcome.code?.data == "", "\(vector.id)")
            return
        }

        #expect((outcome.code != nil) == vector.expectedValid,
                "\(vector.id) \(vector.note): expected \(vector.expectedValid ? "valid" : "invalid"), got \(outcome.error?.message ?? "valid")")
        if let lint = expected["linter_err"] as? String, lint != "GS1_LINTER_OK" {
            #expect(outcome.error?.lintError.map { "GS1_LINTER_" + $0.referenceName } == lint, "\(vector.id)")
        }
        if let markup = expected["err_markup"] as? String {
            #expect(outcome.error?.markup == markup, "\(vector.id)")
        }
        guard let code = outcome.code else { return }
        if let data = expected["data_str"] as? String {
            let ours = vector.form == "scan_data_aim" && code.kind == .digitalLink ? code.data : dataString(code)
            #expect(ours == data, "\(vector.id)")
        }
        if let buffer = expected["dl_ai_buffer"] as? String {
            #expect((code.kind == .digitalLink ? code.elementString?.caretForm ?? "" : "") == buffer, "\(vector.id)")
        }
        if let hri = expected["hri"] as? [String] {
            #expect(code.elementString?.hri ?? [] == hri, "\(vector.id)")
        }
        if let bracketed = expected["ai_data_str"] as? String {
            #expect(code.bracketed == bracketed, "\(vector.id)")
        }
        if let symbology = expected["sym"] as? String {
            #expect(referenceSymbologyName(code.symbology) == symbology, "\(vector.id)")
        }
        if let scanData = expected["scan_data_as_QR"] as? String, let data = code.elementString {
            #expect(try ScanData.generate(dataString: data.caretForm, symbology: .qrCode) == scanData, "\(vector.id)")
        }
        if let scanData = expected["scan_data_as_DataBarExpanded"] as? String, let data = code.elementString {
            #expect(try ScanData.generate(dataString: data.caretForm, symbology: .dataBarExpanded) == scanData, "\(vector.id)")
        }
    }

    /// The engine's name for the symbology a scan identifier announces.
    private func referenceSymbologyName(_ symbology: SymbologyIdentifier?) -> String? {
        switch symbology?.description {
        case "]Q1", "]Q3": "QR"
        case "]d1", "]d2": "DM"
        case "]J0", "]J1": "DotCode"
        case "]e0": "DataBarExpanded"
        case "]C1": "GS1_128_CCA"
        case "]E0": "EAN13"
        case "]E4": "EAN8"
        default: nil
        }
    }

    // MARK: - biip vectors

    /// The reference verdict on the same input, where the vector records it: parsed, and no
    /// required AI missing.
    private func referenceVerdict(_ vector: ElementStringVector) -> Bool? {
        let derived = vector.derived
        guard let ok = derived["ok"] as? Bool else { return nil }
        if derived["plain_data"] != nil { return nil }  // the engine read it as plain data, not as AIs
        return ok && derived["requisite_ais_error"] == nil
    }

    private func checkBiip(_ vector: ElementStringVector) throws {
        let expected = vector.expected

        // biip's symbology-identifier extraction on its own.
        if vector.api == "SymbologyIdentifier.extract" {
            let identifier = SymbologyIdentifier(prefixOf: vector.input)
            #expect((identifier != nil) == vector.expectedValid, "\(vector.id)")
            if let id = expected["symbology_identifier"] as? String { #expect(identifier?.description == id, "\(vector.id)") }
            if let modifiers = expected["modifiers"] as? String { #expect(identifier?.modifiers == modifiers, "\(vector.id)") }
            return
        }

        let strict = run(vector, options(vector))
        // Where we read a GTIN or a plain code, the engine was asked for AIs; compare only AI readings.
        let readAsAIs = strict.code.map { $0.kind == .elementString || $0.kind == .digitalLink } ?? true
        if let verdict = referenceVerdict(vector), vector.form != "plain", readAsAIs {
            #expect((strict.code != nil) == verdict,
                    "\(vector.id): strict verdict should match the GS1 Syntax Engine's; got \(strict.error?.message ?? "valid")")
        }
        guard vector.expectedValid else {
            #expect(strict.code == nil || strict.code?.kind == .plain,
                    "\(vector.id): biip rejects this, and so must a strict parse")
            return
        }
        if expected["rcn_region"] != nil {
            // Out of scope: restricted circulation numbers (variable-measure GTINs) are national
            // conventions; we read the GTIN and leave the weight to the registry.
            #expect(strict.code?.gtin == (try? GTIN(expected["gtin"] as? String ?? "")), "\(vector.id)")
            return
        }
        let lenient = run(vector, options(vector, lenient: true))
        let code = try #require(lenient.code, "\(vector.id): lenient parsing should accept what biip accepts: \(lenient.error?.message ?? "")")
        if strict.code == nil { #expect(!code.warnings.isEmpty, "\(vector.id): every broken rule is a warning") }
        try checkBiipFields(vector, code)
    }

    private func checkBiipFields(_ vector: ElementStringVector, _ code: ScannedCode) throws {
        let expected = vector.expected
        if let ais = expected["ais"] as? [[String: Any]] {
            try checkElements(vector, code, ais)
        }
        if let normalized = expected["normalized"] as? String {
            #expect(code.elementString?.raw == normalized, "\(vector.id)")
        }
        if let hri = expected["hri"] as? String {
            #expect(code.elementString?.hriText == hri, "\(vector.id)")
        }
        if let message = expected["gs1_message"] as? [String: Any] {
            // biip reports every reading; we pick one (a GTIN when its check digit is right), and
            // the element-string reading is there for the asking.
            var reading = code
            if code.kind == .gtin {
                var options = options(vector, lenient: true)
                options.groupSeparators = []
                reading = try GS1Parser(options).parseElementString(vector.input)
            }
            #expect(reading.kind == .elementString, "\(vector.id)")
            #expect(reading.elementString?.raw == message["normalized"] as? String, "\(vector.id)")
            try checkElements(vector, reading, message["ais"] as? [[String: Any]] ?? [])
        }
        if let link = expected["gs1_digital_link_uri"] as? [String: Any] {
            #expect(code.kind == .digitalLink, "\(vector.id)")
            try checkElements(vector, code, link["ais"] as? [[String: Any]] ?? [])
        }
        if expected["gs1_message_error"] != nil, expected["gs1_message"] == nil {
            #expect(code.kind != .elementString, "\(vector.id): biip found no element strings here")
        }
        let upc = expected["upc"] as? String
        if let upc, upc.count != 12 {
            // Out of scope: UPC-E (6 to 8 digits, here biip's reading of the data) is not read as a
            // GTIN; scanners expand it to UPC-A before sending it with ]E0, which we do read.
            #expect(code.kind != .gtin, "\(vector.id)")
        } else if let gtin = expected["gtin"] as? String {
            #expect(code.gtin == (try? GTIN(gtin)), "\(vector.id)")
        }
        if let upc, upc.count == 12 {
            #expect(code.gtin?.gtin14 == "00" + upc, "\(vector.id)")
        }
        if let sscc = expected["sscc"] as? String {
            if code.kind == .elementString {
                #expect(code.sscc == sscc, "\(vector.id)")
            } else {
                // Out of scope: a bare 18-digit number without AI (00) reads as a plain code; its
                // check digit is what biip verified.
                #expect(code.kind == .plain, "\(vector.id)")
                #expect(sscc.withBytesForTest { Linter.checkDigit($0) } == nil, "\(vector.id)")
            }
        }
        if let identifier = expected["symbology_identifier"] as? String {
            #expect(code.symbology?.description == identifier, "\(vector.id)")
        }
        if let uri = expected["canonical_dl_uri"] as? String {
            #expect(try DigitalLinkBuilder(sortsAttributes: true).uri(for: code.elements) == uri, "\(vector.id)")
        }
        if let uri = expected["dl_uri"] as? String {
            #expect(try DigitalLinkBuilder().uri(for: code.elements) == uri, "\(vector.id)")
        }
        // Fields about the first (or only) element string: biip's GS1ElementString.extract.
        if let first = code.elements.first {
            if let date = expected["date"] as? String {
                #expect(code.date(for: first.ai)?.description == date, "\(vector.id)")
            }
            if let dateTime = expected["datetime"] as? String {
                #expect(dateTimeText(code, first) == dateTime, "\(vector.id)")
            }
            if let decimal = expected["decimal"] as? String {
                #expect(decimalText(first) == decimal, "\(vector.id)")
            }
            if let currency = expected["currency"] as? String {
                // biip names the ISO 4217 currency; the element carries its numeric code.
                #expect(currencyNumbers[currency] == String(first.value.prefix(3)), "\(vector.id)")
            }
        }
    }

    private let currencyNumbers = ["ZAR": "710", "EUR": "978", "USD": "840", "NOK": "578"]

    private func checkElements(_ vector: ElementStringVector, _ code: ScannedCode, _ ais: [[String: Any]]) throws {
        let pairs = ais.map { AIElement(ai: $0["ai"] as? String ?? "", value: $0["value"] as? String ?? "") }
        if vector.api == "GS1ElementString.extract" {
            #expect(code.elements.first == pairs.first, "\(vector.id)")  // extract reads one element string
        } else {
            #expect(code.elements == pairs, "\(vector.id)")
        }
        for ai in ais {
            let name = ai["ai"] as? String ?? ""
            if let date = ai["date"] as? String {
                #expect(code.date(for: name)?.description == date, "\(vector.id) (\(name))")
            }
            if let gtin = ai["gtin"] as? [String: Any], let value = gtin["value"] as? String {
                #expect((try? GTIN(value)) != nil, "\(vector.id)")
            }
            if let groups = ai["pattern_groups"] as? [String], let entry = AIDictionary.standard[name] {
                var offset = 0
                let value = Array((ai["value"] as? String ?? "").utf8)
                for (component, group) in zip(entry.components, groups) {
                    let length = min(component.maximumLength, value.count - offset)
                    #expect(String(decoding: value[offset..<(offset + length)], as: UTF8.self) == group, "\(vector.id)")
                    offset += length
                }
            }
            for key in ["gtin_error", "sscc_error", "gln_error"] where ai[key] != nil {
                #expect(code.warnings.contains { $0.ai == name && $0.code == .invalidCheckDigit }, "\(vector.id): \(key)")
            }
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS` for a date AI followed by a time (`7003`, `8008`, `4324` …).
    private func dateTimeText(_ code: ScannedCode, _ element: AIElement) -> String? {
        guard let date = code.date(for: element.ai) else { return nil }
        let digits = Array(element.value.utf8.dropFirst(6))
        guard digits.count >= 2 else { return nil }
        func pair(_ index: Int) -> Int? {
            guard index + 1 < digits.count else { return index < digits.count ? nil : 0 }
            return Int(String(decoding: digits[index...(index + 1)], as: UTF8.self))
        }
        guard let hour = pair(0), let minute = pair(2), let second = pair(4), hour < 24, minute < 60, second < 60 else { return nil }
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date)T\(two(hour)):\(two(minute)):\(two(second))"
    }

    /// The decimal an AI such as (3103) or (3922) holds: its last digit is the number of decimals.
    private func decimalText(_ element: AIElement) -> String? {
        guard element.ai.count == 4, let places = Int(String(element.ai.last!)) else { return nil }
        var digits = element.value
        if element.ai.hasPrefix("391") || element.ai.hasPrefix("393") { digits = String(digits.dropFirst(3)) }
        while digits.count <= places { digits = "0" + digits }
        var whole = String(digits.dropLast(places))
        while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }
        return places == 0 ? whole : whole + "." + digits.suffix(places)
    }
}

extension String {
    func withBytesForTest<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var copy = self
        return copy.withUTF8(body)
    }
}

import Foundation
@testable import GS1
import Testing

/// The Digital Link vector files: generation, percent-encoding, digital-link.js's validity checks
/// and the (out of scope) compressed form.
@Suite struct DigitalLinkVectorTests {
    private static let today = VectorFiles.today

    // MARK: dl-generate.tsv (GS1 Syntax Engine)

    struct GenerateVector: Sendable, CustomTestStringConvertible {
        let expectedOK: Bool
        let stem: String?
        let bracketed: String
        let expectedURI: String
        let optionsJSON: String
        var testDescription: String { bracketed }
    }

    static func generateVectors() throws -> [GenerateVector] {
        try VectorFiles.tsv("dl-generate.tsv").map { row in
            let stem = row["stem"] ?? ""
            return GenerateVector(expectedOK: row["expected_ok"] == "true", stem: stem.hasPrefix("(NULL") ? nil : stem,
                                  bracketed: row["ai_data_bracketed"] ?? "", expectedURI: row["expected_uri"] ?? "",
                                  optionsJSON: row["options"] ?? "")
        }
    }

    @Test(arguments: try generateVectors())
    func uriIsGeneratedAsTheReferenceDoes(_ vector: GenerateVector) throws {
        let options = VectorFiles.json(vector.optionsJSON)
        var parsing = GS1Parser.Options.strict
        parsing.today = Self.today
        parsing.checksRequiredAIs = false  // the reference test parses with gs1_parseAIdata alone
        parsing.permitsUnknownAIs = options["permitUnknownAIs"] as? Bool ?? false
        let code = try GS1Parser(parsing).parseBracketed(vector.bracketed)
        let builder = DigitalLinkBuilder(stem: vector.stem ?? DigitalLinkBuilder.canonicalStem,
                                         permitsUnknownAIs: !(options["validation.UNKNOWN_AI_NOT_DL_ATTR"] as? Bool ?? true))
        if vector.expectedOK {
            #expect(try builder.uri(for: code.elements) == vector.expectedURI)
        } else {
            #expect(throws: GS1Error.self) { try builder.uri(for: code.elements) }
        }
    }

    // MARK: dl-percent-encoding.tsv

    struct PercentVector: Sendable, CustomTestStringConvertible {
        let function: String
        let input: String
        let path: String
        let query: String
        var testDescription: String { "\(function) \(input.debugDescription)" }
    }

    static func percentVectors() throws -> [PercentVector] {
        try VectorFiles.tsv("dl-percent-encoding.tsv").map {
            PercentVector(function: $0["function"] ?? "", input: $0["input"] ?? "", path: $0["path_form"] ?? "",
                          query: $0["query_form"] ?? "")
        }
    }

    @Test(arguments: try percentVectors())
    func percentEncodingMatchesTheReference(_ vector: PercentVector) {
        // Decoded bytes are compared one byte per character, as the file writes %ff as "ÿ".
        func latin1(_ text: String) -> [UInt8] { text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } }
        if vector.function == "URIunescape" {
            let input = Array(vector.input.utf8)
            input.withUnsafeBufferPointer { bytes in
                #expect(DigitalLinkSyntax.unescape(bytes, query: false) == latin1(vector.path))
                #expect(DigitalLinkSyntax.unescape(bytes, query: true) == latin1(vector.query))
            }
        } else {
            #expect(DigitalLinkSyntax.escape(vector.input, query: false) == vector.path)
            #expect(DigitalLinkSyntax.escape(vector.input, query: true) == vector.query)
        }
    }

    // MARK: dl-digital-link-js.tsv (digital-link.js, a lenient validator)

    struct ValidityVector: Sendable, CustomTestStringConvertible {
        let kind: String
        let uri: String
        let expectedValid: Bool
        let derivedJSON: String
        let note: String
        var testDescription: String { uri }
    }

    static func validityVectors() throws -> [ValidityVector] {
        try VectorFiles.tsv("dl-digital-link-js.tsv").map {
            ValidityVector(kind: $0["kind"] ?? "", uri: $0["input"] ?? "", expectedValid: $0["expected_valid"] == "true",
                           derivedJSON: $0["derived_gse"] ?? "", note: $0["note"] ?? "")
        }
    }

    /// Strict parsing gives the GS1 Syntax Engine's verdict; what digital-link.js accepts, lenient
    /// parsing accepts with warnings, except compressed URIs, which are refused clearly.
    @Test(arguments: try validityVectors())
    func validityAgreesWithTheReferenceAndLenientModeAcceptsLegacyForms(_ vector: ValidityVector) throws {
        var strict = GS1Parser.Options.strict
        strict.today = Self.today
        let strictResult = Result { () throws(GS1Error) in try GS1Parser(strict).parseDigitalLink(vector.uri) }
        if let ok = VectorFiles.json(vector.derivedJSON)["ok"] as? Bool {
            #expect(((try? strictResult.get()) != nil) == ok)
        }
        var lenient = GS1Parser.Options.lenient
        lenient.today = Self.today
        let lenientResult = Result { () throws(GS1Error) in try GS1Parser(lenient).parseDigitalLink(vector.uri) }
        if vector.note.contains("compressed") {
            // Out of scope: compressed Digital Link URIs; the refusal says so.
            guard case .failure(let error) = lenientResult else { Issue.record("compressed URI accepted"); return }
            #expect(error.code == .unsupported)
            #expect(error.message.contains("compressed"))
            return
        }
        if vector.expectedValid {
            let code = try lenientResult.get()
            if (try? strictResult.get()) == nil { #expect(!code.warnings.isEmpty) }
        } else {
            #expect((try? strictResult.get()) == nil)
        }
    }

    // MARK: dl-compression.tsv (digital-link.js)

    struct CompressionVector: Sendable, CustomTestStringConvertible {
        let operation: String
        let input: String
        let expected: String
        var testDescription: String { "\(operation) \(input)" }
    }

    static func compressionVectors() throws -> [CompressionVector] {
        try VectorFiles.tsv("dl-compression.tsv").map {
            CompressionVector(operation: $0["op"] ?? "", input: $0["input"] ?? "", expected: $0["expected"] ?? "")
        }
    }

    /// Out of scope: compression. Compressed URIs are refused with a message that says so; the
    /// uncompressed side of each vector parses.
    @Test(arguments: try compressionVectors())
    func compressedURIsAreRefusedClearlyAndTheirUncompressedFormsParse(_ vector: CompressionVector) throws {
        var options = GS1Parser.Options.lenient
        options.today = Self.today
        let parser = GS1Parser(options)
        let (compressed, uncompressed) = vector.operation.hasPrefix("compress")
            ? (vector.expected, vector.input) : (vector.input, vector.expected)
        let refusal = #expect(throws: GS1Error.self) { try parser.parseDigitalLink(compressed) }
        #expect(refusal?.code == .unsupported)
        #expect(refusal?.message.contains("compressed") == true)
        #expect(try parser.parseDigitalLink(uncompressed).kind == .digitalLink)
    }
}

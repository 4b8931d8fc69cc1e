import Foundation
import Testing
@testable import Labels

@Suite struct RawTemplateTests {
    @Test func zplValuesAreHexEscapedInTheirField() throws {
        let template = try TemplateLoader().loadRaw(
            "^XA\n^FO10,10^A0N,30,30^FD{{name}}^FS\n^FO10,50^FH_^FDX {{name}}^FS\n^PQ{{copies}}\n^XZ\n",
            language: .zpl, sample: .object(["name": .string("a"), "copies": .number(1)]))
        let zpl = try template.renderRaw(.object(["name": .string("^XA^JUF^XZ ~JR _\\"), "copies": .string("2^XZ")]))
        #expect(zpl == "^XA\n^FO10,10^A0N,30,30^FH\\^FD\\5EXA\\5EJUF\\5EXZ \\7EJR _\\5C^FS\n"
            + "^FO10,50^FH_^FDX _5EXA_5EJUF_5EXZ _7EJR _5F\\^FS\n^PQ2XZ\n^XZ\n")
    }

    @Test func eplValuesAreEscapedInsideQuotes() throws {
        let template = try TemplateLoader().loadRaw(
            "N\nA10,10,0,3,1,1,N,\"LOT {{lot}}\"\nP{{copies}}\n", language: .epl,
            sample: .object(["lot": .string("a"), "copies": .number(1)]))
        let epl = try template.renderRaw(.object(["lot": .string("A\"B\\C\nP9"), "copies": .number(2)]))
        #expect(epl == "N\nA10,10,0,3,1,1,N,\"LOT A\\\"B\\\\C P9\"\nP2\n")
    }

    @Test func theShippedRawTemplatesLoadWithTheirSamples() async throws {
        let zplTemplate = try TemplateLoader().load(contentsOf: Oracle.templates.appendingPathComponent("raw/lot-label.zpl"))
        let zpl = try zplTemplate.renderRaw(zplTemplate.sample)
        #expect(zpl.contains("^FH^FDEXP 31.01.2027^FS"))
        let result = try await Oracle.decode(Data(zpl.utf8), extension: "zpl")
        #expect(result.labels.first?.barcodes.map(\.text) == ["LOT-4711"])
        let eplTemplate = try TemplateLoader().load(contentsOf: Oracle.templates.appendingPathComponent("raw/lot-label.epl"))
        #expect(try eplTemplate.renderRaw(eplTemplate.sample).contains("B30,180,0,1,2,4,100,B,\"LOT-4711\""))
    }

    @Test func aRawPlaceholderTheSampleLacksIsRefused() {
        #expect(throws: LabelError.self) {
            try TemplateLoader().loadRaw("^XA^FO1,1^FD{{missing}}^FS^XZ", language: .zpl, sample: .object([:]))
        }
    }
}

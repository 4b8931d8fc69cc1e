import Foundation
import Testing
import TracemarkTesting
@testable import Labels

/// Golden files: the whole ZPL and EPL of the shipped GS1 lot label with its sample, reviewed by
/// hand against the ZPL II and EPL2 programming guides. A change to the writers shows up here as
/// a diff to review; `TRACEMARK_UPDATE_GOLDEN=1` rewrites them.
@Suite struct GoldenFileTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func compare(_ output: Data, _ name: String) throws {
        let url = Self.folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["TRACEMARK_UPDATE_GOLDEN"] == "1" {
            try output.write(to: url)
        }
        let golden = try Data(contentsOf: url)
        #expect(output == golden, "\(name) differs from the golden file:\n\(String(decoding: output, as: UTF8.self))")
    }

    @Test func theLotLabelMatchesTheGoldenZPLAndEPL() throws {
        let template = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("gs1-lot-100x50.yaml"))
        let label = try template.layout(template.sample, dpi: 203)
        try compare(Data(try ZPLWriter().write(label).utf8), "gs1-lot-100x50-203.zpl")
        try compare(Data(try EPLWriter().write(label)), "gs1-lot-100x50-203.epl")
    }
}

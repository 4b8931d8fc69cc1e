import Foundation
import GS1
import Labels
import Printing
import Registry
import Stations
import Testing

/// `tracemark` killed with SIGKILL while it sends: nothing is lost, nothing printed twice.
@Suite struct CrashTests {
    @Test(arguments: Backend.available)
    func killingTheSenderMidRunLosesNoLabelAndPrintsNoneTwice(backend: Backend) async throws {
        try await withSpool(backend) { registry, spool, database in
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:6}"))
            _ = try await registry.addProduct(Product(article: "PS-200", gtin: try GTIN("09501101530003"), lotSerialClass: "SN"))
            let printer = database.filePrinter()
            try await spool.addPrinter(printer)
            let template = try TemplateLoader().load(contentsOf: ProductionRunTests.templates.appendingPathComponent("serial-50x25.yaml"))
            let count = 1000
            let run = try await ProductionRun(product: "PS-200", count: count, printer: printer.name, template: template,
                                              requestedBy: "line 1").run(registry: registry, spool: spool)
            let arguments = ["jobs", "run", "--until-idle", "--printer", printer.name, "--batch", "20", "--poll", "0.01",
                             "--db", database.location]
            // Kill the sender three times at different points of the run (its first label printed,
            // then 300 and 600), then let a last one finish.
            let (kills, status) = try await TracemarkProcess.killAtProgress(arguments, marks: [1, 300, 600]) {
                try await doneJobs(spool, printer: printer.name)
            }
            #expect(status == 0)

            let jobs = try await spool.jobs(printer: printer.name, limit: count + 10)
            #expect(jobs.count == count)
            let states = jobs.reduce(into: [String: Int]()) { $0[$1.state.rawValue, default: 0] += 1 }
            #expect(states == ["done": count])
            #expect(!jobs.contains { $0.possiblyDuplicated })
            // Every serial's label is in exactly one finished file.
            let folder = database.folder.appendingPathComponent(printer.name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".zpl") && !$0.hasPrefix(".") }
            var seen: [String: Int] = [:]
            for file in files {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for number in run.numbers where text.contains("21\(number)") { seen[number, default: 0] += 1 }
            }
            #expect(seen.count == count, "labels missing: \(count - seen.count)")
            let twice = seen.filter { $0.value > 1 }.map(\.key).sorted()
            #expect(twice.isEmpty)
            #expect(kills > 0, "the run finished before the first kill: make it longer")
        }
    }
}

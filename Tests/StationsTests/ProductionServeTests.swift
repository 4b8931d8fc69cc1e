import Foundation
import GS1
import Registry
import SQLKit
import Store
import Testing

extension ServeTests {
    /// A production line under `tracemark serve`: a run started from the command line prints its
    /// labels into the line's folder printer; the verify scanner (loopback TCP) reads each label as
    /// an independent reader decodes it; each unit enters stock; a label that does not read is
    /// printed again; `TM:DONE` on the operator's scanner closes the run; the report says it all.
    @Test(arguments: Backend.available)
    func aProductionLineVerifiesEachLabelAndPostsEachUnit(backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let registry = try await Registry.open(database.location)
        do {
            _ = try await registry.addProduct(Product(article: "SENSOR-1", gtin: try GTIN("09501101530010"), description: "Pressure sensor",
                                                      lotSerialClass: "DEVICE", counterStart: 3_000_000, counterEnd: 3_999_999))
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
        let (operatorPort, verifyPort) = (try LoopbackSocket.freePort(), try LoopbackSocket.freePort())
        let labels = database.folder.appendingPathComponent("line-labels")
        let file = database.folder.appendingPathComponent("line.yaml")
        try """
            database: "\(database.location)"
            http: {listen: "127.0.0.1:0"}
            printers:
              line-label: {uri: "file://\(labels.path)", language: zpl, dpi: 203}
            stations:
              line-1:
                kind: production
                warehouse: MAIN
                scanners: ["tcp-listen://127.0.0.1:\(operatorPort)"]
                verify-scanners: ["tcp-listen://127.0.0.1:\(verifyPort)"]
                no-read: "?"
                on-failed-verify: reprint
                printer: line-label
                template: serial-50x25
            """.write(to: file, atomically: true, encoding: .utf8)
        let environment = ["TRACEMARK_TEMPLATES": Repository.templates.path]
        let check = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("verify scanner tcp-listen://127.0.0.1:\(verifyPort)"), "\(check.stdout)")

        let serve = try TracemarkProcess.launch(["serve", "--config", file.path], environment: environment)
        defer { serve.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: operatorPort) && LoopbackSocket.send([], to: verifyPort) })
        // Refusals in the words of the command line, not of the scanner's TM:RUN (found by a QA run).
        let none = try await Command.tracemark(["station", "run", "line-1", "SENSOR-1", "0", "--config", file.path], environment: environment)
        #expect(none.status == 64 && none.stderr.contains("<count> must be from 1 to 10000, not 0"), "\(none.stderr)")
        let unknown = try await Command.tracemark(["station", "run", "line-1", "NOPE", "2", "--config", file.path], environment: environment)
        #expect(unknown.status == 1 && unknown.stdout.contains("product NOPE does not exist") && unknown.stdout.hasSuffix("no run was started\n"),
                "\(unknown.stdout)")
        let started = try await Command.tracemark(["station", "run", "line-1", "SENSOR-1", "2", "--config", file.path], environment: environment)
        #expect(started.status == 0, "\(started.stdout) \(started.stderr)")
        #expect(started.stdout.contains("run-started"), "\(started.stdout)")
        // Notices and worse only, from the shell: no info line per scan (found by a QA run).
        #expect(!started.stderr.contains(" info "), "\(started.stderr)")

        // What an independent reader decodes in every file the printer wrote (a file may hold a batch of labels).
        func printed() async throws -> [String: [String]] {
            var read: [String: [String]] = [:]
            for file in (try? FileManager.default.contentsOfDirectory(at: labels, includingPropertiesForKeys: nil)) ?? [] {
                read[file.lastPathComponent] = try await BarcodeOracle.texts(try Data(contentsOf: file), extension: "zpl")
            }
            return read
        }
        try #require(try await eventually { try await printed().values.joined().count == 2 })
        let first = try await printed()
        let read = first.values.joined().sorted()
        #expect(LoopbackSocket.send(Array((read[0] + "\n?\n").utf8), to: verifyPort))
        // The label that did not read (the second unit's) is printed again, in a file of its own; its reprint is read.
        try #require(try await eventually { try await printed().count == first.count + 1 })
        let reprinted = try await printed().filter { first[$0.key] == nil }.values.joined()
        #expect(Array(reprinted) == [read[1]])
        let reprint = read[1]
        #expect(LoopbackSocket.send(Array((reprint + "\n").utf8), to: verifyPort))
        #expect(try await eventually {
            try await count("SELECT COUNT(*) AS n FROM station_run_units WHERE state = 'verified'", in: database.location) == 2
        })
        #expect(LoopbackSocket.send(Array("TM:DONE\n".utf8), to: operatorPort))
        #expect(try await eventually {
            try await count("SELECT COUNT(*) AS n FROM station_tasks WHERE kind = 'run' AND state = 'closed'", in: database.location) == 1
        })
        let report = try await Command.tracemark(["station", "run-report", "line-1", "--db", database.location])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("2 printed, 2 verified, 0 voided, 0 missing"), "\(report.stdout)")
        // Each unit says what became of its label's job, printed ones too.
        #expect(report.stdout.components(separatedBy: "verified  label done (job ").count == 3, "\(report.stdout)")
        let stock = try await Command.tracemark(["stock", "--product", "SENSOR-1", "--db", database.location])
        #expect(stock.stdout.contains("MAIN"), "\(stock.stdout)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.ended.value == 0)
    }
}

import Foundation
import PrinterSimulator
import Testing
import TracemarkTesting

extension APITests {
    /// An admin adds a printer over HTTP while the service runs: its worker starts by itself and
    /// a job printed to it reaches the (simulated) printer; the printer answers a live status
    /// query; its configuration changes only with the ETag read, and it is removed the same way.
    @Test func anAdminAddsAPrinterThatPrintsAtOnce() async throws {
        let printer = try await SimulatedPrinter.start()
        let service = try await APIService.start(.sqlite)
        defer { service.serve.killIfRunning() }
        let body = try service.json(["uri": "tcp://127.0.0.1:\(printer.port)", "language": "zpl", "dpi": 203])
        #expect(try await service.request("PUT", "/api/v1/printers/line-2", role: "supervisor", body: body).status == 403)
        let added = try await service.request("PUT", "/api/v1/printers/line-2", body: body)
        #expect(added.status == 201, "\(added.text)")
        let tag = try #require(added.headers["etag"])
        let job = try await service.request("POST", "/api/v1/jobs", role: "operator", body: try service.json([
            "template": "gs1-lot-100x50", "printer": "line-2", "data": [
                "product": ["gtin": "09501101530003", "article": "PAINT-5L", "description": "Floor paint"], "partner": ["name": "Acme"],
                "quantity": 1, "unit": "pcs", "copies": 1, "lot": ["number": "API-1", "expiry": "2027-01-31"],
            ],
        ]))
        #expect(job.status == 201, "\(job.text)")
        #expect(try await eventually { printer.labelsPrinted == 1 })
        // A second job: a page of one has a Link to the next, older page, which holds the first.
        let second = try await service.request("POST", "/api/v1/jobs", role: "operator", body: try service.json([
            "template": "gs1-lot-100x50", "printer": "line-2", "sample": true]))
        #expect(second.status == 201, "\(second.text)")
        let newest = try await service.request("GET", "/api/v1/jobs?printer=line-2&limit=1", role: "viewer")
        let link = try #require(newest.headers["link"], "\(newest.headers)")
        #expect(link.hasPrefix("<?") && link.hasSuffix(">; rel=\"next\"") && link.contains("limit=1") && link.contains("printer=line-2"), "\(link)")
        let older = try await service.request("GET", "/api/v1/jobs" + link.dropFirst().prefix { $0 != ">" }, role: "viewer")
        let ids = [newest, older].compactMap { (try? JSONSerialization.jsonObject(with: Data($0.text.utf8)) as? [[String: Any]])?.first?["id"] as? Int }
        #expect(ids.count == 2 && ids[0] > ids[1], "\(newest.text) \(older.text)")
        #expect(job.object["id"] as? Int == ids.last, "\(job.text)")
        let status = try await service.request("GET", "/api/v1/printers/line-2/status", role: "viewer")
        #expect(status.object["answered"] as? Bool == true, "\(status.text)")
        // When it was asked, as every time in the API: ISO 8601 (it was seconds since 2001).
        let asked = (status.object["at"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
        #expect(asked.map { abs($0.timeIntervalSinceNow) < 86_400 } == true, "\(status.text)")

        let changed = try service.json(["uri": "tcp://127.0.0.1:\(printer.port)", "language": "zpl", "dpi": 300])
        #expect(try await service.request("PUT", "/api/v1/printers/line-2", body: changed).status == 428)
        let replaced = try await service.request("PUT", "/api/v1/printers/line-2", body: changed, headers: ["If-Match": tag])
        #expect(replaced.status == 200, "\(replaced.text)")
        #expect(replaced.object["dpi"] as? Int == 300)
        let bad = try await service.request("PUT", "/api/v1/printers/line-3", body: try service.json(["uri": "gopher://x", "language": "zpl"]))
        #expect(bad.status == 422, "\(bad.text)")
        #expect(try await service.request("DELETE", "/api/v1/printers/line-2", headers: ["If-Match": tag]).status == 412)
        let newTag = try #require(replaced.headers["etag"])
        #expect(try await eventually {
            try await service.request("GET", "/api/v1/printers/line-2", role: "viewer").object["queued"] as? Int == 0
        })
        #expect(try await service.request("DELETE", "/api/v1/printers/line-2", headers: ["If-Match": newTag]).status == 200)
        #expect(try await service.request("GET", "/api/v1/printers/line-2", role: "viewer").status == 404)
        // Added again once its worker has ended, it gets a worker again: its jobs waited for a
        // restart while it said "ready" (found by a QA run).
        let log = service.database.folder.appendingPathComponent("serve.out")
        #expect(try await eventually {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").contains {
                $0.contains("printer=line-2") && $0.contains("printer removed: its worker ends")
            }
        })
        #expect(try await service.request("PUT", "/api/v1/printers/line-2", body: body).status == 201)
        let again = try await service.request("POST", "/api/v1/jobs", role: "operator", body: try service.json([
            "template": "gs1-lot-100x50", "printer": "line-2", "sample": true]))
        #expect(again.status == 201, "\(again.text)")
        #expect(try await eventually { printer.labelsPrinted == 3 }, "\(printer.labelsPrinted) labels")
        try await service.stop()
        await printer.stop()
    }

    /// A job moved off a printer that does not answer is answered as the job its labels now wait
    /// in (201, its new id, its history naming the old one), and prints there; the old one is
    /// cancelled, its history naming the new. The move answered the old, cancelled job, and a
    /// client had to read its history's text to follow the labels; a retry's history said "by
    /// an operator" whoever asked; an event feed for a printer that does not exist streamed
    /// nothing, forever (all found by a QA run).
    @Test func aJobMovedToAnotherPrinterIsAnsweredAsTheJobItIsNow() async throws {
        let printer = try await SimulatedPrinter.start()
        let off = try ClosedPort()
        let service = try await APIService.start(.sqlite)
        defer { service.serve.killIfRunning() }
        for (name, port) in [("off-1", off.port), ("on-1", printer.port)] {
            let added = try await service.request("PUT", "/api/v1/printers/\(name)",
                                                  body: try service.json(["uri": "tcp://127.0.0.1:\(port)", "language": "zpl", "dpi": 203]))
            #expect(added.status == 201, "\(added.text)")
        }
        let queued = try await service.request("POST", "/api/v1/jobs", role: "operator", body: try service.json([
            "template": "gs1-lot-100x50", "printer": "off-1", "sample": true]))
        #expect(queued.status == 201, "\(queued.text)")
        let old = try #require(queued.object["id"] as? Int)
        // Refused (409) while the worker is trying the printer: asked again until it is not.
        var moved: APIService.Answer?
        #expect(try await eventually {
            let answer = try await service.request("POST", "/api/v1/jobs/\(old)/move", role: "operator", body: try service.json(["printer": "on-1"]))
            if answer.status == 201 { moved = answer }
            return answer.status != 409
        })
        let new = try #require(moved?.object["id"] as? Int, "\(moved?.text ?? "")")
        #expect(new != old && moved?.object["printer"] as? String == "on-1", "\(moved?.text ?? "")")
        #expect(try await eventually { printer.labelsPrinted == 1 })
        let oldJob = try await service.request("GET", "/api/v1/jobs/\(old)", role: "viewer")
        #expect(oldJob.object["state"] as? String == "cancelled", "\(oldJob.text)")
        let oldHistory = try await service.request("GET", "/api/v1/jobs/\(old)/history", role: "viewer")
        #expect(oldHistory.text.contains("moved to printer on-1 as job \(new)"), "\(oldHistory.text)")
        let newHistory = try await service.request("GET", "/api/v1/jobs/\(new)/history", role: "viewer")
        #expect(newHistory.text.contains("moved from job \(old)"), "\(newHistory.text)")

        // A cancelled job retried: its history names who asked, and it has not finished.
        let second = try await service.request("POST", "/api/v1/jobs", role: "operator", body: try service.json([
            "template": "gs1-lot-100x50", "printer": "off-1", "sample": true]))
        let id = try #require(second.object["id"] as? Int, "\(second.text)")
        #expect(try await eventually {
            try await service.request("POST", "/api/v1/jobs/\(id)/cancel", role: "supervisor").status == 200
        })
        let retried = try await service.request("POST", "/api/v1/jobs/\(id)/retry", role: "operator")
        #expect(retried.status == 200 && retried.object["finishedAt"] == nil, "\(retried.text)")
        let history = try await service.request("GET", "/api/v1/jobs/\(id)/history", role: "viewer")
        #expect(history.text.contains("retried by operator-client"), "\(history.text)")

        let nowhere = try await service.request("GET", "/api/v1/events?printer=of-1", role: "viewer")
        #expect(nowhere.status == 404 && nowhere.text.contains("there is no printer of-1"), "\(nowhere.text)")
        try await service.stop()
        await printer.stop()
    }

    /// A CUPS queue is checked when an admin adds it over HTTP, as `printers add` does: a queue
    /// the server does not have is refused with the queues it has, one it has is added. Against
    /// the cupsd `make test` starts on loopback.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TRACEMARK_TEST_CUPS_SERVER"] != nil, "needs the cupsd make test starts"))
    func aCUPSQueueTheServerDoesNotHaveIsRefused() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["TRACEMARK_TEST_CUPS_SERVER"])
        let queue = "api-check-\(UUID().uuidString.prefix(8).lowercased())"
        try await Command.check("lpadmin", ["-h", server, "-p", queue, "-E", "-v", "socket://127.0.0.1:9/", "-m", "raw"])
        defer { Task { _ = try? await Command.run("lpadmin", ["-h", server, "-x", queue]) } }
        let service = try await APIService.start(.sqlite, environment: ["CUPS_SERVER": server])
        defer { service.serve.killIfRunning() }
        let missing = try await service.request("PUT", "/api/v1/printers/office", body: try service.json(["uri": "cups://no-such-queue", "language": "png", "dpi": 300]))
        #expect(missing.status == 422, "\(missing.text)")
        #expect(missing.text.contains("no-such-queue") && missing.text.contains(queue), "\(missing.text)")
        #expect(try await service.request("GET", "/api/v1/printers/office", role: "viewer").status == 404)
        let added = try await service.request("PUT", "/api/v1/printers/office", body: try service.json(["uri": "cups://\(queue)", "language": "png", "dpi": 300]))
        #expect(added.status == 201, "\(added.text)")
        try await service.stop()
    }
}

import Foundation
import Testing

extension APITests {
    /// A production line driven over HTTP: a client starts a run of a lot-tracked product, a
    /// verify scanner's reads come in as scans with purpose verify, and the run's report says
    /// what was verified; each verified unit is in stock.
    @Test(arguments: Backend.available)
    func aProductionRunOverHTTP(backend: Backend) async throws {
        let service = try await APIService.start(backend, stations: """
              line-1:
                kind: production
                warehouse: MAIN
                printer: dock-label
                template: gs1-lot-100x50
            """)
        defer { service.serve.killIfRunning() }
        let expiry = relativeDate(days: 365, format: "yyyy-MM-dd")
        let refused = try await service.request("POST", "/api/v1/stations/line-1/task", role: "operator",
                                                body: try service.json(["product": "PAINT-5L", "count": 2]))
        // Refused, the command did not happen: a 409 problem a client checking only the status
        // sees, with the station's outcome (its reasons, what to do next) inside.
        #expect(refused.status == 409 && refused.code == "command-refused", "\(refused.text)")
        #expect(refused.headers["content-type"] == "application/problem+json")
        let outcome = try #require(refused.object["outcome"] as? [String: Any])
        #expect((outcome["reasons"] as? [[String: Any]])?.first?["code"] as? String == "expiry-needed", "\(refused.text)")
        #expect(outcome["verdict"] as? String == "block")
        #expect((refused.object["detail"] as? String)?.contains("expiry") == true, "\(refused.text)")
        let both = try await service.request("POST", "/api/v1/stations/line-1/task", role: "operator",
                                             body: try service.json(["product": "PAINT-5L", "count": 2, "customer": "SHOP"]))
        #expect(both.status == 422)
        let started = try await service.request("POST", "/api/v1/stations/line-1/task", role: "operator",
                                                body: try service.json(["product": "PAINT-5L", "count": 2, "expiry": expiry]))
        #expect(started.object["action"] as? String == "run-started", "\(started.text)")
        // One run at a time: a second is refused while the first is open.
        let second = try await service.request("POST", "/api/v1/stations/line-1/task", role: "operator",
                                               body: try service.json(["product": "PAINT-5L", "count": 1, "expiry": expiry]))
        #expect(second.status == 409 && second.code == "command-refused", "\(second.text)")

        let state = try await service.request("GET", "/api/v1/stations/line-1", role: "viewer")
        let task = try #require(state.object["task"] as? [String: Any])
        let run = try #require(task["run"] as? [String: Any])
        let lot = try #require(run["lot"] as? String)
        let id = try #require(run["run"] as? Int)
        let label = "(01)09501101530003(17)\(relativeDate(days: 365, format: "yyMMdd"))(10)\(lot)"
        for index in 0..<2 {
            let verified = try await service.request("POST", "/api/v1/stations/line-1/scans", role: "operator",
                                                     body: try service.json(["raw": label, "purpose": "verify", "scanId": "verify-\(index)"]))
            #expect(verified.object["action"] as? String == "unit-verified", "\(verified.text)")
        }
        let done = try await service.request("POST", "/api/v1/stations/line-1/task/complete", role: "operator")
        #expect(done.object["action"] as? String == "run-closed", "\(done.text)")
        let report = try await service.request("GET", "/api/v1/stations/line-1/runs/\(id)", role: "viewer")
        #expect(report.status == 200)
        #expect(report.object["verified"] as? Int == 2, "\(report.text)")
        #expect(report.object["state"] as? String == "closed")
        #expect(try await service.request("GET", "/api/v1/stations/line-1/runs/\(id + 100)", role: "viewer").status == 404)
        let resolved = try await service.request("GET", "/api/v1/resolve?code=\(label.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
                                                 role: "viewer")
        let stock = (resolved.object["stock"] as? [[String: Any]]) ?? []
        #expect(stock.contains { $0["warehouse"] as? String == "MAIN" && "\($0["quantity"] ?? "")" == "2" }, "\(resolved.text)")
        try await service.stop()
    }
}

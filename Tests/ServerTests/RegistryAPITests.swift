import Foundation
import Testing

extension APITests {
    /// The registry over HTTP as an ERP would use it: products paged and changed only with the
    /// ETag read (428 without, 412 when stale), a receipt posted, stock read as JSON and CSV, a lot
    /// quarantined by a supervisor with its ETag, found by status, and overrides kept to supervisors.
    @Test(arguments: Backend.available)
    func theRegistryOverHTTP(backend: Backend) async throws {
        let service = try await APIService.start(backend)
        defer { service.serve.killIfRunning() }
        let first = try await service.request("GET", "/api/v1/products?limit=1", role: "viewer")
        #expect((first.object["items"] as? [[String: Any]])?.count == 1)
        let cursor = try #require(first.object["nextCursor"] as? String)
        let second = try await service.request("GET", "/api/v1/products?limit=1&cursor=\(cursor)", role: "viewer")
        #expect((second.object["items"] as? [[String: Any]])?.first?["article"] as? String != (first.object["items"] as? [[String: Any]])?.first?["article"] as? String)

        let product = try await service.request("GET", "/api/v1/products/PAINT-5L", role: "viewer")
        let tag = try #require(product.headers["etag"])
        var changed = product.object
        changed["description"] = "Floor paint, 5 l, grey"
        let body = try service.json(changed)
        #expect(try await service.request("PUT", "/api/v1/products/PAINT-5L", body: body).status == 428)
        #expect(try await service.request("PUT", "/api/v1/products/PAINT-5L", body: body, headers: ["If-Match": "\"stale\""]).status == 412)
        let updated = try await service.request("PUT", "/api/v1/products/PAINT-5L", body: body, headers: ["If-Match": tag])
        #expect(updated.status == 200, "\(updated.text)")
        #expect(updated.object["description"] as? String == "Floor paint, 5 l, grey")
        #expect(updated.headers["etag"] != tag)
        // The first client's change, made from what it read before, is now refused.
        #expect(try await service.request("PUT", "/api/v1/products/PAINT-5L", body: body, headers: ["If-Match": tag]).code == "precondition-failed")

        let expiry = relativeDate(days: 200, format: "yyyy-MM-dd")
        let receipt = try await service.request("POST", "/api/v1/documents/receipt", role: "operator", body: try service.json([
            "warehouse": "MAIN", "supplier": "ACME",
            "lines": [["product": "PAINT-5L", "picks": [["number": "ERP-1", "quantity": 7, "expiry": expiry]]]],
        ]))
        #expect(receipt.status == 201, "\(receipt.text)")
        #expect((receipt.object["number"] as? String)?.hasPrefix("RCT-") == true)
        let stock = try await service.request("GET", "/api/v1/stock?product=PAINT-5L&warehouse=MAIN", role: "viewer")
        let lots = (stock.object["items"] as? [[String: Any]]) ?? []
        #expect(lots.contains { $0["number"] as? String == "ERP-1" && "\($0["quantity"] ?? "")" == "7" }, "\(stock.text)")
        let csv = try await service.request("GET", "/api/v1/stock?product=PAINT-5L&format=csv", role: "viewer")
        #expect(csv.text.hasPrefix("product,warehouse,number,quantity,unit,status,expiry\r\n"))
        #expect(csv.text.contains("PAINT-5L,MAIN,ERP-1,7,pcs,available,\(expiry)"), "\(csv.text)")
        let overridden = try await service.request("POST", "/api/v1/documents/issue", role: "operator", body: try service.json([
            "warehouse": "MAIN", "lines": [["product": "PAINT-5L", "quantity": 1]], "allowExpired": true,
        ]))
        #expect(overridden.status == 403)

        let lot = try await service.request("GET", "/api/v1/products/PAINT-5L/lots/ERP-1", role: "viewer")
        let lotTag = try #require(lot.headers["etag"])
        let quarantine = try service.json(["status": "quarantined", "reason": "supplier complaint 42"])
        #expect(try await service.request("POST", "/api/v1/products/PAINT-5L/lots/ERP-1/status", role: "operator", body: quarantine,
                                          headers: ["If-Match": lotTag]).status == 403)
        let held = try await service.request("POST", "/api/v1/products/PAINT-5L/lots/ERP-1/status", role: "supervisor", body: quarantine,
                                             headers: ["If-Match": lotTag])
        #expect(held.object["status"] as? String == "quarantined", "\(held.text)")
        let found = try await service.request("GET", "/api/v1/lots?product=PAINT-5L&status=quarantined", role: "viewer")
        #expect(((found.object["items"] as? [[String: Any]]) ?? []).map { $0["number"] as? String } == ["ERP-1"])
        let history = try await service.request("GET", "/api/v1/products/PAINT-5L/lots/ERP-1/history", role: "viewer")
        #expect(history.text.contains("supplier complaint 42"), "\(history.text)")
        #expect(history.text.contains("supervisor-client"))
        try await service.stop()
    }
}

import Foundation
import Registry

/// Reports, traceability and recall over HTTP: the expiry report (JSON or CSV), the trace of a
/// lot both ways (JSON or Graphviz DOT), and a recall's workflow (open, hold, show with its exposure list as JSON or CSV, close) as a
/// supervisor's.
extension APIRoutes {
    static let recallRoutes: [APIRoute] = [
        APIRoute(.get, "/api/v1/trace/{article}/{number}", "trace", role: .viewer) { call in
            let direction: TraceTree.Direction
            switch call.query["direction"] {
            case nil, "forward": direction = .forward
            case "backward": direction = .backward
            case let other?: throw APIProblem.badRequest("direction must be forward or backward, not \(other)")
            }
            let depth = try call.query["depth"].map { text -> Int in
                guard let depth = Int(text), (1...1000).contains(depth) else { throw APIProblem.badRequest("depth must be from 1 to 1000") }
                return depth
            } ?? 50
            let tree = try await call.environment.registry.trace(product: try call.parameter("article"), number: try call.parameter("number"),
                                                                 direction: direction, depth: depth)
            switch call.query["format"] {
            case nil, "json": return try .json(tree)
            case "dot": return .text(tree.dot, contentType: "text/vnd.graphviz; charset=utf-8")
            case let other?: throw APIProblem.badRequest("format must be json or dot, not \(other)")
            }
        },
        APIRoute(.get, "/api/v1/reports/expiry", "expiryReport", role: .viewer) { call in
            guard let text = call.query["within"] else { throw APIProblem.badRequest("give within: the days from today, 0 to 36500") }
            guard let within = Int(text), (0...36_500).contains(within) else {
                throw APIProblem.badRequest("within must be a whole number of days from 0 to 36500, not \(text)")
            }
            let report = try await call.environment.registry.expiryReport(within: within, warehouse: call.filter("warehouse"),
                                                                          product: call.filter("product"), includeSold: try call.flag("includeSold"))
            return try call.wantsCSV() ? .text(report.csv, contentType: "text/csv; charset=utf-8") : try .json(report)
        },
        APIRoute(.get, "/api/v1/reports/movements", "movementReport", role: .viewer) { call in
            guard let from = try APIRoutes.queryDate(call, "from"), let through = try APIRoutes.queryDate(call, "to") else {
                throw APIProblem.badRequest("give from and to: the first and last day, as YYYY-MM-DD")
            }
            let kind = try call.filter("kind").map { text in
                guard let kind = DocumentKind(rawValue: text) else {
                    throw APIProblem.badRequest("kind \(text) is not one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
            let report = try await call.environment.registry.movementReport(
                from: from, through: through, product: call.filter("product"), number: call.filter("number"),
                warehouse: call.filter("warehouse"), partner: call.filter("partner"), kind: kind)
            return try call.wantsCSV() ? .text(report.csv, contentType: "text/csv; charset=utf-8") : try .json(report)
        },
        APIRoute(.get, "/api/v1/reports/balance", "balanceReport", role: .viewer) { call in
            guard let at = try APIRoutes.queryDate(call, "at") else {
                throw APIProblem.badRequest("give at: the day, as YYYY-MM-DD")
            }
            let report = try await call.environment.registry.balance(at: at, product: call.filter("product"), warehouse: call.filter("warehouse"))
            return try call.wantsCSV() ? .text(report.csv, contentType: "text/csv; charset=utf-8") : try .json(report)
        },
        APIRoute(.get, "/api/v1/reports/valuation", "valuationReport", role: .viewer) { call in
            guard let at = try APIRoutes.queryDate(call, "at") else {
                throw APIProblem.badRequest("give at: the day, as YYYY-MM-DD")
            }
            let report = try await call.environment.registry.valuation(at: at, product: call.filter("product"), warehouse: call.filter("warehouse"))
            return try call.wantsCSV() ? .text(report.csv, contentType: "text/csv; charset=utf-8") : try .json(report)
        },
        APIRoute(.get, "/api/v1/periods", "listPeriods", role: .viewer) { call in
            try .json(try await call.environment.registry.closedPeriods())
        },
        APIRoute(.post, "/api/v1/periods/{period}/close", "closePeriod", role: .supervisor) { call in
            try .json(try await call.environment.registry.closePeriod(try call.parameter("period"), user: call.user), status: 201)
        },
        APIRoute(.post, "/api/v1/periods/{period}/reopen", "reopenPeriod", role: .supervisor) { call in
            struct Body: Decodable { var reason: String }
            let reason = try call.decode(Body.self, shape: JSONShape(["reason"])).reason
            return try .json(try await call.environment.registry.reopenPeriod(try call.parameter("period"), reason: reason, user: call.user))
        },
        APIRoute(.get, "/api/v1/period-reopenings", "listPeriodReopenings", role: .viewer) { call in
            try .json(try await call.environment.registry.periodReopenings())
        },
        APIRoute(.get, "/api/v1/recalls", "listRecalls", role: .viewer) { call in
            try .json(try await call.environment.registry.recalls())
        },
        APIRoute(.post, "/api/v1/recalls", "openRecall", role: .supervisor) { call in
            struct Body: Decodable { var product: String; var numbers: [String]; var reason: String }
            let body = try call.decode(Body.self, shape: JSONShape(["product", "numbers", "reason"], name: "a recall"))
            guard (1...1000).contains(body.numbers.count) else {
                throw APIProblem(422, "invalid-input", "name from 1 to 1000 lots or serials to recall")
            }
            return try .json(try await call.environment.registry.openRecall(product: body.product, numbers: body.numbers,
                                                                            reason: body.reason, user: call.user), status: 201)
        },
        APIRoute(.get, "/api/v1/recalls/{id}", "getRecall", role: .viewer) { call in
            let report = try await call.environment.registry.recallReport(try recallID(call))
            return try call.wantsCSV() ? .text(report.exposureCSV, contentType: "text/csv; charset=utf-8") : try .json(report)
        },
        APIRoute(.post, "/api/v1/recalls/{id}/hold", "holdRecall", role: .supervisor) { call in
            try .json(try await call.environment.registry.holdRecall(try recallID(call), user: call.user))
        },
        APIRoute(.post, "/api/v1/recalls/{id}/close", "closeRecall", role: .supervisor) { call in
            struct Body: Decodable { var note: String }
            return try .json(try await call.environment.registry.closeRecall(try recallID(call), note: try call.decode(Body.self, shape: JSONShape(["note"])).note,
                                                                             user: call.user))
        },
    ]

    private static func recallID(_ call: APICall) throws -> Int {
        guard let id = Int(try call.parameter("id")), id > 0 else { throw APIProblem.badRequest("a recall id is a positive number") }
        return id
    }
}

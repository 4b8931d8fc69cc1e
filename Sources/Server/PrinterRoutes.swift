import Foundation
import Printing

/// Printers over HTTP: one printer with its ETag, its live status (asked of the printer now), and
/// an admin's changes: `PUT` adds a printer or, with `If-Match`, replaces its configuration;
/// `DELETE` removes one that has no unfinished jobs (its finished jobs and history are kept). A printer's URI is set only by an admin. A
/// running `serve` starts a worker for a printer added here within seconds.
extension APIRoutes {
    static let printerRoutes: [APIRoute] = [
        APIRoute(.get, "/api/v1/printers/{name}", "getPrinter", role: .viewer) { call in
            let printer = try await configured(call)
            var response = try APIResponse.json(view(printer))
            response.headers["ETag"] = try etag(printer.config)
            return response
        },
        APIRoute(.put, "/api/v1/printers/{name}", "putPrinter", role: .admin) { call in
            let name = try call.parameter("name")
            let body = try call.decode(PrinterBody.self, shape: JSONShape(["uri", "language", "dpi", "widthMillimetres", "lengthMillimetres"]))
            let config = try body.config(name: name)
            // A queue the CUPS server does not have is refused now, as by `printers add`.
            if case .cups(let queue) = try PrinterAddress(parsing: config.uri),
               case .missing(let known) = await CUPSQueueCheck.check(queue) {
                throw CUPSQueueCheck.refusal(queue, uri: config.uri, known: known, bypass: "")
            }
            let spool = call.environment.spool
            let existing = try await spool.printers(named: name).first
            if let existing { try precondition(call, current: existing.config) }
            // If-Match names a printer that is not there (deleted since it was read): nothing to
            // match, so refused, not made anew from a stale read (found by a QA run).
            if existing == nil, call.headers["if-match"] != nil {
                throw APIProblem(412, "precondition-failed", "printer \(name) does not exist (any more): If-Match matches nothing; PUT it without If-Match to add it")
            }
            // Checked again in the write's transaction, the row locked: a compare-and-set. A printer
            // added meanwhile by another request is held to If-Match as one read here (a 428
            // without it), not refused with the command line's --replace.
            let headers = call.headers
            try await spool.addPrinter(config, replace: true, expecting: ifMatch(headers))
            let printer = try await configured(call)
            var response = try APIResponse.json(view(printer), status: existing == nil ? 201 : 200)
            response.headers["ETag"] = try etag(printer.config)
            return response
        },
        APIRoute(.delete, "/api/v1/printers/{name}", "deletePrinter", role: .admin) { call in
            let printer = try await configured(call)
            try precondition(call, current: printer.config)
            let headers = call.headers
            try await call.environment.spool.removePrinter(printer.config.name, expecting: ifMatch(headers))
            return try .json(["removed": printer.config.name])
        },
        APIRoute(.get, "/api/v1/printers/{name}/status", "printerStatus", role: .viewer) { call in
            let printer = try await configured(call)
            let spool = call.environment.spool
            let transport = try Transports.make(printer.config)
            let status = await transport.status()
            await transport.close()
            try await spool.recordState(printer: printer.config.name, status)
            return try .json(status)
        },
    ]

    /// What an admin sets of a printer; the rest keeps its defaults.
    struct PrinterBody: Decodable {
        var uri: String
        var language: PrinterLanguage
        var dpi: Int?
        var widthMillimetres: Double?
        var lengthMillimetres: Double?

        func config(name: String) throws -> PrinterConfig {
            guard !name.isEmpty, name.count <= 64, !name.hasPrefix("."), name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw APIProblem(422, "invalid-input", "printer name \(name): use 1 to 64 letters, digits, -, _ or ., not starting with .")
            }
            if let dpi, ![152, 203, 300, 600].contains(dpi) {
                throw APIProblem(422, "invalid-input", "dpi \(dpi) is not one of 152, 203, 300, 600")
            }
            for (what, value) in [("widthMillimetres", widthMillimetres), ("lengthMillimetres", lengthMillimetres)] {
                if let value, !(value > 0 && value <= 2000) { throw APIProblem(422, "invalid-input", "\(what) \(value) is not more than 0 and at most 2000") }
            }
            do {
                _ = try PrinterAddress(parsing: uri)
            } catch {
                throw APIProblem(422, "invalid-input", "uri \(uri): \(error.message)")
            }
            return PrinterConfig(name: name, uri: uri, language: language, dpi: dpi ?? 203,
                                 widthMillimetres: widthMillimetres, lengthMillimetres: lengthMillimetres)
        }
    }

    private static func configured(_ call: APICall) async throws -> Spool.ConfiguredPrinter {
        let name = try call.parameter("name")
        guard let printer = try await call.environment.spool.printers(named: name).first else {
            throw APIProblem(404, "not-found", "there is no printer \(name)")
        }
        return printer
    }

    static func view(_ printer: Spool.ConfiguredPrinter) -> PrinterView {
        PrinterView(name: printer.config.name, uri: printer.config.uri, language: printer.config.language.rawValue,
                    dpi: printer.config.dpi, state: printer.state, stateMessage: printer.stateMessage, stateAt: printer.stateAt,
                    queued: printer.queued, held: printer.held)
    }
}

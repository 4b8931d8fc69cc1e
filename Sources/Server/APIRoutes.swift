import Foundation
import GS1
import Hummingbird
import NIOCore
import ServiceLifecycle
import Devices
import Labels
import Printing
import Registry
import SQLKit
import Stations
import Store

/// Every operation of the API, in one table: the router registers these, and the test that
/// holds the OpenAPI document to the server compares the document with them.
public enum APIRoutes {
    public static let all: [APIRoute] = [
        APIRoute(.get, "/api/v1/healthz", "healthz", role: nil) { _ in try .json(["status": "alive"]) },
        APIRoute(.get, "/api/v1/readyz", "readyz", role: nil, readyz),
        APIRoute(.get, "/api/v1/openapi.yaml", "openapi", role: nil) { _ in
            .text(OpenAPIDocument.yaml, contentType: "application/yaml")
        },
        APIRoute(.get, "/api/v1/resolve", "resolve", role: .viewer, resolve),
        APIRoute(.get, "/api/v1/stations", "listStations", role: .viewer, listStations),
        APIRoute(.get, "/api/v1/stations/{id}", "getStation", role: .viewer, getStation),
        APIRoute(.post, "/api/v1/stations/{id}/scans", "postScan", role: .operator, postScan),
        APIRoute(.post, "/api/v1/stations/{id}/scans/{scan}/confirm", "confirmScan", role: .supervisor, confirmScan),
        APIRoute(.post, "/api/v1/stations/{id}/task/complete", "completeTask", role: .operator) { call in
            try await control(call, "TM:DONE")
        },
        APIRoute(.post, "/api/v1/stations/{id}/task/cancel", "cancelTask", role: .operator) { call in
            try await control(call, "TM:CANCEL")
        },
        APIRoute(.delete, "/api/v1/stations/{id}/task/lines/{line}", "removeTaskLine", role: .operator) { call in
            guard let line = Int64(try call.parameter("line")), line > 0 else { throw APIProblem.badRequest("a line is named by its id, a positive number") }
            return try await control(call, "TM:UNDO:\(line)")
        },
        APIRoute(.post, "/api/v1/stations/{id}/task", "openTask", role: .operator, openTask),
        APIRoute(.get, "/api/v1/stations/{id}/runs/{run}", "getRun", role: .viewer, getRun),
        APIRoute(.post, "/api/v1/sessions", "signIn", role: nil, signIn),
        APIRoute(.get, "/api/v1/sessions/current", "getSession", role: .operator) { call in
            guard let caller = call.caller, let session = try await OperatorSessions(store: call.environment.registry.store).session(of: caller) else {
                throw APIProblem(404, "not-found", "this token is an API token, not an operator's session")
            }
            return try .json(session)
        },
        APIRoute(.delete, "/api/v1/sessions/current", "signOut", role: .operator) { call in
            guard let caller = call.caller, try await OperatorSessions(store: call.environment.registry.store).end(caller) else {
                throw APIProblem(404, "not-found", "this token is an API token, not an operator's session: revoke it with tracemark token revoke")
            }
            return try .json(["signedOut": true])
        },
        APIRoute(.get, "/api/v1/scans", "listScans", role: .viewer, listScans),
        APIRoute(.get, "/api/v1/printers", "listPrinters", role: .viewer, listPrinters),
        APIRoute(.get, "/api/v1/jobs", "listJobs", role: .viewer, listJobs),
        APIRoute(.get, "/api/v1/jobs/{id}", "getJob", role: .viewer, getJob),
        APIRoute(.get, "/api/v1/jobs/{id}/history", "jobHistory", role: .viewer) { call in
            let id = try jobID(call)
            _ = try await call.environment.spool.job(id)
            struct Step: Encodable { var at: String; var state: String; var message: String }
            return try .json(try await call.environment.spool.events(job: id).map { Step(at: $0.at, state: $0.state.rawValue, message: $0.message) })
        },
        APIRoute(.post, "/api/v1/jobs", "createJob", role: .operator, createJob),
        APIRoute(.post, "/api/v1/jobs/{id}/retry", "retryJob", role: .operator) { call in
            let id = try jobID(call)
            try await call.environment.spool.retry(id, by: call.user)
            return try await showJob(call, id)
        },
        APIRoute(.post, "/api/v1/jobs/{id}/cancel", "cancelJob", role: .supervisor) { call in
            let id = try jobID(call)
            try await call.environment.spool.cancel(id, by: call.user)
            return try await showJob(call, id)
        },
        APIRoute(.post, "/api/v1/jobs/{id}/move", "moveJob", role: .operator) { call in
            let id = try jobID(call)
            struct Body: Decodable { var printer: String }
            // The job the labels now wait in, under its new id, as a reprint answers its copy:
            // the old one, cancelled, was answered, and a client had to read its history's text
            // to follow the labels (found by a QA run).
            let moved = try await call.environment.spool.move(id, to: try call.decode(Body.self, shape: JSONShape(["printer"])).printer)
            return try await showJob(call, moved, status: 201)
        },
        APIRoute(.post, "/api/v1/jobs/{id}/reprint", "reprintJob", role: .supervisor, reprintJob),
        APIRoute(.post, "/api/v1/templates/{name}/render", "renderTemplate", role: .operator) { call in
            try await render(call, preview: false)
        },
        APIRoute(.post, "/api/v1/templates/{name}/preview", "previewTemplate", role: .viewer) { call in
            try await render(call, preview: true)
        },
        APIRoute(.get, "/api/v1/events", "events", role: .viewer, events),
        APIRoute(.get, "/api/v1/metrics", "metrics", role: .viewer) { call in
            .text(try await call.environment.metrics.scrape(store: call.environment.registry.store),
                  contentType: "text/plain; version=0.0.4; charset=utf-8")
        },
        APIRoute(.get, "/api/v1/tokens", "listTokens", role: .admin) { call in try .json(try await call.environment.tokens.list()) },
    ] + registryRoutes + printerRoutes + recallRoutes

    // MARK: Health

    private static func readyz(_ call: APICall) async throws -> APIResponse {
        do {
            _ = try await call.environment.registry.store.read { db in try await db.raw("SELECT 1 AS one").first() }
        } catch {
            throw APIProblem(503, "not-ready", "the database does not answer: \(DatabaseErrors.readable(error) ?? "\(error)")")
        }
        // Ready is able to take scans: a database that answers reads but whose writes wait for
        // another connection's lock (another process's SQLite write transaction, a PostgreSQL
        // LOCK TABLE) refused every scan with 503 while this said ready (found by a QA run).
        let store = call.environment.registry.store
        do {
            try await store.write { db in
                guard store.kind == .postgres else { return }  // SQLite: BEGIN IMMEDIATE took the write lock
                try await db.raw("SET LOCAL lock_timeout = '1s'").run()
                try await db.raw("LOCK TABLE station_scans, print_jobs, number_series, lot_serials, movements IN ROW EXCLUSIVE MODE").run()
            }
        } catch {
            throw APIProblem(503, "not-ready",
                "the database answers, but its writes wait for another connection's lock: \((error as? StoreError)?.message ?? DatabaseErrors.readable(error) ?? "\(error)")")
        }
        return try .json(["status": "ready", "database": "writable"])
    }

    // MARK: Resolve

    private static func resolve(_ call: APICall) async throws -> APIResponse {
        guard let code = call.query["code"], !code.isEmpty else { throw APIProblem.badRequest("give the scanned code: ?code=…") }
        let days = try call.query["expiryWarningDays"].map { text -> Int in
            guard let days = Int(text), (0...100_000).contains(days) else {
                throw APIProblem.badRequest("expiryWarningDays must be a whole number of days from 0 to 100000")
            }
            return days
        } ?? 30
        let parser = GS1Parser(.scanning(lenient: try call.flag("lenient")))
        let warehouse = call.filter("warehouse")
        if let warehouse { try await call.environment.registry.checkWarehouse(warehouse) }
        let start = ContinuousClock.now
        let resolution = try await call.environment.registry.resolve(code, parser: parser,
            options: ResolveOptions(expiryWarningDays: days, warehouse: warehouse))
        StationMetrics.resolved(source: "api", in: ContinuousClock.now - start)
        return try .json(resolution)
    }

    // MARK: Stations

    private static func station(_ call: APICall) throws -> Station {
        let name = try call.parameter("id")
        guard let station = call.environment.stations[name] else {
            throw APIProblem(404, "not-found", "no station \(name) is configured in this service")
        }
        return station
    }

    private static func listStations(_ call: APICall) async throws -> APIResponse {
        var states: [StationState] = []
        // A session sees its own station only.
        for name in call.environment.stations.keys.sorted() where call.caller?.station.map({ $0 == name }) ?? true {
            states.append(try await call.environment.stations[name]!.state())
        }
        return try .json(states)
    }

    private static func getStation(_ call: APICall) async throws -> APIResponse {
        try .json(try await station(call).state())
    }

    struct ScanBody: Decodable {
        var raw: String
        var scanId: String?
        var symbologyId: String?
        /// `verify`: a production line's verify scanner read it.
        var purpose: StationScan.Purpose?
    }

    private static func postScan(_ call: APICall) async throws -> APIResponse {
        // Unknown fields refused, as every body: `scanID` for `scanId` silently lost the scan's
        // deduplication (found by a QA run).
        let body = try call.decode(ScanBody.self, shape: JSONShape(["raw", "scanId", "symbologyId", "purpose"]))
        // Both break the body's schema (minLength, pattern): 400, as every other schema error.
        guard !body.raw.isEmpty else { throw APIProblem.badRequest("raw is empty: send what the scanner read") }
        // An empty id is no id: two scans sent with "" were one scan sent twice (a QA run's second
        // scan was refused as a reuse of the first's id).
        if let id = body.scanId, id.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIProblem.badRequest("scanId is empty: give each scan an id of its own, or leave scanId out")
        }
        // An id, as an Idempotency-Key is: 9,000 characters failed on PostgreSQL's index with
        // the database's words as the scan's verdict, on every retry (found by a QA run).
        if let id = body.scanId, !(1...255).contains(id.utf8.count) || !id.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            throw APIProblem.badRequest("scanId must be 1 to 255 visible ASCII characters (a UUID, say), not \(id.utf8.count > 40 ? "\(id.utf8.count) bytes" : id.debugDescription)")
        }
        // As long as a scanner's scan may be (8,192 bytes, far more than any barcode holds): a
        // megabyte sent as one was logged whole, and every page of the scan log and event of the
        // feed carried it (found by a QA run).
        let longest = ScanFraming.defaultMaximumLength
        guard body.raw.unicodeScalars.count <= longest else {
            throw APIProblem.badRequest("raw is \(body.raw.unicodeScalars.count) characters: a scan is at most \(longest) (no barcode holds more); send what the scanner read")
        }
        // As the GS1 parser reads one, with the schema's letter for the symbology (`]` letter modifier).
        if let id = body.symbologyId {
            guard id.utf8.count == 3, let parsed = SymbologyIdentifier(prefixOf: id), parsed.code.isASCII, parsed.code.isLetter else {
                throw APIProblem.badRequest("symbologyId \(id) is not an AIM symbology identifier such as ]C1, ]d2 or ]Q3")
            }
        }
        return try await scan(call, data: Array(body.raw.utf8), symbologyID: body.symbologyId, scanID: body.scanId,
                              purpose: body.purpose ?? .operator)
    }

    /// A scan through the station, exactly as a scanner's: the same actor, rules and scan log.
    private static func scan(_ call: APICall, data: [UInt8], symbologyID: String?, scanID: String?,
                             purpose: StationScan.Purpose = .operator) async throws -> APIResponse {
        try .json(try await handle(call, data: data, symbologyID: symbologyID, scanID: scanID, purpose: purpose))
    }

    /// The station's outcome of a scan sent over HTTP.
    private static func handle(_ call: APICall, data: [UInt8], symbologyID: String?, scanID: String?,
                               purpose: StationScan.Purpose = .operator) async throws -> ScanOutcome {
        let station = try station(call)
        guard await station.isHeldHere else {
            let holder = await station.holderDescription().map { " (\($0))" } ?? ""
            throw APIProblem(409, "station-elsewhere",
                             "station \(station.configuration.name) is run by another tracemark process\(holder): send its scans there")
        }
        try await checkBadgeCodes(call, data, station: station.configuration.name)
        if let scanID, let earlier = try await station.loggedData(scanID), earlier != data {
            throw APIProblem(422, "scan-id-reused",
                             "scanId \(scanID) was used at station \(station.configuration.name) for another scan (\(String(decoding: earlier, as: UTF8.self).debugDescription)): give each scan its own id")
        }
        var scan = StationScan(data: data, symbologyIdentifier: symbologyID, device: "api", scanID: scanID, user: call.user, purpose: purpose)
        // Two clients at one station (two tablets, two sessions) each keep their own part of a
        // label split over two barcodes.
        scan.scanner = "api:\(call.caller?.session.map { "session \($0)" } ?? call.user)"
        let outcome = await station.handle(scan)
        // The database was locked or out of reach: nothing was written, not even the scan's log
        // entry. Not a verdict on the scan, but "try again", as every other operation says it.
        if outcome.scan == nil, let reason = outcome.reasons.first,
           let code = ["database-locked": "locked", "database-unavailable": "unavailable"][reason.code] {
            throw APIProblem(503, code, reason.message, headers: ["Retry-After": "1"])
        }
        return outcome
    }

    /// A badge scanned at a station is its holder there in person; sent over HTTP it is only text,
    /// so `TM:OK:<badge>` (a supervisor's approval) and `TM:OP:<badge>` (who works the station)
    /// may not claim more than the caller is: an approval needs a supervisor's token or session
    /// (a session approves with its own badge only), a session signs in with `POST /sessions`
    /// rather than by another badge, and a token signs in no badge of a higher role than its own.
    private static func checkBadgeCodes(_ call: APICall, _ data: [UInt8], station: String) async throws {
        let text = String(decoding: data, as: UTF8.self)
        // In either case, as the station reads control codes.
        let word = text.prefix(6).uppercased()
        let approve = word == "TM:OK:", signIn = word == "TM:OP:"
        guard approve || signIn, let caller = call.caller else { return }
        let badge = String(text.dropFirst(6))
        if approve {
            guard caller.role >= .supervisor else {
                throw APIProblem(403, "forbidden", "TM:OK approves with a supervisor's badge: over HTTP it needs a supervisor's session or token (\(caller.user ?? caller.name) is \(caller.role.rawValue)); a supervisor confirms with POST /api/v1/stations/\(station)/scans/{scan}/confirm")
            }
            if caller.session != nil, let own = caller.user, own != badge {
                throw APIProblem(403, "forbidden", "a session approves with its own badge (\(own)), not with \(badge)")
            }
            // A token is no person: TM:OK:<badge> through it would record that badge's holder as
            // having confirmed at the station (a QA run did so in another supervisor's name).
            if caller.session == nil {
                throw APIProblem(403, "forbidden",
                    "TM:OK:\(badge) would confirm in \(badge)'s name, and token \(caller.name) is not \(badge): confirm with POST /api/v1/stations/\(station)/scans/{scan}/confirm (recorded under the token's name), or sign in as \(badge) with POST /api/v1/sessions")
            }
            return
        }
        guard caller.session == nil else {
            throw APIProblem(403, "forbidden", "this session is signed in as \(caller.user ?? "its operator"): sign out, then sign in as \(badge) with POST /api/v1/sessions")
        }
        if let person = try await Operators(prepared: call.environment.registry.store).find(badge: badge), person.role == .supervisor,
           caller.role < .supervisor {
            throw APIProblem(403, "forbidden", "badge \(badge) is a supervisor's: an \(caller.role.rawValue) token cannot sign it in at the station")
        }
    }

    /// A command to the station's task (open, complete, cancel, remove a line), as its control
    /// code does at the scanner. One the station refuses did not happen: it is a 409 problem
    /// (with the outcome in it), not a 200 that a client checking only the status takes for done.
    /// A scan is different: it happened, whatever the verdict, and is answered 200.
    private static func control(_ call: APICall, _ code: String) async throws -> APIResponse {
        let outcome = try await handle(call, data: Array(code.utf8), symbologyID: nil, scanID: call.headers["idempotency-key"].map { "api:\($0)" })
        if outcome.verdict == .block { throw CommandRefused(outcome: outcome) }
        return try .json(outcome)
    }

    struct OpenTaskBody: Decodable {
        /// Picking: the customer the goods go to.
        var customer: String?
        /// Production: the run's product, its count, and the expiry of what it makes.
        var product: String?
        var count: Int?
        var expiry: String?
    }

    /// Opens a pick (`customer`) or a production run (`product`, `count`, `expiry`), as the
    /// control codes `TM:PICK` and `TM:RUN` do.
    private static func openTask(_ call: APICall) async throws -> APIResponse {
        let body = try call.decode(OpenTaskBody.self, shape: JSONShape(["customer", "product", "count", "expiry"]))
        let code: (String) -> Bool = { !$0.isEmpty && $0.count <= 64 && !$0.contains(":") }
        switch (body.customer, body.product, body.count) {
        case (let customer?, nil, nil):
            guard code(customer) else { throw APIProblem(422, "invalid-input", "customer must be a partner code without ':'") }
            return try await control(call, "TM:PICK:\(customer)")
        case (nil, let product?, let count?):
            guard code(product) else { throw APIProblem(422, "invalid-input", "product must be an article code without ':'") }
            guard (1...10_000).contains(count) else { throw APIProblem(422, "invalid-input", "count must be from 1 to 10000") }
            if let expiry = body.expiry, CalendarDate(iso: expiry) == nil {
                throw APIProblem(422, "invalid-input", "expiry must be a date as YYYY-MM-DD")
            }
            return try await control(call, "TM:RUN:\(product):\(count)" + (body.expiry.map { ":\($0)" } ?? ""))
        default:
            throw APIProblem(422, "invalid-input", "give customer (a pick) or product and count (a production run), not both")
        }
    }

    struct SignInBody: Decodable {
        var station: String
        var badge: String?
        var pin: String?
    }

    /// An operator signs in at a station with a badge or a PIN, and gets a session token bound to
    /// it. Failed attempts slow the station's next ones down (429 with Retry-After).
    private static func signIn(_ call: APICall) async throws -> APIResponse {
        // JSON only: a web page elsewhere can make a browser post a form or text/plain here
        // without asking (no token is needed), and five failures would lock the station's
        // sign-in for every operator (found by a QA run). A JSON post it cannot send unasked.
        guard call.headers["content-type"]?.lowercased().hasPrefix("application/json") == true else {
            throw APIProblem(415, "unsupported-media-type", "sign in with a JSON body, sent with Content-Type: application/json")
        }
        let body = try call.decode(SignInBody.self, shape: JSONShape(["station", "badge", "pin"]))
        guard (body.badge == nil) != (body.pin == nil) else {
            throw APIProblem(422, "invalid-input", "sign in with a badge or with a PIN: give one of them")
        }
        // A PIN that cannot be one, or an empty badge, is a mistake in the request (as the schema
        // says), not a guess: 422, and it does not count towards the station's lock-out.
        if let pin = body.pin, !(4...12).contains(pin.count) || !pin.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw APIProblem(422, "invalid-input", "a PIN is 4 to 12 digits")
        }
        if let badge = body.badge, badge.trimmingCharacters(in: .whitespaces).isEmpty {
            throw APIProblem(422, "invalid-input", "the badge is empty: send what the badge's barcode reads")
        }
        guard let station = call.environment.stations[body.station] else {
            throw APIProblem(404, "not-found", "no station \(body.station) is configured in this service")
        }
        // The throttle of failed sign-ins is kept where the station runs: a process standing by
        // for it would give every guesser five more tries of its own.
        guard await station.isHeldHere else {
            let holder = await station.holderDescription().map { " (\($0))" } ?? ""
            throw APIProblem(409, "station-elsewhere",
                             "station \(body.station) is run by another tracemark process\(holder): sign in there")
        }
        let logins = call.environment.logins
        let wait = await logins.admit(body.station)
        if wait > 0 {
            throw APIProblem(429, "too-many-attempts", "too many failed sign-ins at \(body.station): try again in \(wait) s",
                             headers: ["Retry-After": "\(wait)"])
        }
        let operators = Operators(prepared: call.environment.registry.store)
        let person: StationOperator?
        do {
            person = if let badge = body.badge { try await operators.find(badge: badge) } else { try await operators.identify(pin: body.pin ?? "") }
        } catch {
            await logins.finished(body.station, failed: false)
            throw error
        }
        await logins.finished(body.station, failed: person == nil)
        guard let person else {
            // A new site: a badge scanned at a station's scanner signs in as any badge until the
            // first is added, but a session is an HTTP credential, given to registered operators
            // only. Said so, rather than as an unknown badge (found by a QA run).
            if let badge = body.badge, (try? await operators.lookup(badge: badge)) == .unmanaged {
                throw APIProblem(401, "sign-in-failed",
                    "no operator is registered yet: the station page signs in registered operators only (a station's scanner takes any badge until the first is added); a supervisor adds one with tracemark operator add \(badge) --name \"…\"")
            }
            throw APIProblem(401, "sign-in-failed", body.badge != nil ? "badge \(body.badge ?? "") is not an operator's (tracemark operator add)"
                                                                      : "the PIN is not an operator's")
        }
        await logins.succeeded(body.station)
        let (session, token) = try await OperatorSessions(store: call.environment.registry.store)
            .open(for: person, station: body.station, byPIN: body.badge == nil)
        struct SignedIn: Encodable { var token: String; var session: OperatorSessions.Session }
        return try .json(SignedIn(token: token, session: session), status: 201)
    }

    private static func getRun(_ call: APICall) async throws -> APIResponse {
        let station = try station(call)
        guard let run = Int64(try call.parameter("run")) else { throw APIProblem.badRequest("run must be a run id (a number)") }
        guard let report = try await Station.runReport(call.environment.registry.store, station: station.configuration.name, run: run) else {
            throw APIProblem(404, "not-found", "station \(station.configuration.name) has no run \(run)")
        }
        return try .json(report)
    }

    struct ConfirmBody: Decodable {
        var reason: String
    }

    private static func confirmScan(_ call: APICall) async throws -> APIResponse {
        let station = try station(call)
        guard let scan = Int64(try call.parameter("scan")) else { throw APIProblem.badRequest("scan must be a scan id (a number)") }
        let body = try call.decode(ConfirmBody.self, shape: JSONShape(["reason"]))
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIProblem(422, "invalid-input", "give the reason for the confirmation")
        }
        return try .json(try await station.confirm(scan: scan, reason: body.reason, user: call.user))
    }

    // MARK: The scan log

    struct LoggedScan: Codable {
        var id: Int64
        var station: String
        var device: String
        var raw: String
        /// The bytes in Base64 when they are not UTF-8: `raw` shows those as U+FFFD.
        var rawBase64: String?
        var symbologyId: String?
        var user: String
        var at: String
        var verdict: String
        var reasons: [ScanOutcome.Reason]
        var action: String
        var document: String?
        var jobs: [Int64]
        var next: String

        /// The columns ``init(_:)`` reads.
        static let columns = "id, station, device, raw, symbology, operator, at, verdict, reasons, action, document, jobs, next"

        /// A row of `station_scans`: the scan log as the API and the event feed show it.
        init(_ row: any SQLRow) throws {
            id = try row.decode(column: "id", as: Int64.self)
            station = try row.decode(column: "station", as: String.self)
            device = try row.decode(column: "device", as: String.self)
            let bytes = try row.decode(column: "raw", as: Data.self)
            raw = String(decoding: bytes, as: UTF8.self)
            rawBase64 = String(validating: bytes, as: UTF8.self) == nil ? bytes.base64EncodedString() : nil
            symbologyId = try row.decode(column: "symbology", as: String?.self)
            user = try row.decode(column: "operator", as: String.self)
            at = try row.decode(column: "at", as: String.self)
            verdict = try row.decode(column: "verdict", as: String.self)
            reasons = (try? JSONDecoder().decode([ScanOutcome.Reason].self,
                                                 from: Data(try row.decode(column: "reasons", as: String.self).utf8))) ?? []
            action = try row.decode(column: "action", as: String.self)
            document = try row.decode(column: "document", as: String?.self)
            jobs = try row.decode(column: "jobs", as: String.self).split(separator: ",").compactMap { Int64($0) }
            next = try row.decode(column: "next", as: String.self)
        }
    }

    struct ScanPage: Codable {
        var items: [LoggedScan]
        var nextCursor: String?
    }

    private static func listScans(_ call: APICall) async throws -> APIResponse {
        let page = try Page(call)
        let station = call.filter("station"), verdict = call.query["verdict"]
        if let verdict, ScanOutcome.Verdict(rawValue: verdict) == nil {
            throw APIProblem.badRequest("verdict must be ok, warn or block")
        }
        let rows = try await call.environment.registry.store.read { db in
            var query = SQLQueryString("SELECT \(unsafeRaw: LoggedScan.columns) FROM station_scans WHERE 1 = 1")
            if let station { query = query + " AND station = \(bind: station)" }
            if let verdict { query = query + " AND verdict = \(bind: verdict)" }
            if let before = page.before { query = query + " AND id < \(bind: before)" }
            query = query + " ORDER BY id DESC LIMIT \(literal: page.limit + 1)"
            return try await db.raw(query).all().map(LoggedScan.init)
        }
        // A station neither configured here nor ever logged is a typo: said, not an empty log
        // that reads as "no scans yet" (found by a QA run). One removed from the configuration
        // keeps its log.
        if let station, rows.isEmpty, page.before == nil, call.environment.stations[station] == nil,
           try await call.environment.registry.store.read({ db in
               try await db.raw("SELECT 1 AS x FROM station_scans WHERE station = \(bind: station) LIMIT 1").first() == nil
           }) {
            throw APIProblem(404, "not-found", "no station \(station) is configured in this service, and none of that name has scans in the log")
        }
        let items = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? items.last.map { Page.cursor(after: $0.id) } : nil
        if try call.wantsCSV() {
            var csv = "id,station,device,raw,symbology_id,user,at,verdict,reasons,action,document,jobs,next\r\n"
            for scan in items {
                csv += [String(scan.id), scan.station, scan.device, scan.raw, scan.symbologyId ?? "", scan.user, scan.at, scan.verdict,
                        scan.reasons.map(\.code).joined(separator: " "), scan.action, scan.document ?? "",
                        scan.jobs.map(String.init).joined(separator: " "), scan.next].map(CSVText.field).joined(separator: ",") + "\r\n"
            }
            var response = APIResponse.text(csv, contentType: "text/csv; charset=utf-8")
            if let next { response.headers["Link"] = call.nextLink(cursor: next) }
            return response
        }
        return try .json(ScanPage(items: items, nextCursor: next))
    }

    // MARK: Printers and jobs

    struct PrinterView: Codable {
        var name: String
        var uri: String
        var language: String
        var dpi: Int
        var state: String
        var stateMessage: String
        var stateAt: String?
        var queued: Int
        var held: Int
    }

    private static func listPrinters(_ call: APICall) async throws -> APIResponse {
        try .json(try await call.environment.spool.printers().map(view))
    }

    private static func jobID(_ call: APICall) throws -> Int64 {
        guard let id = Int64(try call.parameter("id")), id > 0 else { throw APIProblem.badRequest("a job id is a positive number") }
        return id
    }

    /// The newest jobs first, of one printer or all, in the states asked for.
    private static func listJobs(_ call: APICall) async throws -> APIResponse {
        let page = try Page(call)
        let states = try (call.query["state"] ?? "").split(separator: ",").map { name -> JobState in
            guard let state = JobState(rawValue: String(name)) else {
                throw APIProblem.badRequest("state \(name) is not one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
        let jobs = try await call.environment.spool.jobs(printer: call.filter("printer"), states: states, limit: page.limit, before: page.before)
        // Past the newest 500 (the most a page holds) a list went no further: a full page's Link
        // header leads to the next (older) one, and the answer stays a plain list.
        var response = try APIResponse.json(jobs.map(PrintJobSummary.init))
        if jobs.count == page.limit, let last = jobs.last { response.headers["Link"] = call.nextLink(cursor: String(last.id)) }
        return response
    }

    private static func getJob(_ call: APICall) async throws -> APIResponse {
        try await showJob(call, try jobID(call))
    }

    private static func showJob(_ call: APICall, _ id: Int64, status: Int = 200) async throws -> APIResponse {
        try .json(PrintJobSummary(try await call.environment.spool.job(id)), status: status)
    }

    struct ReprintBody: Decodable {
        var reason: String
        var printer: String?
    }

    /// A supervisor's reprint: a new job pointing at the original, with the reason on record.
    private static func reprintJob(_ call: APICall) async throws -> APIResponse {
        let id = try jobID(call)
        let body = try call.decode(ReprintBody.self, shape: JSONShape(["reason", "printer"]))
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIProblem(422, "invalid-input", "a reprint needs its reason (a damaged label, say)")
        }
        let copy = try await LabelJobs.reprint(id, printer: body.printer, requestedBy: call.user, reason: body.reason,
                                               spool: call.environment.spool, registry: call.environment.registry)
        return try await showJob(call, copy, status: 201)
    }

    struct PrintBody: Decodable {
        var template: String
        var printer: String
        var copies: Int?
        var reason: String?
        /// Label data, as for render: a JSON object, or a product with a lot or serial.
        var data: JSONValue?
        var product: String?
        var lot: String?
        var serial: String?
        /// The template's sample data, printed as a test label: only when asked for.
        var sample: Bool?
    }

    /// A label from a template onto a printer's queue: rendered for the printer, its barcodes read
    /// back, committed before anything is sent.
    private static func createJob(_ call: APICall) async throws -> APIResponse {
        // `data` is the template's to shape; the body's own fields are checked, so that a misspelt
        // one (`lots` for `lot`) is not dropped and the label printed without it.
        let body = try call.decode(PrintBody.self, shape: JSONShape(["template", "printer", "copies", "reason", "data", "product", "lot", "serial", "sample"]))
        guard !body.printer.isEmpty else { throw APIProblem.badRequest("printer is empty: name the printer") }
        // A label of the sample's invented lot could end up on goods: printed only when asked for.
        guard body.data != nil || body.product != nil || body.sample == true else {
            throw APIProblem(422, "invalid-input", "give the label's data (data, or product with lot or serial); \"sample\": true prints the template's sample as a test label")
        }
        let printer = try await call.environment.spool.printer(body.printer)
        let url = try TemplateFiles.named(body.template, in: call.environment.templates, language: printer.language)
        // As the command line and a template's `copies`: at most 10,000 copies of one label.
        if let copies = body.copies, !(1...10_000).contains(copies) {
            throw APIProblem(422, "invalid-input", "copies must be from 1 to 10000")
        }
        let template = try TemplateLoader().load(contentsOf: url)
        let data = try await labelData(for: template, data: body.data, product: body.product, lot: body.lot, serial: body.serial,
                                       registry: call.environment.registry)
        // As the stations write it (`PUMP-200 serial SN1`): what a reprint checks the number by.
        let numbered = body.lot.map { ("lot", $0) } ?? body.serial.map { ("serial", $0) }
        let reference = body.product.map { product in numbered.map { LabelJobs.reference(product: product, kind: $0.0, number: $0.1) } ?? product }
            ?? numbered.map { "\($0.0) \($0.1)" } ?? ""
        let id = try await LabelJobs.enqueue(template, data, printer: body.printer, spool: call.environment.spool, copies: body.copies,
                                             requestedBy: call.user, reason: body.reason ?? "printed through the API",
                                             reference: reference)
        return try await showJob(call, id, status: 201)
    }

    // MARK: Events

    /// Server-Sent Events: scan verdicts (and the tasks they open, post and cancel) and print job
    /// state changes, filtered by `station` or `printer`; `Last-Event-ID` resumes after an event
    /// still in the logs. A comment line every heartbeat keeps a silent connection visibly alive.
    private static func events(_ call: APICall) async throws -> APIResponse {
        let feed = EventFeed(store: call.environment.registry.store)
        let filter = EventFeed.Filter(station: call.filter("station"), printer: call.filter("printer"))
        // A misspelt station streamed nothing, forever, and looked like a quiet one.
        if let station = filter.station, call.environment.stations[station] == nil {
            throw APIProblem(404, "not-found", "no station \(station) is configured in this service")
        }
        // Likewise a misspelt printer (found by a QA run).
        if let printer = filter.printer, try await !call.environment.spool.knowsPrinter(printer) {
            throw APIProblem(404, "not-found", "there is no printer \(printer): check its name (GET /api/v1/printers lists them)")
        }
        var start: EventFeed.Cursor
        if let last = call.headers["last-event-id"] ?? call.query["lastEventId"] {
            guard let cursor = EventFeed.Cursor(last) else {
                throw APIProblem.badRequest("Last-Event-ID \(last) is not an event id this server gave out")
            }
            start = cursor
        } else {
            start = try await feed.now()
        }
        // A resume point past the logs' end: they went back since (a restore); start at the end.
        var rewound = false
        let end = try await feed.now()
        if start.isBehindARestore(end) { (start, rewound) = (end, true) } else { start.database = end.database }
        let from = start, rewoundAtStart = rewound
        let clients = call.environment.feedClients, limits = call.environment.limits
        let caller = call.caller.map { $0.session.map { "session-\($0)" } ?? $0.name } ?? "anonymous"
        switch clients.enter(caller) {
        case .entered: break
        case .full:
            throw APIProblem(503, "too-many-clients", "\(clients.maximum) clients follow the events already: try again later",
                             headers: ["Retry-After": "5"])
        case .callerFull:
            throw APIProblem(429, "too-many-clients",
                             "this token follows the events on \(clients.perCaller) connections already: close one (a closed one is let go at the next heartbeat)",
                             headers: ["Retry-After": "15"])
        }
        var response = APIResponse(status: 200, contentType: "text/event-stream", body: Data(),
                                   headers: ["Cache-Control": "no-store", "X-Accel-Buffering": "no"])
        let hub = call.environment.eventHub
        // The caller is asked again each heartbeat: a token revoked or a session ended (signed out,
        // its badge withdrawn) stops its feed, as every other request of it is refused (a QA run
        // saw a revoked token's feed go on until the client gave up).
        let secret = APITokens.bearer(call.headers)
        let tokens = call.environment.tokens
        response.stream = { writer in
            defer { clients.leave(caller) }
            hub.listen()
            defer { hub.leave() }
            let clock = ContinuousClock()
            var cursor = from
            var lastWrite = clock.now
            // The retry hint, and the stream's first bytes: the client knows it is connected.
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected at \(from.text)\n\n"))
            // `reset`: what the client knew may be gone (the logs went back): it reloads its state.
            let reset = { (at: EventFeed.Cursor) in ByteBuffer(string: "id: \(at.text)\nevent: reset\ndata: {\"reason\":\"the event logs went back (a backup was restored): reload\"}\n\n") }
            if rewoundAtStart { try await writer.write(reset(from)) }
            var epoch = hub.rewind().epoch
            var lastAsked = clock.now
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                if let secret, clock.now - lastAsked >= limits.heartbeat {
                    lastAsked = clock.now
                    if (try? await tokens.authenticate(secret)) == .some(nil) {
                        try await writer.write(ByteBuffer(string: "event: ended\ndata: {\"reason\":\"the token was revoked or the session ended: sign in again\"}\n\n"))
                        break
                    }
                }
                let (now, end) = hub.rewind()
                if now != epoch, let end {
                    epoch = now
                    cursor = end
                    try await writer.write(reset(end))
                    lastWrite = clock.now
                }
                // From the hub's memory, or, for a client further back than it holds, from the logs.
                let events: [EventFeed.Event], next: EventFeed.Cursor, generation: Int?
                if let served = hub.events(after: cursor, filter: filter) {
                    (events, next, generation) = (served.events, served.next, served.generation)
                } else {
                    (events, next) = try await feed.events(after: cursor, filter: filter)
                    generation = nil
                }
                let moved = next != cursor
                cursor = next
                if !events.isEmpty {
                    var text = ""
                    for event in events {
                        text += "id: \(event.cursor.text)\nevent: \(event.kind)\ndata: \(String(decoding: event.data, as: UTF8.self))\n\n"
                    }
                    // Events filtered out still move the client's resume point on.
                    if let last = events.last, last.cursor != cursor { text += "id: \(cursor.text)\n\n" }
                    try await writer.write(ByteBuffer(string: text))
                    lastWrite = clock.now
                } else if clock.now - lastWrite >= limits.heartbeat {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    lastWrite = clock.now
                }
                if let generation {
                    // Served from memory: wake when the hub has read more.
                    await cancelWhenGracefulShutdown { await hub.wait(after: generation, longest: limits.heartbeat) }
                } else if !moved || events.count < EventFeed.pageSize {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: limits.eventPoll) }
                }
            }
            try await writer.finish(nil)
        }
        return response
    }

    // MARK: Templates

    struct RenderBody: Decodable {
        /// zpl, epl or png (render); a preview is always PNG.
        var format: String?
        var dpi: Int?
        /// Label data as a JSON object, under the registry's records.
        var data: JSONValue?
        /// Take the data from the registry: a product, with a lot or a serial.
        var product: String?
        var lot: String?
        var serial: String?
    }

    private static func render(_ call: APICall, preview: Bool) async throws -> APIResponse {
        let body = call.body.isEmpty ? RenderBody()
            : try call.decode(RenderBody.self, shape: JSONShape(["format", "dpi", "data", "product", "lot", "serial"]))
        let language: PrinterLanguage
        if preview {
            language = .png
        } else {
            guard let format = PrinterLanguage(rawValue: body.format ?? "zpl") else {
                throw APIProblem(422, "invalid-input", "format \(body.format ?? "") is not zpl, epl or png")
            }
            language = format
        }
        let url = try TemplateFiles.named(try call.parameter("name"), in: call.environment.templates, language: language)
        if let dpi = body.dpi, ![152, 203, 300, 600].contains(dpi) {
            throw APIProblem(422, "invalid-input", "dpi \(dpi) is not one of 152, 203, 300, 600")
        }
        let template = try TemplateLoader().load(contentsOf: url)
        let data = try await labelData(for: template, data: body.data, product: body.product, lot: body.lot, serial: body.serial,
                                       registry: call.environment.registry)
        let bytes = try LabelRendering.render(template, data, language: language, dpi: body.dpi, preview: preview)
        let type = switch language {
        case .png: "image/png"
        case .zpl: "application/vnd.zebra.zpl"
        case .epl: "application/vnd.eltron.epl"
        }
        return APIResponse(status: 200, contentType: type, body: bytes)
    }
}

/// Label data as render and print take it: a JSON object, or a product with a lot or a serial
/// from the registry (the registry's records set over the JSON), or the template's sample.
private func labelData(for template: Template, data: JSONValue?, product: String?, lot: String?, serial: String?,
                       registry: Registry) async throws -> LabelData {
    if lot != nil, serial != nil { throw APIProblem(422, "invalid-input", "give a lot or a serial, not both") }
    let json = try data.map { value -> Data in
        guard case .object = value else { throw APIProblem(422, "invalid-input", "data must be a JSON object") }
        return try JSONEncoder().encode(value)
    }
    let source = LabelSource(json: json, product: product, number: lot ?? serial, numberIsLot: serial == nil)
    return try await source.data(for: template, registry: registry)
}

/// Template names a request may give: a file inside the templates folder, named by its path in
/// it (`gs1-lot-100x50`, `raw/lot-label.zpl`), never a path out of it. `..`, empty parts and
/// absolute paths are refused before the file system is asked.
enum TemplateFiles {
    /// The template file `name` in `folder`: NAME, NAME.yaml or NAME.yml, or a raw template
    /// NAME.zpl or NAME.epl. A raw template named without its extension is the one for
    /// `language` (the printer's, or the format asked for) when both exist.
    static func named(_ name: String, in folder: URL, language: PrinterLanguage? = nil) throws -> URL {
        // Folders and dot-separated parts of letters, digits, - and _: no leading or trailing
        // dot or slash, no "..", no "//".
        let plain: (Substring) -> Bool = { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        let folders = name.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = folders.count <= 4 && folders.allSatisfy { folder in
            folder.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(plain)
        }
        guard name.count <= 128, allowed else {
            throw APIProblem(400, "invalid-template-name",
                             "template name \"\(name)\" is not a template's name in the templates folder: letters, digits, -, _ and . only, folders separated by / (raw/lot-label.zpl)")
        }
        func file(_ candidate: String) throws -> URL? {
            let url = folder.appendingPathComponent(candidate)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
            // A symbolic link out of the folder is no way out either.
            let real = url.resolvingSymlinksInPath().standardizedFileURL.path
            let root = folder.resolvingSymlinksInPath().standardizedFileURL.path
            guard real.hasPrefix(root + "/") else {
                throw APIProblem(400, "invalid-template-name", "template \(name) lies outside the templates folder")
            }
            return url
        }
        // Only templates: an image or a sample beside them is no template (a QA run's PNG was a 500).
        let templateExtensions = ["yaml", "yml", "zpl", "epl"]
        if let url = try file(name), templateExtensions.contains(url.pathExtension.lowercased()) { return url }
        for candidate in [name + ".yaml", name + ".yml"] {
            if let url = try file(candidate) { return url }
        }
        let raw = try ["zpl", "epl"].compactMap { try file(name + "." + $0) }
        if raw.count == 1 { return raw[0] }
        if raw.count == 2 {
            if let language, let url = raw.first(where: { $0.pathExtension == language.rawValue }) { return url }
            throw APIProblem(422, "invalid-input", "\(name) is both \(name).zpl and \(name).epl: name one of them")
        }
        throw APIProblem(404, "not-found", "no template \(name) in the templates folder")
    }
}


/// Any JSON value, to pass a label's data through as the client sent it.
enum JSONValue: Codable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

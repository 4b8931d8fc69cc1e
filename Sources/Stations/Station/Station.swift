import Foundation
import GS1
import Labels
public import Logging
public import Printing
public import Registry
import SQLKit
public import Store

/// One scanning point: takes each scan, decides, acts on the registry and the spool in one
/// transaction together with the scan's entry in the scan log, and says what it made of it.
///
/// An actor: a station's scans are handled one at a time, in the order they arrive, whichever
/// scanner or client sent them. Several stations share one registry and one spool.
public actor Station {
    public nonisolated let configuration: StationConfiguration
    let registry: Registry
    let spool: Spool
    let parser: GS1Parser
    let logger: Logger
    /// The operator signed in with `TM:OP:<badge>`, kept for the next tasks.
    var signedIn = ""
    /// The last scan handled or waiting its turn: the next waits for it (``handle(_:)``).
    private var queueTail: Task<Void, Never>?
    /// Whether this process holds the station's claim (``StationService``): clients of the HTTP
    /// API send their scans to the process that runs the station.
    public private(set) var isHeldHere = false
    /// Why the open task cannot be carried on here, when another definition of this station (in
    /// another process's configuration, before a takeover or a restart) opened it: another kind
    /// of task, or another warehouse. Only TM:CANCEL (and signing in) is taken until it is gone:
    /// carried on, a receipt was posted as an issue, or into the other warehouse.
    private(set) var foreignTask: String?
    /// By scanner (``Station/partKey(_:)``), one barcode of a label split over two, waiting for
    /// the other (`Station+SplitLabel`).
    var heldParts: [String: HeldPart] = [:]
    /// The last part's serial (``holdVerifyPart(_:_:)``).
    var partSerial: UInt64 = 0

    public func setHeldHere(_ held: Bool) async {
        isHeldHere = held
        guard held else { return }
        do {
            foreignTask = try await Self.foreignTask(registry.store, configuration)
            if let foreignTask { logger.error("\(foreignTask)") }
            // Who was signed in on the open task goes on being signed in, after a restart or a
            // takeover, unless their badge was withdrawn meanwhile: a QA run saw the scans after
            // a restart logged without an operator while the task still named one.
            if signedIn.isEmpty {
                let name = configuration.name
                let restored = try await registry.store.read { @Sendable db -> String? in
                    // The open task's operator; with none open, the last badge scanned here
                    // (TM:OP), which stays signed in until another is: a restart between two
                    // receipts signed the next one out in silence (found by a QA run).
                    // A task's operator that is no badge (a run started from a shell names its
                    // user) falls back to the last badge scanned (found by a QA run: the operator
                    // signed in at the line was signed out by a restart).
                    let task = try await db.raw("""
                        SELECT operator FROM station_tasks WHERE station = \(bind: name) AND state = 'open' ORDER BY id DESC LIMIT 1
                        """).first()?.decode(column: "operator", as: String.self)
                    if let task, !task.isEmpty, try await Operators.lookup(db, task) != .unknown { return task }
                    let badge = try await db.raw("""
                        SELECT operator FROM station_scans WHERE station = \(bind: name) AND action = 'operator-signed-in' ORDER BY id DESC LIMIT 1
                        """).first()?.decode(column: "operator", as: String.self)
                    guard let badge, !badge.isEmpty else { return nil }
                    return try await Operators.lookup(db, badge) == .unknown ? nil : badge
                }
                if let restored {
                    signedIn = restored
                    logger.info("\(restored) is signed in, as before the station was taken here")
                }
            }
        } catch {
            logger.warning("could not check the open task of station \(configuration.name): \(error)")
        }
    }

    /// Why `configuration` cannot carry on its station's open task, or nil when it can (or there is none).
    static func foreignTask(_ store: any SQLStore, _ configuration: StationConfiguration) async throws -> String? {
        let name = configuration.name
        guard let row = try await store.read({ @Sendable db in
            try await db.raw("""
                SELECT id, kind, warehouse FROM station_tasks WHERE station = \(bind: name) AND state = 'open' ORDER BY id DESC LIMIT 1
                """).first()
        }) else { return nil }
        let kind = try row.decode(column: "kind", as: String.self)
        let warehouse = try row.decode(column: "warehouse", as: String?.self)
        let id = try row.decode(column: "id", as: Int64.self)
        let expected: String? = switch configuration.kind {
        case .receiving: "receipt"
        case .picking: "issue"
        case .production: "run"
        case .lookup: nil
        }
        var differences: [String] = []
        if kind != expected { differences.append("it is a \(kind), and this station is \(configuration.kind.rawValue)") }
        if warehouse != configuration.warehouse {
            differences.append("it is in warehouse \(warehouse ?? "(none)"), and this station in \(configuration.warehouse ?? "(none)")")
        }
        guard !differences.isEmpty else { return nil }
        return "the open task \(id) of station \(name) was opened by another definition of the station (\(differences.joined(separator: "; "))): it is not carried on here; TM:CANCEL cancels it, or run the station with the definition that opened it"
    }

    /// Opens a station on a registry and its spool, creating the stations' tables if needed.
    public init(_ configuration: StationConfiguration, registry: Registry, spool: Spool,
                logger: Logger = Logger(label: "tracemark.stations")) async throws {
        self.configuration = configuration
        self.registry = registry
        self.spool = spool
        self.parser = GS1Parser(.scanning(lenient: configuration.lenient))
        var logger = logger
        logger[metadataKey: "station"] = .string(configuration.name)
        self.logger = logger
        try await Self.prepare(registry.store)
    }

    /// Creates or upgrades the stations' tables.
    /// The stations' tables and their versions (`tracemark migrate --check`).
    public static let schema = ComponentSchema(component: "stations", ledger: "stations_migrations", migrations: StationSchema.migrations)

    public static func prepare(_ store: any SQLStore) async throws {
        try await store.migrate(ledger: "stations_migrations", component: "stations", migrations: StationSchema.migrations,
                                now: Timestamp.string(Date()))
    }

    /// Handles one scan. Never throws: a scan the station cannot act on is a `block` with the
    /// reason, and a database that cannot be reached is one too (with no scan log entry).
    ///
    /// A scan once begun is carried to its end even when whoever waits for it is cancelled (its
    /// scanner closed, the service stopping, an HTTP client gone): cancelled halfway, a wait for a
    /// connection after its transaction committed, or an answer from the server that was not
    /// awaited, would answer "scan again" for a scan that was done, and the second scan would do
    /// it twice. Its handling is bounded (the database's busy timeout, its connect timeout).
    ///
    /// Scans are handled one at a time, in the order they came, whichever scanner or HTTP client
    /// sent them: an actor's methods interleave at each `await`, and two `TM:RUN` posted at once
    /// each found no run open and both started one (a QA run opened 20 on PostgreSQL).
    public func handle(_ scan: StationScan) async -> ScanOutcome {
        let previous = queueTail
        let turn = Task { () -> ScanOutcome in
            await previous?.value
            let outcome = await self.carryOut(scan)
            await self.observer?(outcome, scan)
            return outcome
        }
        queueTail = Task { _ = await turn.value }
        return await turn.value
    }

    /// Who hears every scan's outcome, whoever sent the scan (a scanner or an HTTP client):
    /// serve's journal line per scan. It was told only the scanners' scans, so scans sent over
    /// HTTP were missing from it (found by a QA run following the README).
    private var observer: (@Sendable (ScanOutcome, StationScan) async -> Void)?

    public func observe(_ body: @escaping @Sendable (ScanOutcome, StationScan) async -> Void) {
        observer = body
    }

    private func carryOut(_ scan: StationScan) async -> ScanOutcome {
        let signedInNow = signedIn
        let taken = ContinuousClock.now
        do {
            if let key = scan.scanID, let earlier = try await logged(key) { return await resolved(earlier, scan) }
            if let refused = try await refuseWithdrawnBadge(scan) { return refused }
            let outcome = try await decide(scan)
            logger.info("scan \(outcome.verdict.rawValue): \(outcome.action)", metadata: Self.metadata(outcome, scan))
            StationMetrics.waiting.expect(outcome.jobs, station: configuration.name, since: taken)
            StationEvents.logged()
            return outcome
        } catch {
            // The same scan id posted twice at once: the other one logged it first, and this is
            // its answer, not a refusal.
            if let key = scan.scanID, DatabaseErrors.uniqueViolation(error) != nil, let earlier = try? await logged(key) {
                return await resolved(earlier, scan)
            }
            // The scan's transaction rolled back. Log the refusal on its own, if the database lets us.
            let reason = Self.reason(for: error)
            logger.warning("scan refused: \(reason.message)", metadata: ["device": "\(scan.device)"])
            let next = Self.next(after: error, reason: reason, scan)
            var outcome = ScanOutcome(station: configuration.name, verdict: .block, reasons: [reason], next: next)
            // A database that is locked or out of reach would keep the refusal's log waiting as
            // long again (the operator waited the busy timeout already): answer now, unlogged.
            // PostgreSQL's lock timeouts and lost connections too: logged, they were answered as
            // a final refusal under the scan's id, which every retry then replayed (a QA run).
            if Self.isTransient(error) { return outcome }
            do {
                let refused = outcome
                outcome.scan = try await registry.store.write { @Sendable db in try await self.log(db, scan, refused, task: nil, operator: signedInNow) }
                StationEvents.logged()
            } catch {
                if let key = scan.scanID, let earlier = try? await logged(key) { return await resolved(earlier, scan) }
                logger.error("scan log not written: \(error)", metadata: ["device": "\(scan.device)"])
            }
            return outcome
        }
    }

    /// A replayed answer with what the registry says of its scan now (the log keeps no
    /// resolution): a client that retried sees the product and lot as the first answer showed them.
    private func resolved(_ earlier: ScanOutcome, _ scan: StationScan) async -> ScanOutcome {
        var outcome = earlier
        if scan.purpose == .operator, ControlCode(String(decoding: scan.data, as: UTF8.self)) != nil { return outcome }
        outcome.resolution = try? await resolve(scan)
        return outcome
    }

    /// A badge withdrawn (`operator remove`) while it is signed in here signs out at its next
    /// scan, which is refused: nothing more is posted in the name of someone who has left.
    private func refuseWithdrawnBadge(_ scan: StationScan) async throws -> ScanOutcome? {
        let badge = signedIn
        guard !badge.isEmpty else { return nil }
        if scan.purpose == .operator, case .signIn = ControlCode(String(decoding: scan.data, as: UTF8.self)) { return nil }
        guard try await registry.store.read({ @Sendable db in try await Operators.lookup(db, badge) }) == .unknown else { return nil }
        let outcome = try await refuse(scan, [.init("badge-withdrawn",
            "badge \(badge) was withdrawn while it was signed in here: it is signed out, and this scan did nothing")],
            next: "sign in with your own badge (TM:OP:<badge>), then scan again")
        if signedIn == badge { signedIn = "" }
        return outcome
    }

    private func decide(_ scan: StationScan) async throws -> ScanOutcome {
        // A verify scanner's over-long read is a label that did not read: an alarm, below.
        if let length = scan.overlongLength, !(scan.purpose == .verify && configuration.kind == .production) {
            throw RegistryError(.invalidInput, StationScan.overlongMessage(length))
        }
        // A verify scanner reads labels only: a control code there is a label that reads wrong.
        let control = scan.purpose == .operator ? ControlCode(String(decoding: scan.data, as: UTF8.self)) : nil
        if let foreignTask {
            switch control {
            case .cancel?:
                let outcome = try await handle(ControlCode.cancel, scan)
                self.foreignTask = try await Self.foreignTask(registry.store, configuration)
                return outcome
            case .signIn?, .approve?:
                break
            default:
                return try await refuse(scan, [.init("task-of-another-definition", foreignTask)], next: "scan TM:CANCEL to cancel that task")
            }
        }
        if let control {
            // The operator went on: their parts go. The verify scanner's stay for their label's
            // other barcode, or their alarm (TM:DONE says those still waiting).
            heldParts = heldParts.filter { $0.value.serial != 0 }
            return try await handle(control, scan)
        }
        if scan.purpose == .verify, configuration.kind != .production {
            throw RegistryError(.invalidInput, "station \(configuration.name) is \(configuration.kind.rawValue): only a production line has a verify scanner")
        }
        if scan.purpose == .verify { return try await verifyingParts(scan) }
        let (scan, _, disagreeing) = completingHeldPart(scan)
        if let disagreeing {
            return try await refuse(scan, [.init("label-parts-disagree",
                "this barcode's (\(disagreeing.ai)) \(disagreeing.scanned) is not the (\(disagreeing.ai)) \(disagreeing.held) of the barcode scanned before it: the two are not one label's")],
                next: "scan both barcodes of the same label, one after the other")
        }
        if configuration.kind != .lookup, let refused = try await holdingLonelyRest(scan) { return refused }
        let outcome: ScanOutcome
        switch configuration.kind {
        case .lookup: return try await lookUp(scan)
        case .receiving: outcome = try await receive(scan)
        case .picking: outcome = try await pick(scan)
        case .production: outcome = try await component(scan)
        }
        holdIfPart(scan, outcome)
        return outcome
    }

    /// What a scan's log line carries: device, verdict, and the product, lot or serial, document and
    /// reasons it was about, so that logs can be searched by lot or serial.
    static func metadata(_ outcome: ScanOutcome, _ scan: StationScan) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["device": "\(scan.device)", "verdict": "\(outcome.verdict.rawValue)"]
        if let resolution = outcome.resolution {
            if let article = resolution.product?.article { metadata["product"] = "\(article)" }
            if let lot = resolution.scan.lot ?? resolution.lot?.number { metadata["lot"] = "\(lot)" }
            if let serial = resolution.scan.serial { metadata["serial"] = "\(serial)" }
            if let record = resolution.lotSerial { metadata[record.kind == .serial ? "serial" : "lot"] = "\(record.number)" }
        }
        if let document = outcome.document { metadata["document"] = "\(document)" }
        if !outcome.reasons.isEmpty { metadata["reasons"] = "\(outcome.reasons.map(\.code).joined(separator: ","))" }
        if !outcome.jobs.isEmpty { metadata["jobs"] = "\(outcome.jobs.map(String.init).joined(separator: ","))" }
        return metadata
    }

    // MARK: Look-up

    private func lookUp(_ scan: StationScan) async throws -> ScanOutcome {
        let resolution = try await resolve(scan)
        let reasons = resolution.warnings.map(Self.reason)
        let blocking = resolution.subject == .unknown || resolution.warnings.contains { Self.blocks($0.kind) }
        var outcome = ScanOutcome(station: configuration.name, verdict: blocking ? .block : reasons.isEmpty ? .ok : .warn,
                                  reasons: reasons, action: "looked-up", next: "scan the next code", resolution: resolution)
        let signedInNow = signedIn, shown = outcome
        outcome.scan = try await registry.store.write { @Sendable db in try await self.log(db, scan, shown, task: nil, operator: signedInNow) }
        return outcome
    }

    func resolve(_ scan: StationScan, minimumShelfLifeDays: Int? = nil, minimumQuantity: Decimal? = nil) async throws -> Resolution {
        let start = ContinuousClock.now
        let resolution = try await registry.resolve(
            scan.transmitted, parser: parser,
            options: ResolveOptions(expiryWarningDays: configuration.expiryWarningDays,
                                    warehouse: configuration.warehouse, minimumShelfLifeDays: minimumShelfLifeDays,
                                    minimumQuantity: minimumQuantity))
        StationMetrics.resolved(source: configuration.name, in: ContinuousClock.now - start)
        return resolution
    }

    /// The quantity a label states in (30) or (37), if any.
    static func labelledQuantity(_ resolution: Resolution) -> Decimal? {
        resolution.scan.elements.first { $0.ai == "30" || $0.ai == "37" }.flatMap { Decimal(string: $0.value) }
    }

    /// Warnings that stop goods from moving.
    static func blocks(_ kind: ResolutionWarning.Kind) -> Bool {
        [.blocked, .recalled, .expired, .quarantined, .unknownProduct, .unknownLotSerial, .retiredNumber, .expiryMismatch, .lotMismatch]
            .contains(kind)
    }

    static func reason(_ warning: ResolutionWarning) -> ScanOutcome.Reason {
        ScanOutcome.Reason(kebab(warning.kind.rawValue), warning.message)
    }

    /// `unknownProduct` → `unknown-product`.
    static func kebab(_ name: String) -> String {
        name.reduce(into: "") { text, character in
            if character.isUppercase { text += "-" + character.lowercased() } else { text.append(character) }
        }
    }

    /// What the operator does after a scan that failed and changed nothing.
    static func next(after error: any Error, reason: ScanOutcome.Reason, _ scan: StationScan) -> String {
        // A lot recalled after it was scanned onto the task stops the posting: its line must go.
        if reason.code == "recalled" {
            return "take that line off (Remove on the station page, or TM:UNDO if it is the last), then scan the next item or TM:DONE"
        }
        // A unit whose components ran short: reading its label again cannot help, a new lot can.
        if scan.purpose == .verify, let error = error as? RegistryError, error.code == .conflict {
            return "a component ran short for this unit: scan another lot of it at the line, then read this unit's label again"
        }
        let control = scan.purpose == .operator ? ControlCode(String(decoding: scan.data, as: UTF8.self)) : nil
        // Scanning again reads the same: a template that does not fit the product, a label whose
        // data is not valid (a date of month 13); only a misread is worth another try (a QA run).
        if let error = error as? LabelError, error.code == .missingField {
            return "nothing was done: this station's template does not fit this product; use a station whose template does, or have the template changed"
        }
        // Data the label cannot print (a control character in a product's description, a
        // value too long for its box): it reads the same next time, and the registry's data or
        // the template is what to put right ("scan again" was said; found by a QA run).
        if let error = error as? LabelError, [.unencodable, .invalidValue].contains(error.code) {
            return "nothing was done, and the same data prints the same: have what the reason names corrected (the product's or lot's data, or the template), then scan the item again"
        }
        if control == nil, let error = error as? RegistryError, error.code == .invalidInput, !error.message.contains("misread") {
            return "nothing was done, and the same label reads the same: check the label or the scanner as the reason says, then scan the next item"
        }
        let transient = isTransient(error)
        switch control {
        case .done?:
            return transient ? "nothing was posted: scan TM:DONE again when the database answers"
                             : "nothing was posted: put right what the reason says, then scan TM:DONE again"
        case nil:
            return transient ? "nothing was done: scan the item again when the database answers" : "scan again"
        default:
            return transient ? "nothing was done: scan the code again when the database answers" : "scan again"
        }
    }

    /// Whether `error` says the database is busy or out of reach for now (a lock, a lost
    /// connection), not that it refused the scan: nothing was written, and the scan may be sent again.
    static func isTransient(_ error: any Error) -> Bool {
        error is StoreError || (DatabaseErrors.readable(error) != nil && DatabaseErrors.isTransient(error))
    }

    static func reason(for error: any Error) -> ScanOutcome.Reason {
        switch error {
        case let error as RegistryError: ScanOutcome.Reason(kebab("\(error.code)"), error.message)
        case let error as PrintingError: ScanOutcome.Reason("printing-" + kebab("\(error.code)"), error.message)
        case let error as LabelError where error.code == .missingField:
            // Said for the dock, not for the template's author: what the label lacks, and what to do.
            ScanOutcome.Reason("label-missing-field", {
                let field = error.message.range(of: #"field '[^']+'"#, options: .regularExpression)
                    .map { String(error.message[$0].dropFirst(7).dropLast()) } ?? "a field"
                let template = error.file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "the station's template"
                // A lot label for a serial-tracked product (or the other way round): the barcode's
                // (10) was there, and the message said neither gave it (a QA run).
                for (kind, other) in [("lot", "serial"), ("serial", "lot")] where field == "\(kind).number" {
                    return "no label can be printed for this scan: template \(template) is a label of a \(kind) (it prints \(field)), and this product is not tracked by \(kind): its labels take \(other).* fields or none; ask for a template that fits this product"
                }
                return "no label can be printed for this scan: template \(template) prints \(field), which neither the barcode nor the registry gives"
                    + (field.hasSuffix("expiry") ? " (the barcode has no expiry date, AI 17)" : "")
                    + (field.hasPrefix("lot.") && !field.hasSuffix("expiry") ? " (a lot label for a product without a lot?)" : "")
                    + ": check the label, or ask for a template that fits this product"
            }())
        case let error as LabelError: ScanOutcome.Reason("label-" + kebab("\(error.code)"), error.message)
        case let error as StoreError: ScanOutcome.Reason("database-" + kebab("\(error.code)"), error.message)
        default:
            // A driver's error in its own words, not the library's placeholder ("PSQLError –
            // Generic description …", as a scan during a restore was answered; found by a QA run).
            if let readable = DatabaseErrors.readable(error) {
                ScanOutcome.Reason(DatabaseErrors.isLockWait(error) ? "database-locked" : DatabaseErrors.isTransient(error) ? "database-unavailable" : "database-refused",
                                   readable.contains("nothing was written") ? readable : readable + "; nothing was written")
            } else {
                ScanOutcome.Reason("failed", "\(error)")
            }
        }
    }

    // MARK: The scan log

    /// Writes the scan's log entry in the scan's transaction; returns its id.
    nonisolated func log(_ db: any SQLDatabase, _ scan: StationScan, _ outcome: ScanOutcome, task: Int64?,
                         operator operatorName: String) async throws -> Int64 {
        let reasons = String(decoding: try JSONEncoder().encode(outcome.reasons), as: UTF8.self)
        let jobs = outcome.jobs.map(String.init).joined(separator: ",")
        guard let row = try await db.raw("""
            INSERT INTO station_scans (station, device, scan_key, raw, symbology, operator, at, verdict, reasons, action,
                                       task_id, document, jobs, next)
            VALUES (\(bind: configuration.name), \(bind: scan.device), \(bind: scan.scanID), \(bind: Data(scan.received?.data ?? scan.data)),
                    \(bind: scan.received.map(\.symbologyIdentifier) ?? scan.symbologyIdentifier), \(bind: scan.user ?? operatorName), \(bind: Timestamp.string(scan.time)),
                    \(bind: outcome.verdict.rawValue), \(bind: reasons), \(bind: outcome.action), \(bind: task),
                    \(bind: outcome.document), \(bind: jobs), \(bind: outcome.next))
            RETURNING id
            """).first() else {
            throw RegistryError(.conflict, "the database did not return the scan log entry's id")
        }
        return try row.decode(column: "id", as: Int64.self)
    }

    /// The data of the scan logged here under the client id `key` (`scanId`), if there was one:
    /// the same id sent again with other data is a client's mistake, not a retry.
    public nonisolated func loggedData(_ key: String) async throws -> [UInt8]? {
        try await registry.store.read { @Sendable db in
            try await db.raw("""
                SELECT raw FROM station_scans WHERE station = \(bind: configuration.name) AND scan_key = \(bind: key)
                """).first().map { Array(try $0.decode(column: "raw", as: Data.self)) }
        }
    }

    /// What an earlier scan with this client id did, if there was one.
    nonisolated func logged(_ key: String) async throws -> ScanOutcome? {
        try await registry.store.read { @Sendable db in
            guard let row = try await db.raw("""
                SELECT id, verdict, reasons, action, document, jobs, next FROM station_scans
                WHERE station = \(bind: configuration.name) AND scan_key = \(bind: key)
                """).first() else { return nil }
            let reasons = try JSONDecoder().decode([ScanOutcome.Reason].self,
                                                   from: Data(try row.decode(column: "reasons", as: String.self).utf8))
            return ScanOutcome(
                scan: try row.decode(column: "id", as: Int64.self), station: configuration.name,
                verdict: ScanOutcome.Verdict(rawValue: try row.decode(column: "verdict", as: String.self)) ?? .block,
                reasons: reasons, action: try row.decode(column: "action", as: String.self),
                next: try row.decode(column: "next", as: String.self),
                document: try row.decode(column: "document", as: String?.self),
                jobs: try row.decode(column: "jobs", as: String.self).split(separator: ",").compactMap { Int64($0) },
                replayed: true)
        }
    }
}

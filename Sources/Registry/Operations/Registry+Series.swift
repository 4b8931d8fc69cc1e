import GS1
public import SQLKit
import Store

extension Registry {
    /// Creates a user series. Its format must have a counter (`INV-{counter:6}`).
    public func addSeries(_ series: NumberSeries) async throws -> NumberSeries {
        try Identifier.validate(series.code, what: "series code")
        try Self.validateSeriesFormat(series.format, code: series.code)
        guard series.start >= 0 else {
            throw RegistryError(.invalidInput, "series \(series.code): start \(series.start) is negative")
        }
        // A start past what the format writes made a series that could issue nothing (and one near
        // 2^63 overflowed the counter column into a real, failing every read of it).
        if let capacity = try NumberFormat(series.format).counterCapacity, series.start > capacity {
            throw RegistryError(.invalidInput,
                "series \(series.code): start \(series.start) does not fit its format \"\(series.format)\", which writes counters up to \(capacity); widen the format or start lower")
        }
        var saved = series
        saved.next = series.start
        saved.builtIn = false
        return try await store.write { db in
            if try await Self.fetchSeries(db, code: series.code) != nil {
                throw RegistryError(.duplicate, "series \(series.code) exists already")
            }
            try await Self.insertSeries(db, saved)
            return saved
        }
    }

    /// Changes a series' description or format (built-in series too). The next number is changed
    /// only by ``setNextNumber(series:to:reason:)``.
    public func updateSeries(code: String, description: String?, format: String?) async throws -> NumberSeries {
        if let format { try Self.validateSeriesFormat(format, code: code) }
        return try await store.write { db in
            // Locked: a number taken meanwhile is counted by the check of the new format.
            guard var series = try await Self.lockSeries(db, code: code) else {
                throw RegistryError(.notFound, "series \(code) does not exist")
            }
            if let description { series.description = description }
            if let format {
                if let capacity = (try? NumberFormat(format))?.counterCapacity, series.next - 1 > capacity {
                    throw RegistryError(.conflict,
                        "series \(code): format \"\(format)\" writes counters up to \(capacity), but the series has reached \(series.next - 1); the next number could not be made. Keep the counter at least as wide as it is")
                }
                if format != series.format {
                    try await checkFormatHistory(db, series, format)
                    series.format = format
                }
            }
            try await db.raw("""
                UPDATE number_series SET description = \(bind: series.description), format = \(bind: series.format)
                WHERE code = \(bind: code)
                """).run()
            return series
        }
    }

    /// Refuses a new format for `series` that could write a number it has written before, under
    /// this format or an earlier one (each with the counters it wrote), and records it from the
    /// next counter on. Formats of the same shape are compared by counter; others as patterns,
    /// which may refuse a change that would in fact never meet (a refusal errs on the safe side).
    private func checkFormatHistory(_ db: any SQLDatabase, _ series: NumberSeries, _ format: String) async throws {
        let code = series.code
        var history = try await db.raw("""
            SELECT first_value, format FROM series_formats WHERE series = \(bind: code) ORDER BY first_value
            """).all().map { (first: try $0.int("first_value"), format: try $0.string("format")) }
        if history.isEmpty {
            history = [(series.start, series.format)]
            try await db.raw("""
                INSERT INTO series_formats (series, first_value, format) VALUES (\(bind: code), \(bind: series.start), \(bind: series.format))
                """).run()
        }
        let new = try NumberFormat(format)
        let ahead = series.next...max(series.next, new.counterCapacity ?? Int.max)
        for (index, earlier) in history.enumerated() {
            let last = (index + 1 < history.count ? history[index + 1].first : series.next) - 1
            guard last >= earlier.first, let old = try? NumberFormat(earlier.format) else { continue }
            guard new.mayProduceSameNumber(as: old, counters: ahead, otherCounters: earlier.first...last) else { continue }
            let example = new.sharedNumber(with: old, counters: ahead, otherCounters: earlier.first...last, date: today)
            let shown = quoting(NumberSeries(code: code, format: earlier.format, start: earlier.first))
            throw RegistryError(.conflict,
                "series \(code): format \"\(format)\" could write numbers of the kind the series wrote with format \"\(earlier.format)\" (\(shown(earlier.first))…\(shown(last)))\(example.map { "; both can write \($0)" } ?? ""): a number is never issued twice, so a new format must not be able to write the earlier ones; choose another prefix or separator, or a wider counter")
        }
        try await db.raw("""
            INSERT INTO series_formats (series, first_value, format) VALUES (\(bind: code), \(bind: series.next), \(bind: format))
            ON CONFLICT (series, first_value) DO UPDATE SET format = excluded.format
            """).run()
    }

    /// Moves a series forward, e.g. to continue after a migration; the numbers skipped are
    /// recorded as voided. Moving it back, onto a number already issued, is refused.
    public func setNextNumber(series code: String, to next: Int, reason: String) async throws -> NumberSeries {
        try await store.write { db in
            guard var series = try await Self.lockSeries(db, code: code) else {
                throw RegistryError(.notFound, "series \(code) does not exist")
            }
            if next < series.next {
                let shown = quoting(series)
                let history = series.next > series.start
                    ? "numbers \(shown(series.start))…\(shown(series.next - 1)) are issued or voided"
                    : "the series starts at \(shown(series.start))"
                throw RegistryError(.conflict,
                    "series \(code): the next number is \(shown(series.next)) and cannot be set back to \(shown(next)) (\(history)); a series only moves forward, so that no number is issued twice")
            }
            guard next > series.next else { return series }
            // Past what the format can write, the ledger would void numbers that can never exist
            // and the series could issue nothing more.
            if let capacity = (try? NumberFormat(series.format))?.counterCapacity, next > capacity {
                throw RegistryError(.counterExhausted,
                    "series \(code): its format \"\(series.format)\" writes counters up to \(capacity), so the next number cannot be \(next); widen the format first (series update \(code) --format …)")
            }
            // A class's or a product's counter ends where its class's format, or the product's
            // range, ends: 99,999 for a four-digit counter voided every number past 9,999 and left
            // the product with none, for good (found by a QA run).
            if series.purpose == .counter {
                for row in try await db.raw("""
                    SELECT 'product ' || p.article AS owner, p.counter_end, c.format, c.code FROM products p
                    JOIN lot_serial_classes c ON c.code = p.class_code WHERE p.counter_series = \(bind: code)
                    UNION ALL
                    SELECT 'class ' || c.code AS owner, NULL AS counter_end, c.format, c.code FROM lot_serial_classes c WHERE c.counter_series = \(bind: code)
                    """).all() {
                    // At most the last number it can write: one past it leaves none (a QA run).
                    if let format = try row.optionalString("format"), let capacity = (try? NumberFormat(format))?.counterCapacity, next > capacity {
                        throw RegistryError(.counterExhausted,
                            "series \(code): class \(try row.string("code"))'s format \"\(format)\" writes counters up to \(capacity), so the next number cannot be \(next): every number would be voided and none left")
                    }
                    if let end = try row.optionalInt("counter_end"), next > end {
                        throw RegistryError(.counterExhausted,
                            "series \(code): \(try row.string("owner"))'s counter range ends at \(end), so the next number cannot be \(next): every number would be voided and none left; give it a later range first (product update … --counter-end)")
                    }
                }
            }
            try await db.raw("UPDATE number_series SET next_value = \(bind: next) WHERE code = \(bind: code)").run()
            try await appendLedger(db, series: code, first: series.next, last: next - 1, kind: .voided,
                                   reason: reason.isEmpty ? "next number set to \(next)" : reason, reference: "")
            series.next = next
            return series
        }
    }

    /// How a message quotes a counter value of `series`: as the series writes the number (today's
    /// date where the format has one), so that it matches what is on the labels.
    private func quoting(_ series: NumberSeries) -> (Int) -> String {
        let format = try? NumberFormat(series.format)
        let date = today
        return { value in (try? format?.format(counter: value, date: date)) ?? String(value) }
    }

    /// Deletes a user series that never issued a number and that no class or product uses.
    public func deleteSeries(_ code: String) async throws {
        try await store.write { db in
            guard let series = try await Self.fetchSeries(db, code: code) else {
                throw RegistryError(.notFound, "series \(code) does not exist")
            }
            if series.builtIn {
                throw RegistryError(.conflict, "series \(code) is built in: it can be edited but not deleted")
            }
            if series.next != series.start {
                let shown = quoting(series)
                throw RegistryError(.conflict,
                    "series \(code) has accounted for numbers \(shown(series.start))…\(shown(series.next - 1)): it cannot be deleted, so that no number is ever issued twice")
            }
            let users = try await db.raw("""
                SELECT code AS name FROM lot_serial_classes WHERE counter_series = \(bind: code)
                UNION ALL SELECT article AS name FROM products WHERE counter_series = \(bind: code)
                """).all().map { try $0.string("name") }
            if !users.isEmpty {
                throw RegistryError(.conflict, "series \(code) is the counter of \(Self.list(users, limit: 5)): it cannot be deleted")
            }
            try await db.raw("DELETE FROM number_series WHERE code = \(bind: code)").run()
        }
    }

    /// Takes `count` numbers from a series, recorded as issued to `reference`.
    ///
    /// Gapless and never duplicated: the series' row is locked until the transaction commits, and
    /// a transaction that rolls back gives its numbers back.
    public func takeNumbers(series code: String, count: Int = 1, reason: String = "", reference: String = "") async throws -> TakenNumbers {
        guard (1...1_000_000).contains(count) else {
            throw RegistryError(.invalidInput, "count \(count): take 1 to 1000000 numbers at a time")
        }
        return try await store.write { db in
            // Taken by hand, a counter's numbers were marked issued that no lot or serial carries,
            // and a document series' would leave documents missing (found by a QA run).
            if let series = try await Self.fetchSeries(db, code: code) {
                if series.purpose == .counter {
                    throw RegistryError(.conflict,
                        "series \(code) is the counter of a class or product: its numbers are made by generate (or a receipt, or a production run), which registers each; take numbers from a series of your own (series add)")
                }
                if series.builtIn {
                    throw RegistryError(.conflict,
                        "series \(code) numbers the \(code.lowercased()) documents, without a gap: its numbers are taken by posting them")
                }
            }
            return try await takeNumbers(db, series: code, count: count, reason: reason, reference: reference)
        }
    }

    /// ``takeNumbers(series:count:reason:reference:)`` inside a transaction that is already open,
    /// so that documents take their number in the transaction that posts them.
    public func takeNumbers(_ db: any SQLDatabase, series code: String, count: Int, reason: String, reference: String) async throws -> TakenNumbers {
        let postgres = db.dialect.name == "postgresql"
        // On PostgreSQL the ledger entry is written by the statement that advances the series
        // (one round trip, not two); a refusal below rolls both back with the transaction.
        let ledger: SeriesEntryDraft? = postgres ? SeriesEntryDraft(kind: .issued, reason: reason, reference: reference, createdAt: now) : nil
        let (first, series) = try await advance(db, series: code, by: count, ledger: ledger)
        let format = try NumberFormat(series.format)
        let last = first + count - 1
        if let capacity = format.counterCapacity, last > capacity {
            throw RegistryError(.counterExhausted,
                "series \(code) would reach \(last), which does not fit its format \"\(series.format)\" (at most \(capacity)); numbers are never wrapped or widened: widen the format")
        }
        var numbers: [String] = []
        numbers.reserveCapacity(count)
        let date = today
        for value in first...last { numbers.append(try format.format(counter: value, date: date)) }
        if ledger == nil {
            try await appendLedger(db, series: code, first: first, last: last, kind: .issued, reason: reason, reference: reference)
        }
        return TakenNumbers(series: code, first: first, last: last, numbers: numbers)
    }

    public func series(_ code: String) async throws -> NumberSeries {
        try await store.read { db in
            guard let series = try await Self.fetchSeries(db, code: code) else {
                throw RegistryError(.notFound, "series \(code) does not exist")
            }
            return series
        }
    }

    public func allSeries() async throws -> [NumberSeries] {
        try await store.read { db in
            try await db.raw("SELECT * FROM number_series ORDER BY code").all().map(Self.decodeSeries)
        }
    }

    /// The series' ledger, oldest first.
    public func ledger(series code: String) async throws -> [SeriesEntry] {
        try await store.read { db in
            guard try await Self.fetchSeries(db, code: code) != nil else {
                throw RegistryError(.notFound, "series \(code) does not exist")
            }
            return try await db.raw("SELECT * FROM series_entries WHERE series = \(bind: code) ORDER BY first_value, id").all().map { row in
                SeriesEntry(first: try row.int("first_value"), last: try row.int("last_value"),
                            kind: try row.enumeration("kind", as: SeriesEntry.Kind.self),
                            reason: try row.string("reason"), reference: try row.string("reference"),
                            createdAt: try row.string("created_at"))
            }
        }
    }

    /// Checks that the ledger accounts for every number from the start to the next, exactly once.
    public func audit(series code: String) async throws -> SeriesAudit {
        let series = try await series(code)
        let entries = try await ledger(series: code)
        var audit = SeriesAudit(series: code, start: series.start, next: series.next, issued: 0, reserved: 0,
                                voided: 0, gaps: [], overlaps: [])
        var expected = series.start
        var accounted: [SeriesEntry] = []
        for entry in entries {
            let size = entry.last - entry.first + 1
            switch entry.kind {
            case .issued: audit.issued += size
            case .reserved: audit.reserved += size
            case .voided: audit.voided += size
            case .retired:
                // Voided after it was issued or reserved: moves from that count to voided.
                if let covering = accounted.last(where: { $0.first <= entry.first && entry.last <= $0.last }) {
                    if covering.kind == .reserved { audit.reserved -= size } else { audit.issued -= size }
                    audit.voided += size
                }
                continue
            }
            accounted.append(entry)
            if entry.first > expected { audit.gaps.append(expected...(entry.first - 1)) }
            if entry.first < expected { audit.overlaps.append(entry.first...min(entry.last, expected - 1)) }
            expected = max(expected, entry.last + 1)
        }
        if expected < series.next { audit.gaps.append(expected...(series.next - 1)) }
        if expected > series.next { audit.overlaps.append(series.next...(expected - 1)) }
        return audit
    }

    // MARK: - Internals

    static func validateSeriesFormat(_ format: String, code: String) throws(RegistryError) {
        let parsed = try NumberFormat(format)
        guard parsed.hasCounter else {
            throw RegistryError(.invalidInput, "series \(code): format \"\(format)\" has no counter ({counter:N})")
        }
    }

    /// Advances a series by `count` and returns the first value taken. The update locks the row
    /// until commit, so concurrent takers queue up and a rollback undoes it.
    /// A ledger entry for the numbers ``advance(_:series:by:ledger:)`` takes, written with it.
    struct SeriesEntryDraft {
        let kind: SeriesEntry.Kind
        let reason: String
        let reference: String
        let createdAt: String
    }

    /// Moves a series on by `count` and returns the first number taken. With `ledger` (PostgreSQL
    /// only: SQLite has no writing common table expressions), the same statement records them.
    ///
    /// On PostgreSQL the same statement passes the numbers' gate (``numbersGate``) first, shared,
    /// so that a restore holding it shut hands out no number until it has moved every series on.
    func advance(_ db: any SQLDatabase, series code: String, by count: Int, ledger: SeriesEntryDraft? = nil) async throws -> (Int, NumberSeries) {
        let postgres = store.kind == .postgres
        let update: SQLQueryString = """
            UPDATE number_series SET next_value = next_value + \(bind: count)\(unsafeRaw: postgres ? " FROM gate" : "") WHERE code = \(bind: code)
            RETURNING code, description, format, start_value, next_value, built_in, purpose
            """
        let gate = postgres ? "gate AS (SELECT pg_advisory_xact_lock_shared(\(Self.numbersGate), hashtext(current_schema())))" : ""
        let statement: SQLQueryString = ledger.map { entry in """
            WITH \(unsafeRaw: postgres ? gate + ", " : "")advanced AS (\(update)),
            recorded AS (
                INSERT INTO series_entries (series, first_value, last_value, kind, reason, reference, created_at)
                SELECT code, next_value - \(bind: count), next_value - 1, \(bind: entry.kind.rawValue), \(bind: entry.reason),
                       \(bind: entry.reference), \(bind: entry.createdAt) FROM advanced)
            SELECT code, description, format, start_value, next_value, built_in, purpose FROM advanced
            """ } ?? (postgres ? "WITH \(unsafeRaw: gate) \(update)" : update)
        guard let row = try await db.raw(statement).first() else {
            throw RegistryError(.notFound, "series \(code) does not exist")
        }
        let series = try Self.decodeSeries(row)
        return (series.next - count, series)
    }

    /// The PostgreSQL advisory lock every number taken passes, shared (``advance(_:series:by:ledger:)``),
    /// and a restore holds shut from before it notes where each series got to until it has moved
    /// them on again (``holdingNumbers(_:)``): numbers were taken from the backup's series in the
    /// moment between pg_restore's commit and that, and during the restore itself, and handed out
    /// a second time (found by a QA run). Advisory locks are the database's: the second key is
    /// the schema's, so that a restore of one Tracemark schema stops no other's numbers.
    static let numbersGate: Int32 = 0x546D_4E75  // "TmNu"

    /// Runs `body` with the numbers' gate shut (PostgreSQL: no number is taken meanwhile, in any
    /// process; one that waits longer than `lock_timeout` gives up, said as the database being
    /// busy). Shut once every transaction taking numbers has committed. The lock is held by a
    /// transaction of its own that touches no table, so that pg_restore, in its own session, is
    /// not kept from dropping them. On SQLite `body` just runs: its restore is one transaction.
    public func holdingNumbers<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard store.kind == .postgres else { return try await body() }
        return try await store.write { db in
            try await db.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(Self.numbersGate)), hashtext(current_schema()))").run()
            return try await body()
        }
    }

    /// Reads a series and locks its row for the rest of the transaction.
    static func lockSeries(_ db: any SQLDatabase, code: String) async throws -> NumberSeries? {
        try await db.raw("""
            UPDATE number_series SET next_value = next_value WHERE code = \(bind: code)
            RETURNING code, description, format, start_value, next_value, built_in, purpose
            """).first().map(decodeSeries)
    }

    func appendLedger(_ db: any SQLDatabase, series: String, first: Int, last: Int, kind: SeriesEntry.Kind,
                      reason: String, reference: String) async throws {
        try await Self.appendLedger(db, series: series, first: first, last: last, kind: kind, reason: reason, reference: reference, at: now)
    }

    /// ``appendLedger(_:series:first:last:kind:reason:reference:)`` at a given time (a restore's).
    static func appendLedger(_ db: any SQLDatabase, series: String, first: Int, last: Int, kind: SeriesEntry.Kind,
                             reason: String, reference: String, at time: String) async throws {
        try await db.raw("""
            INSERT INTO series_entries (series, first_value, last_value, kind, reason, reference, created_at)
            VALUES (\(bind: series), \(bind: first), \(bind: last), \(bind: kind.rawValue), \(bind: reason), \(bind: reference), \(bind: time))
            """).run()
    }

    /// With `ifMissing`, a series of that code made meanwhile by another transaction is left as it is.
    static func insertSeries(_ db: any SQLDatabase, _ s: NumberSeries, ifMissing: Bool = false) async throws {
        try await db.raw("""
            INSERT INTO number_series (code, description, format, start_value, next_value, built_in, purpose)
            VALUES (\(bind: s.code), \(bind: s.description), \(bind: s.format), \(bind: s.start), \(bind: s.next),
                    \(bind: s.builtIn ? 1 : 0), \(bind: s.purpose.rawValue))\(unsafeRaw: ifMissing ? " ON CONFLICT (code) DO NOTHING" : "")
            """).run()
    }

    static func fetchSeries(_ db: any SQLDatabase, code: String) async throws -> NumberSeries? {
        try await db.raw("SELECT * FROM number_series WHERE code = \(bind: code)").first().map(decodeSeries)
    }

    static func decodeSeries(_ row: any SQLRow) throws -> NumberSeries {
        var series = NumberSeries(code: try row.string("code"), description: try row.string("description"),
                                  format: try row.string("format"), start: try row.int("start_value"),
                                  builtIn: try row.bool("built_in"),
                                  purpose: try row.enumeration("purpose", as: NumberSeries.Purpose.self))
        series.next = try row.int("next_value")
        return series
    }
}

import Store

/// The spool's tables, in the registry's database so that a job and the numbers it prints are
/// written in one transaction. Versioned on their own (`printing_migrations`): the registry knows
/// nothing of printers.
enum SpoolSchema {
    static let migrations: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "printers and print jobs", statements: [
            """
            CREATE TABLE printers (
                name TEXT PRIMARY KEY,
                uri TEXT NOT NULL,
                language TEXT NOT NULL,
                settings TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'unknown',
                state_message TEXT NOT NULL DEFAULT '',
                state_at TEXT,
                worker TEXT,
                lease_until TEXT,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE print_jobs (
                id {id},
                printer TEXT NOT NULL REFERENCES printers(name),
                state TEXT NOT NULL,
                language TEXT NOT NULL,
                label_count {int} NOT NULL,
                copies {int} NOT NULL,
                template TEXT,
                data TEXT,
                requested_by TEXT NOT NULL,
                reason TEXT NOT NULL,
                reference TEXT NOT NULL,
                attempts {int} NOT NULL DEFAULT 0,
                next_attempt_at TEXT,
                error TEXT NOT NULL DEFAULT '',
                printed_labels {int} NOT NULL DEFAULT 0,
                possibly_duplicated {int} NOT NULL DEFAULT 0,
                confirmed {int} NOT NULL DEFAULT 0,
                batch {int},
                delivery TEXT,
                reprint_of {int} REFERENCES print_jobs(id),
                created_at TEXT NOT NULL,
                sent_at TEXT,
                finished_at TEXT
            )
            """,
            // The worker's queue: a printer's unfinished jobs in order.
            "CREATE INDEX print_jobs_queue ON print_jobs(printer, state, id)",
            // The bytes apart from the job's row: a job changes state four times on its way, and
            // a row holding a kilobyte of label would be rewritten whole each time.
            "CREATE TABLE print_job_payloads (job_id {int} PRIMARY KEY REFERENCES print_jobs(id), payload {blob} NOT NULL)",
            """
            CREATE TABLE print_job_events (
                id {id},
                job_id {int} NOT NULL REFERENCES print_jobs(id),
                at TEXT NOT NULL,
                state TEXT NOT NULL,
                message TEXT NOT NULL
            )
            """,
            "CREATE INDEX print_job_events_job ON print_job_events(job_id, id)",
        ]),
        // Leases are fenced and timed by the database: `lease_epoch` grows each time a printer
        // changes hands and every write of a worker checks it; `lease_expires` is milliseconds on
        // the database's clock (`lease_until`, a station's clock as text, is no longer used).
        SchemaMigration(version: 2, name: "fenced leases on the database's clock, a database id", statements: [
            "ALTER TABLE printers ADD COLUMN lease_epoch {int} NOT NULL DEFAULT 0",
            "ALTER TABLE printers ADD COLUMN lease_expires {int}",
            "UPDATE printers SET worker = NULL, lease_until = NULL",
            "CREATE TABLE spool_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
        // Each change of a printer's state (ready, paper-out, head-open, offline …), kept for the
        // event feed and for the printer's history; kept when the printer is removed.
        SchemaMigration(version: 3, name: "printer state changes", statements: [
            """
            CREATE TABLE printer_events (
                id {id},
                printer TEXT NOT NULL,
                at TEXT NOT NULL,
                state TEXT NOT NULL,
                message TEXT NOT NULL
            )
            """,
        ]),
        // The resolution a job was rendered at, when Tracemark rendered it (NULL: raw bytes from
        // elsewhere, or a job of before): a printer configured anew at another dpi holds it rather
        // than print it at the wrong size, as for a change of language.
        SchemaMigration(version: 4, name: "the resolution a job was rendered at", statements: [
            "ALTER TABLE print_jobs ADD COLUMN dpi {int}",
        ]),
        // A printer removed is kept, marked, with its finished jobs and their history: which label
        // was printed where, by whom and how often is evidence a trace or an audit asks for, and
        // a reprint's limit counts the prints before. It is neither listed nor sent to; adding
        // its name again takes the row back, history and fencing epoch included.
        SchemaMigration(version: 5, name: "printers removed are kept with their jobs", statements: [
            "ALTER TABLE printers ADD COLUMN removed_at TEXT",
        ]),
        // A job's id is quoted (`jobs retry 59`, the scan log's jobs, the printer's label): on
        // SQLite a restore from an older backup gave the ids of the jobs made after it to new
        // jobs (found by a QA run); PostgreSQL's identity is moved on by the restore.
        SchemaMigration(version: 6, name: "job ids never given twice", statements: [], idsNeverReused: ["print_jobs"]),
    ]
}

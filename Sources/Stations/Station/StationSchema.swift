import Store

/// The stations' tables, in the registry's database so that a scan's action and its log entry
/// are one transaction. Versioned on their own (`stations_migrations`).
enum StationSchema {
    static let migrations: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "scan log and station tasks", statements: [
            // A station's open work: a receipt being received, with the operator and the
            // quantity the next scan takes (TM:OP, TM:QTY).
            """
            CREATE TABLE station_tasks (
                id {id},
                station TEXT NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                warehouse TEXT,
                partner TEXT,
                operator TEXT NOT NULL DEFAULT '',
                next_quantity TEXT,
                document TEXT,
                opened_at TEXT NOT NULL,
                closed_at TEXT
            )
            """,
            "CREATE INDEX station_tasks_open ON station_tasks(station, state)",
            """
            CREATE TABLE station_task_lines (
                id {id},
                task_id {int} NOT NULL REFERENCES station_tasks(id),
                product TEXT NOT NULL,
                number TEXT,
                serial {int} NOT NULL,
                quantity TEXT NOT NULL,
                expiry TEXT,
                production TEXT,
                job_id {int},
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX station_task_lines_task ON station_task_lines(task_id)",
            // Every scan, whatever became of it: the bytes as received, and the verdict.
            """
            CREATE TABLE station_scans (
                id {id},
                station TEXT NOT NULL,
                device TEXT NOT NULL,
                scan_key TEXT,
                raw {blob} NOT NULL,
                symbology TEXT,
                operator TEXT NOT NULL,
                at TEXT NOT NULL,
                verdict TEXT NOT NULL,
                reasons TEXT NOT NULL,
                action TEXT NOT NULL,
                task_id {int},
                document TEXT,
                jobs TEXT NOT NULL,
                next TEXT NOT NULL
            )
            """,
            // A client's scan id acts once per station.
            "CREATE UNIQUE INDEX station_scans_key ON station_scans(station, scan_key)",
            "CREATE INDEX station_scans_at ON station_scans(station, id)",
        ]),
        // Which process runs a station: one at a time, however many `serve` processes on one
        // database name it; timed on the database's clock.
        SchemaMigration(version: 2, name: "station claims", statements: [
            """
            CREATE TABLE station_claims (
                station TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                claimed_until {int} NOT NULL
            )
            """,
        ]),
        // Picking: a line that needs a reason before the issue posts (not the first-expiring
        // lot), the reason given, and the scan that made the line.
        SchemaMigration(version: 3, name: "pick confirmations", statements: [
            "ALTER TABLE station_task_lines ADD COLUMN scan_id {int}",
            "ALTER TABLE station_task_lines ADD COLUMN pending TEXT",
            "ALTER TABLE station_task_lines ADD COLUMN confirmation TEXT",
        ]),
        // Production lines: a run's product, planned count and lot, and each label it printed
        // with what became of it (printed, verified, voided), so that a run report can say
        // what was printed, verified, voided and missing.
        SchemaMigration(version: 4, name: "production runs", statements: [
            "ALTER TABLE station_tasks ADD COLUMN product TEXT",
            "ALTER TABLE station_tasks ADD COLUMN planned {int}",
            "ALTER TABLE station_tasks ADD COLUMN lot TEXT",
            """
            CREATE TABLE station_run_units (
                id {id},
                task_id {int} NOT NULL REFERENCES station_tasks(id),
                number TEXT NOT NULL,
                job_id {int},
                state TEXT NOT NULL,
                scan_id {int},
                document TEXT,
                note TEXT,
                changed_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX station_run_units_task ON station_run_units(task_id, state, id)",
            // The components a run consumes per unit: the latest lot scanned of each product.
            "ALTER TABLE station_task_lines ADD COLUMN replaced {int} NOT NULL DEFAULT 0",
        ]),
        // The badges stations accept, and who is a supervisor (TM:OK:<badge> confirms an override).
        SchemaMigration(version: 5, name: "station operators", statements: [
            """
            CREATE TABLE station_operators (
                badge TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                active {int} NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
        ]),
        // An operator's PIN, for signing in where there is no badge reader: salted SHA-256.
        SchemaMigration(version: 6, name: "operator PINs", statements: [
            "ALTER TABLE station_operators ADD COLUMN pin_salt TEXT",
            "ALTER TABLE station_operators ADD COLUMN pin_hash TEXT",
        ]),
        // A line taken off a task (TM:UNDO) is kept, marked removed, with who removed it: its id
        // is never another line's.
        SchemaMigration(version: 7, name: "removed task lines", statements: [
            "ALTER TABLE station_task_lines ADD COLUMN removed_at TEXT",
            "ALTER TABLE station_task_lines ADD COLUMN removed_by TEXT",
        ]),
        // The scanner a TM:QTY was scanned on (``Station/partKey(_:)``): the quantity is that
        // scanner's next scan's, not another operator's at the same station.
        SchemaMigration(version: 8, name: "the scanner of a pending quantity", statements: [
            "ALTER TABLE station_tasks ADD COLUMN next_quantity_scanner TEXT",
        ]),
        // What each unit's printed label carries, as a scanner reads it (JSON of the barcodes):
        // the verify scanner compares with it, not with the label the station's template makes
        // now (a template changed since the print alarmed correct labels, or stopped the check).
        SchemaMigration(version: 9, name: "what a unit's label carries", statements: [
            "ALTER TABLE station_run_units ADD COLUMN readings TEXT",
        ]),
        // A scan's id is quoted (scan #199 in the log, the page and the API): on SQLite a
        // restore from an older backup gave the ids of the scans made after it to new scans
        // (found by a QA run); PostgreSQL's identity is moved on by the restore.
        SchemaMigration(version: 10, name: "scan ids never given twice", statements: [], idsNeverReused: ["station_scans"]),
    ]
}

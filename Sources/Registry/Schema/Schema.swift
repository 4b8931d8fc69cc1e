import Foundation
import SQLKit
import Store

/// The registry's schema as versioned migrations, written once for both databases.
///
/// `{id}`, `{int}` and `{blob}` stand for the column types that differ between SQLite and
/// PostgreSQL. Quantities are stored as integers in millionths (exact, summable in SQL);
/// calendar dates as `YYYY-MM-DD` text; instants as ISO 8601 UTC text; flags as 0/1.
enum Schema {
    struct Migration {
        let version: Int
        let name: String
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "master data and numbering", statements: [
            """
            CREATE TABLE number_series (
                code TEXT PRIMARY KEY,
                description TEXT NOT NULL,
                format TEXT NOT NULL,
                start_value {int} NOT NULL,
                next_value {int} NOT NULL,
                built_in {int} NOT NULL DEFAULT 0,
                purpose TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE series_entries (
                id {id},
                series TEXT NOT NULL REFERENCES number_series(code),
                first_value {int} NOT NULL,
                last_value {int} NOT NULL,
                kind TEXT NOT NULL,
                reason TEXT NOT NULL,
                reference TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX series_entries_series ON series_entries(series, first_value)",
            """
            CREATE TABLE lot_serial_classes (
                code TEXT PRIMARY KEY,
                description TEXT NOT NULL,
                tracking TEXT NOT NULL,
                serial_quantity TEXT NOT NULL,
                tracks_expiry {int} NOT NULL,
                assignment TEXT NOT NULL,
                issue_method TEXT NOT NULL,
                batch_size {int} NOT NULL,
                format TEXT,
                counter_scope TEXT NOT NULL,
                counter_series TEXT REFERENCES number_series(code),
                uniqueness TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE products (
                id {id},
                article TEXT NOT NULL UNIQUE,
                gtin TEXT UNIQUE,
                description TEXT NOT NULL,
                unit TEXT NOT NULL,
                class_code TEXT REFERENCES lot_serial_classes(code),
                counter_start {int},
                counter_end {int},
                counter_series TEXT REFERENCES number_series(code),
                allows_unknown_serials {int} NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX products_class ON products(class_code)",
            """
            CREATE TABLE warehouses (
                id {id},
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE partners (
                id {id},
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                min_shelf_life_days {int}
            )
            """,
            """
            CREATE TABLE number_blocks (
                id {id},
                product_id {int} NOT NULL REFERENCES products(id),
                series TEXT NOT NULL REFERENCES number_series(code),
                first_value {int} NOT NULL,
                last_value {int} NOT NULL,
                purpose TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE number_block_numbers (
                block_id {int} NOT NULL REFERENCES number_blocks(id),
                position {int} NOT NULL,
                number TEXT NOT NULL,
                PRIMARY KEY (block_id, position)
            )
            """,
            """
            CREATE TABLE lot_serials (
                id {id},
                product_id {int} NOT NULL REFERENCES products(id),
                kind TEXT NOT NULL,
                number TEXT NOT NULL,
                global_number TEXT UNIQUE,
                expiry TEXT,
                production TEXT,
                status TEXT NOT NULL,
                flagged {int} NOT NULL DEFAULT 0,
                origin TEXT NOT NULL,
                series TEXT REFERENCES number_series(code),
                counter {int},
                created_at TEXT NOT NULL,
                sort_key TEXT NOT NULL,
                received_at TEXT,
                parent_id {int} REFERENCES lot_serials(id),
                UNIQUE (product_id, number)
            )
            """,
            "CREATE INDEX lot_serials_number ON lot_serials(number)",
            "CREATE INDEX lot_serials_expiry ON lot_serials(product_id, expiry)",
            // One index per issue order, so that a proposal walks the available lots in order and
            // stops when it has enough, however many lots the product has.
            "CREATE INDEX lot_serials_fefo ON lot_serials(product_id, status, COALESCE(expiry, '9999-12-31'), received_at, sort_key, id)",
            "CREATE INDEX lot_serials_fifo ON lot_serials(product_id, status, received_at, id)",
            "CREATE INDEX lot_serials_natural ON lot_serials(product_id, status, sort_key, id)",
            """
            CREATE TABLE lot_serial_attributes (
                lot_serial_id {int} NOT NULL REFERENCES lot_serials(id),
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (lot_serial_id, name)
            )
            """,
            """
            CREATE TABLE lot_serial_attachments (
                id {id},
                lot_serial_id {int} NOT NULL REFERENCES lot_serials(id),
                file_name TEXT NOT NULL,
                media_type TEXT NOT NULL,
                size {int} NOT NULL,
                sha256 TEXT NOT NULL,
                content {blob} NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE retired_numbers (
                product_id {int} NOT NULL REFERENCES products(id),
                number TEXT NOT NULL,
                reason TEXT NOT NULL,
                retired_at TEXT NOT NULL,
                PRIMARY KEY (product_id, number)
            )
            """,
            // Stock per product, warehouse and lot/serial (0: stock without a number yet).
            // Kept by the stock documents in the same transaction as their ledger movements.
            """
            CREATE TABLE stock (
                product_id {int} NOT NULL REFERENCES products(id),
                warehouse_id {int} NOT NULL REFERENCES warehouses(id),
                lot_serial_id {int} NOT NULL,
                quantity {int} NOT NULL,
                PRIMARY KEY (product_id, warehouse_id, lot_serial_id)
            )
            """,
            """
            CREATE TABLE documents (
                id {id},
                kind TEXT NOT NULL,
                number TEXT NOT NULL UNIQUE,
                series TEXT NOT NULL REFERENCES number_series(code),
                doc_date TEXT NOT NULL,
                partner_id {int} REFERENCES partners(id),
                warehouse_id {int} REFERENCES warehouses(id),
                to_warehouse_id {int} REFERENCES warehouses(id),
                reason TEXT NOT NULL,
                user_name TEXT NOT NULL,
                note TEXT NOT NULL,
                posted_at TEXT NOT NULL
            )
            """,
            // The append-only ledger: every change of stock, signed, in millionths.
            """
            CREATE TABLE movements (
                id {id},
                document_id {int} NOT NULL REFERENCES documents(id),
                line_no {int} NOT NULL,
                product_id {int} NOT NULL REFERENCES products(id),
                warehouse_id {int} NOT NULL REFERENCES warehouses(id),
                lot_serial_id {int} NOT NULL,
                quantity {int} NOT NULL,
                override TEXT,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX movements_lot_serial ON movements(lot_serial_id, id)",
            "CREATE INDEX movements_document ON movements(document_id)",
            "CREATE INDEX stock_lot_serial ON stock(lot_serial_id)",
            """
            CREATE TABLE genealogy (
                document_id {int} NOT NULL REFERENCES documents(id),
                output_id {int} NOT NULL REFERENCES lot_serials(id),
                input_id {int} NOT NULL REFERENCES lot_serials(id),
                PRIMARY KEY (document_id, output_id, input_id)
            )
            """,
            "CREATE INDEX genealogy_input ON genealogy(input_id)",
            "CREATE INDEX genealogy_output ON genealogy(output_id)",
            """
            CREATE TABLE lot_serial_events (
                id {id},
                lot_serial_id {int} NOT NULL REFERENCES lot_serials(id),
                from_status TEXT NOT NULL,
                to_status TEXT NOT NULL,
                user_name TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX lot_serial_events_lot ON lot_serial_events(lot_serial_id)",
        ]),
        // A recall: its seed lots and everything made from them (the affected set, fixed when
        // it is opened), the partner contact fields its customer exposure list shows, and the
        // index a trace needs to follow splits forward.
        Migration(version: 2, name: "recalls", statements: [
            """
            CREATE TABLE recalls (
                id {id},
                reason TEXT NOT NULL,
                state TEXT NOT NULL,
                opened_by TEXT NOT NULL,
                opened_at TEXT NOT NULL,
                held_by TEXT,
                held_at TEXT,
                closed_by TEXT,
                closed_at TEXT,
                note TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE recall_lots (
                recall_id {int} NOT NULL REFERENCES recalls(id),
                lot_serial_id {int} NOT NULL REFERENCES lot_serials(id),
                seed {int} NOT NULL,
                depth {int} NOT NULL,
                PRIMARY KEY (recall_id, lot_serial_id)
            )
            """,
            "CREATE INDEX recall_lots_lot ON recall_lots(lot_serial_id)",
            // A trace walks splits both ways: forward it asks which lots name this one as parent.
            "CREATE INDEX lot_serials_parent ON lot_serials(parent_id)",
            "ALTER TABLE partners ADD COLUMN contact TEXT",
            "ALTER TABLE partners ADD COLUMN email TEXT",
            "ALTER TABLE partners ADD COLUMN phone TEXT",
        ]),
        // Version 3: FIFO follows the receipt's document date (posting time breaks ties), and a
        // production records which input lines each output line consumed, so that "made from"
        // and "used in" list every line with its quantity, tracked or not.
        Migration(version: 3, name: "document dates and production lines", statements: [
            "ALTER TABLE lot_serials ADD COLUMN received_on TEXT",
            // Lots received before this version keep the day they were posted.
            "UPDATE lot_serials SET received_on = substr(received_at, 1, 10) WHERE received_at IS NOT NULL",
            "DROP INDEX lot_serials_fifo",
            "CREATE INDEX lot_serials_fifo ON lot_serials(product_id, status, received_on, received_at, id)",
            "DROP INDEX lot_serials_fefo",
            "CREATE INDEX lot_serials_fefo ON lot_serials(product_id, status, COALESCE(expiry, '9999-12-31'), received_on, received_at, sort_key, id)",
            """
            CREATE TABLE production_links (
                document_id {int} NOT NULL REFERENCES documents(id),
                output_line {int} NOT NULL,
                input_line {int} NOT NULL,
                PRIMARY KEY (document_id, output_line, input_line)
            )
            """,
            "CREATE INDEX production_links_input ON production_links(document_id, input_line)",
            // Productions posted before this version: each output line consumed every input line
            // (the default when an output names none).
            """
            INSERT INTO production_links (document_id, output_line, input_line)
            SELECT DISTINCT o.document_id, o.line_no, i.line_no
            FROM documents d JOIN movements o ON o.document_id = d.id AND o.quantity > 0 AND COALESCE(o.override, '') <> 'assigned on use'
            JOIN movements i ON i.document_id = d.id AND i.quantity < 0
            WHERE d.kind = 'production' AND o.line_no <> i.line_no
            """,
        ]),
        // Version 4: closed periods, each with the closing balance it was closed at, so that a
        // balance on a day starts from the nearest one instead of the ledger's first movement.
        Migration(version: 4, name: "closed periods", statements: [
            """
            CREATE TABLE closed_periods (
                period TEXT PRIMARY KEY,
                last_day TEXT NOT NULL,
                closed_by TEXT NOT NULL,
                closed_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE period_balances (
                last_day TEXT NOT NULL,
                product_id {int} NOT NULL REFERENCES products(id),
                warehouse_id {int} NOT NULL REFERENCES warehouses(id),
                lot_serial_id {int} NOT NULL,
                quantity {int} NOT NULL,
                PRIMARY KEY (last_day, product_id, warehouse_id, lot_serial_id)
            )
            """,
            "CREATE INDEX documents_date ON documents(doc_date)",
        ]),
        // Version 5: stock value. Each movement carries its value (signed, millionths of the
        // currency), so a valuation on any day is a sum over the ledger like a balance; each stock
        // row keeps its unit cost, which an outgoing movement takes (specific identification: the
        // cost of the lot or serial that leaves). Kept balances keep their value too. And what
        // was exported to accounting, so that an export says what it already handed over.
        Migration(version: 5, name: "stock value and exports", statements: [
            "ALTER TABLE movements ADD COLUMN value {int} NOT NULL DEFAULT 0",
            "ALTER TABLE stock ADD COLUMN unit_cost {int} NOT NULL DEFAULT 0",
            "ALTER TABLE period_balances ADD COLUMN value {int} NOT NULL DEFAULT 0",
            """
            CREATE TABLE accounting_exports (
                target TEXT NOT NULL,
                document_id {int} NOT NULL REFERENCES documents(id),
                digest TEXT NOT NULL,
                exported_by TEXT NOT NULL,
                exported_at TEXT NOT NULL,
                PRIMARY KEY (target, document_id)
            )
            """,
        ]),
        // Version 6: the index a trace follows splits forward by covers split lots only. Over every
        // lot it holds mostly NULLs; once ANALYZE has counted them, SQLite takes a look-up by bound
        // parents for a match of every lot and scans the table (425 ms a trace among 600,000 lots,
        // against 2.4 ms).
        Migration(version: 6, name: "parent index over split lots", statements: [
            "DROP INDEX lot_serials_parent",
            "CREATE INDEX lot_serials_parent ON lot_serials(parent_id) WHERE parent_id IS NOT NULL",
        ]),
        // Version 7: an attachment's content in parts of at most 1 MiB, written and read one part
        // at a time, so that a file is never whole in memory. A file attached before is one part.
        Migration(version: 7, name: "attachments in parts", statements: [
            """
            CREATE TABLE lot_serial_attachment_parts (
                attachment_id {int} NOT NULL REFERENCES lot_serial_attachments(id),
                part {int} NOT NULL,
                content {blob} NOT NULL,
                PRIMARY KEY (attachment_id, part)
            )
            """,
            "INSERT INTO lot_serial_attachment_parts (attachment_id, part, content) SELECT id, 0, content FROM lot_serial_attachments",
            "ALTER TABLE lot_serial_attachments DROP COLUMN content",
        ]),
        // Version 8: a closed month can be reopened to correct it (the newest closed one, with a
        // reason); each reopening is kept with the closing it undid.
        Migration(version: 8, name: "reopened periods", statements: [
            """
            CREATE TABLE period_reopenings (
                id {id},
                period TEXT NOT NULL,
                last_day TEXT NOT NULL,
                closed_by TEXT NOT NULL,
                closed_at TEXT NOT NULL,
                reopened_by TEXT NOT NULL,
                reopened_at TEXT NOT NULL,
                reason TEXT NOT NULL
            )
            """,
        ]),
        // Version 9: how many decimals a product's quantities may have (NULL: up to 6, as before).
        Migration(version: 9, name: "product decimals", statements: [
            "ALTER TABLE products ADD COLUMN decimals {int}",
        ]),
        // Version 10: the formats a series has had, each from the counter it first wrote: a new
        // format is checked against every earlier one, so that it cannot write a number again
        // (a QA run changed P{counter} to P{counter}0 and back, and P30 was issued twice). A
        // series whose format never changed has no rows.
        Migration(version: 10, name: "series formats", statements: [
            """
            CREATE TABLE series_formats (
                series TEXT NOT NULL REFERENCES number_series(code),
                first_value {int} NOT NULL,
                format TEXT NOT NULL,
                PRIMARY KEY (series, first_value)
            )
            """,
        ]),
        // Version 11: lot and serial numbers in Unicode's composed form (NFC), as the store now
        // binds every text: a number entered in the decomposed form ("E" and a combining accent)
        // was a record of its own beside the composed one, looking the same. The rows are
        // composed after the statements (``composeNumbers(_:)``).
        Migration(version: 11, name: "composed numbers", statements: []),
        // Version 12: a number reserved in a block is found by its text, so that a globally
        // unique number reserved (pre-printed) for one product is not registered or generated
        // for another.
        Migration(version: 12, name: "reserved numbers by number", statements: [
            "CREATE INDEX number_block_numbers_number ON number_block_numbers(number)",
        ]),
        // Version 13: the movements of one stock row, for what is left of its value when stock
        // without a number is emptied (its last unit takes it, as a lot's does).
        Migration(version: 13, name: "movements by stock row", statements: [
            "CREATE INDEX movements_stock_row ON movements(product_id, warehouse_id, lot_serial_id)",
        ]),
        // A receipt without a unit cost (no cost known for the lot yet) was valued at 0 and
        // averaged with later receipts, and nothing told it from a cost of 0 (found by a QA run).
        // Such movements, and a production's outputs made from such stock, are marked; the
        // valuation says which stock holds them. Before, a receipt of value 0 could be either:
        // marked, so that an auditor is told rather than not.
        Migration(version: 14, name: "goods received without a unit cost", statements: [
            "ALTER TABLE movements ADD COLUMN cost_missing {int} NOT NULL DEFAULT 0",
            """
            UPDATE movements SET cost_missing = 1
            WHERE value = 0 AND quantity > 0 AND document_id IN (SELECT id FROM documents WHERE kind = 'receipt')
            """,
            "CREATE INDEX movements_cost_missing ON movements(product_id, lot_serial_id) WHERE cost_missing = 1",
        ]),
        // A test result changed left no trace: the new value replaced the old, and nobody could
        // say who changed it or what it was (an auditor's finding). Each value set or changed is
        // kept, with the one before, who, why and when; values set before this version have
        // no such record.
        Migration(version: 15, name: "attribute changes", statements: [
            """
            CREATE TABLE lot_serial_attribute_events (
                id {id},
                lot_serial_id {int} NOT NULL REFERENCES lot_serials(id),
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                old_value TEXT,
                new_value TEXT NOT NULL,
                user_name TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX lot_serial_attribute_events_lot ON lot_serial_attribute_events(lot_serial_id, id)",
        ]),
    ]

    /// The registry's schema, for ``SQLStore/plan(_:)``.
    static let component = ComponentSchema(
        component: "registry", ledger: "tracemark_migrations",
        migrations: migrations.map { SchemaMigration(version: $0.version, name: $0.name, statements: $0.statements) })

    /// Brings the database to the newest version. Safe when several processes start at once:
    /// SQLite's write lock or a PostgreSQL advisory lock lets one of them migrate.
    static func migrate(_ store: any SQLStore, now: String) async throws {
        try await store.migrate(ledger: component.ledger, component: component.component, migrations: component.migrations,
                                now: now) { db, version in
            if version == 11 { try await composeNumbers(db) }
            // Built-in series a version brings (3: ASSIGNMENT), added where missing.
            for series in NumberSeries.builtIns {
                try await db.raw("""
                    INSERT INTO number_series (code, description, format, start_value, next_value, built_in, purpose)
                    SELECT \(bind: series.code), \(bind: series.description), \(bind: series.format),
                           \(bind: series.start), \(bind: series.next), 1, \(bind: series.purpose.rawValue)
                    WHERE NOT EXISTS (SELECT 1 FROM number_series WHERE code = \(bind: series.code))
                    """).run()
            }
        }
    }
}

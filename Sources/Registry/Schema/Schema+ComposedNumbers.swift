import SQLKit
import Store
import Problems

extension Schema {
    /// Brings the lot and serial numbers written before version 11 to Unicode's composed form,
    /// the form every number is now bound in, so that each is found again by what is typed or
    /// scanned. Only numbers that are not ASCII are read. A number whose composed form is
    /// another record's already (the same lot entered in two forms before this version) is left
    /// as it is: merging two records' stock and history is not for a migration to decide.
    static func composeNumbers(_ db: any SQLDatabase) async throws {
        let postgres = db.dialect.name == "postgresql"
        // Rows whose text is not ASCII: more bytes than characters.
        func wide(_ column: String) -> String {
            postgres ? "octet_length(\(column)) <> char_length(\(column))" : "length(CAST(\(column) AS BLOB)) <> length(\(column))"
        }
        // A row named by its bytes in hexadecimal: a bound text would be composed, and miss it.
        let bytes = postgres ? "upper(encode(convert_to(number, 'UTF8'), 'hex'))" : "hex(number)"
        func hex(_ text: String) -> String {
            text.utf8.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined()
        }

        for row in try await db.raw("SELECT id, product_id, number, global_number FROM lot_serials WHERE \(unsafeRaw: wide("number"))").all() {
            let number = try row.decode(column: "number", as: String.self)
            let composed = number.composed
            guard Array(composed.utf8) != Array(number.utf8) else { continue }
            let id = try row.decode(column: "id", as: Int.self)
            let productID = try row.decode(column: "product_id", as: Int.self)
            let global = try row.decode(column: "global_number", as: String?.self) != nil
            var taken: SQLQueryString = "SELECT 1 AS taken FROM lot_serials WHERE product_id = \(bind: productID) AND number = \(bind: composed)"
            if global { taken += " OR global_number = \(bind: composed)" }
            guard try await db.raw(taken).first() == nil else { continue }
            try await db.raw("""
                UPDATE lot_serials SET number = \(bind: composed), sort_key = \(bind: NaturalOrder.key(composed)),
                       global_number = CASE WHEN global_number IS NULL THEN NULL ELSE \(bind: composed) END
                WHERE id = \(bind: id)
                """).run()
        }
        for table in ["retired_numbers", "number_block_numbers"] {
            for row in try await db.raw("SELECT DISTINCT number FROM \(ident: table) WHERE \(unsafeRaw: wide("number"))").all() {
                let number = try row.decode(column: "number", as: String.self)
                let composed = number.composed
                guard Array(composed.utf8) != Array(number.utf8) else { continue }
                // retired_numbers is keyed by product and number: a product that has both forms keeps both.
                var update: SQLQueryString = "UPDATE \(ident: table) SET number = \(bind: composed) WHERE \(unsafeRaw: bytes) = \(bind: hex(number))"
                if table == "retired_numbers" {
                    update += " AND NOT EXISTS (SELECT 1 FROM retired_numbers o WHERE o.product_id = retired_numbers.product_id AND o.number = \(bind: composed))"
                }
                try await db.raw(update).run()
            }
        }
    }
}

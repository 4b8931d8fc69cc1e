import Foundation
import Registry
import SQLKit
import Store
import Testing
import TracemarkTesting

/// What the registry does with a number as typed, pasted or read from a file: one rule everywhere.
@Suite struct NumberInputTests {
    @Test(arguments: Backend.available)
    func spacesAroundANumberAreDroppedOnEveryPath(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            // Registered by hand, received on a document, and named in a JSON file: the same rule.
            let registered = try await registry.register(NewLotSerial(product: "PHONE", number: " 58"))
            #expect(registered.number == "58")
            let receipt = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", [" 57", "59\t"])], header: header()))
            #expect(receipt.movements.compactMap(\.number).sorted() == ["57", "59"])
            let file = Data(#"[{"product": "PHONE", "picks": [{"number": " 60 "}]}, {"product": "BOLT", "quantity": 3}]"#.utf8)
            let lines = try JSONDecoder().decode([StockLine].self, from: file)
            #expect(lines.map(\.picks.count) == [1, 0])
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: lines, header: header()))
            // Looked up with spaces around, each is found as it was stored.
            #expect(try await registry.lotSerial(product: "PHONE", number: "60 ")?.number == "60")
            #expect(try await registry.history(product: "PHONE", number: " 57").entries.count == 1)
            // Inside a number a space is kept, so `5 7` is another number; a control character is refused.
            #expect(try await registry.lotSerial(product: "PHONE", number: "5 7") == nil)
            await expectRefusal(.invalidInput, "contains a control character") {
                _ = try await registry.register(NewLotSerial(product: "PHONE", number: "6\u{1D}1"))
            }
            // A character that does not show would make a number that reads as another one.
            for (hidden, code) in [("\u{202E}", "202E"), ("\u{200B}", "200B"), ("\u{FEFF}", "FEFF"), ("\u{2028}", "2028")] {
                await expectRefusal(.invalidInput, "contains U+\(code), a character that does not show") {
                    _ = try await registry.register(NewLotSerial(product: "PHONE", number: "6\(hidden)1"))
                }
                await expectRefusal(.invalidInput, "contains U+\(code)") {
                    _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", ["6\(hidden)2"])], header: header()))
                }
            }
            // Letters of any script are numbers' characters.
            #expect(try await registry.register(NewLotSerial(product: "PHONE", number: "Å-ﾃ-63")).number == "Å-ﾃ-63")
        }
    }

    /// "CAFÉ" with É as one character and as E and a combining accent look and print the same:
    /// they are one number, whichever form was typed, pasted or read from a file. The store keeps
    /// the composed form (NFC).
    @Test(arguments: Backend.available)
    func aNumberInEitherUnicodeFormIsOneRecord(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let decomposed = "CAFE\u{301}-1", composed = "CAF\u{C9}-1"
            #expect(Array(decomposed.utf8) != Array(composed.utf8))
            _ = try await registry.register(NewLotSerial(product: "PHONE", number: decomposed))
            await expectRefusal(.duplicate) {
                _ = try await registry.register(NewLotSerial(product: "PHONE", number: composed))
            }
            // Received in the other form: the serial registered, not a second one.
            let receipt = try await registry.receive(Receipt(warehouse: "MAIN", lines: [.serials("PHONE", [composed])], header: header()))
            let found = try #require(try await registry.lotSerial(product: "PHONE", number: composed))
            #expect(receipt.movements.count == 1)
            let records = try await registry.store.read { db in
                try await db.raw("SELECT count(*) AS n FROM lot_serials WHERE number LIKE 'CAF%'").first()?.decode(column: "n", as: Int.self)
            }
            #expect(records == 1)
            #expect(Array(found.number.utf8) == Array(composed.utf8))
            #expect(try await registry.lotSerial(product: "PHONE", number: decomposed)?.id == found.id)
            // A scan of either form resolves to it.
            #expect(try await registry.resolve(decomposed).candidates.isEmpty)
            #expect(try await registry.resolve(decomposed).lotSerial?.id == found.id)
        }
    }

    /// A registry written before version 11 may hold a number in the decomposed form: opening it
    /// composes the number (and its retired and reserved copies), so that it is found by what is
    /// typed; one whose composed form is another record's already is left as it was.
    @Test(arguments: Backend.available)
    func openingAnOlderRegistryComposesItsNumbers(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, database in
            _ = try await registry.register(NewLotSerial(product: "PHONE", number: "PLAIN-1"))
            _ = try await registry.register(NewLotSerial(product: "PHONE", number: "TWIN-\u{C9}"))
            // Written as version 10 could: the decomposed form, made by SQL, where no bind composes it.
            let accent = backend == .postgres ? "chr(769)" : "char(769)"
            let store = try await database.openStore()
            try await store.write { db in
                try await db.raw("UPDATE lot_serials SET number = 'CAFE' || \(unsafeRaw: accent), sort_key = 'CAFE' WHERE number = 'PLAIN-1'").run()
                try await db.raw("""
                    INSERT INTO lot_serials (product_id, kind, number, status, flagged, origin, created_at, sort_key)
                    SELECT product_id, kind, 'TWIN-E' || \(unsafeRaw: accent), status, flagged, origin, created_at, 'TWIN-E'
                    FROM lot_serials WHERE number = 'TWIN-' || \(unsafeRaw: backend == .postgres ? "chr(201)" : "char(201)")
                    """).run()
                try await db.raw("DELETE FROM tracemark_migrations WHERE version = 11").run()
            }
            await store.close()

            let reopened = try await Registry(store: try await database.openStore())
            let cafe = try #require(try await reopened.lotSerial(product: "PHONE", number: "CAF\u{C9}"))
            #expect(Array(cafe.number.utf8) == Array("CAF\u{C9}".utf8))
            // The twin stays as it was beside the record it would have become.
            let count = try await reopened.store.read { db in
                try await db.raw("SELECT count(*) AS n FROM lot_serials WHERE number LIKE 'TWIN-%'").first()?.decode(column: "n", as: Int.self)
            }
            #expect(count == 2)
            await reopened.store.close()
        }
    }
}

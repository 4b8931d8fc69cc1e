import Foundation
import Registry
import Testing

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
}

import Foundation
import GS1
import Registry
import SQLKit
import Store
import Testing

@Suite struct GenerationTests {
    let november = CalendarDate(year: 2026, month: 11, day: 23)!

    @Test(arguments: Backend.available)
    func numbersFollowTheClassFormatWithTheDateOfReceipt(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "LOTS", tracking: .lot, format: "LOT-{yyyy}{MM}-{counter:5}"))
            _ = try await registry.addProduct(Product(article: "PAINT", lotSerialClass: "LOTS"))
            let generated = try await registry.generate(product: "PAINT", count: 3, date: november)
            #expect(generated.numbers == ["LOT-202611-00001", "LOT-202611-00002", "LOT-202611-00003"])
            let lot = try #require(try await registry.lotSerial(product: "PAINT", number: "LOT-202611-00002"))
            #expect(lot.kind == .lot)
            #expect(lot.origin == .generated)
            #expect(lot.counter == 2)
            #expect(lot.status == .available)
        }
    }

    /// Generated numbers go to the database as one JSON parameter per statement: a format with
    /// a quote, a backslash and letters beyond ASCII comes back exactly, globally unique too, and
    /// a generation larger than one statement's rows keeps every number in order.
    @Test(arguments: Backend.available)
    func generatedNumbersArriveExactlyWhateverTheirCharacters(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "Q", tracking: .serial, format: #"Q"\é-{counter:6}"#, uniqueness: .global))
            _ = try await registry.addProduct(Product(article: "QP", lotSerialClass: "Q"))
            let generated = try await registry.generate(product: "QP", count: 3, date: november)
            #expect(generated.numbers == [#"Q"\é-000001"#, #"Q"\é-000002"#, #"Q"\é-000003"#])
            let unit = try #require(try await registry.lotSerial(product: "QP", number: #"Q"\é-000002"#))
            #expect(unit.number == #"Q"\é-000002"# && unit.counter == 2 && unit.origin == .generated)

            _ = try await registry.addClass(LotSerialClass(code: "BIG", tracking: .serial, format: "B{counter:7}"))
            _ = try await registry.addProduct(Product(article: "BP", lotSerialClass: "BIG"))
            let many = try await registry.generate(product: "BP", count: 12_345, date: november)
            #expect(many.numbers.count == 12_345 && many.numbers.last == "B0012345")
            let rows = try await registry.store.read { db in
                try await db.raw("SELECT number, counter FROM lot_serials WHERE number LIKE 'B%' ORDER BY id").all()
            }
            #expect(try rows.map { try $0.decode(column: "number", as: String.self) } == many.numbers)
            #expect(try rows.map { try $0.decode(column: "counter", as: Int.self) } == Array(1...12_345))
            #expect(try await registry.audit(series: "CLASS-BIG").isComplete)
        }
    }

    @Test(arguments: Backend.available)
    func generationSkipsNumbersThatExistOrWereVoidedAndAccountsForThem(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:4}"))
            _ = try await registry.addProduct(Product(article: "PHONE", lotSerialClass: "SN"))
            _ = try await registry.register(NewLotSerial(product: "PHONE", number: "SN0002"))
            try await registry.retire(product: "PHONE", number: "SN0003", reason: "label damaged")
            let generated = try await registry.generate(product: "PHONE", count: 3)
            #expect(generated.numbers == ["SN0001", "SN0004", "SN0005"])
            #expect(generated.skipped == ["SN0002", "SN0003"])
            let audit = try await registry.audit(series: "CLASS-SN")
            #expect(audit.isComplete)
            #expect(audit.issued == 3)
            #expect(audit.voided == 2)
        }
    }

    @Test(arguments: Backend.available)
    func aCounterThatWouldOutgrowItsFormatRefusesTheWholeGeneration(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, format: "S{counter:2}"))
            _ = try await registry.addProduct(Product(article: "P", lotSerialClass: "SN"))
            _ = try await registry.generate(product: "P", count: 97)
            await expectRefusal(.counterExhausted, "would reach 100", "S{counter:2}", "2 numbers left") {
                _ = try await registry.generate(product: "P", count: 3)
            }
            #expect(try await registry.series("CLASS-SN").next == 98)
            #expect(try await registry.lotSerials(product: "P", limit: 1000).count == 97)
            #expect(try await registry.generate(product: "P", count: 2).numbers == ["S98", "S99"])
        }
    }

    @Test(arguments: Backend.available)
    func aLotFormatWithoutCounterMakesOneLotPerDay(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "DAY", tracking: .lot, format: "LOT-{yyyy}{MM}{dd}"))
            _ = try await registry.addProduct(Product(article: "BREAD", lotSerialClass: "DAY"))
            #expect(try await registry.generate(product: "BREAD", count: 1, date: november).numbers == ["LOT-20261123"])
            await expectRefusal(.duplicate, "LOT-20261123 of product BREAD exists already", "one number per date") {
                _ = try await registry.generate(product: "BREAD", count: 1, date: november)
            }
            await expectRefusal(.invalidInput, "generate 1, not 2") {
                _ = try await registry.generate(product: "BREAD", count: 2, date: november.adding(days: 1))
            }
        }
    }

    @Test(arguments: Backend.available)
    func eachProductCountsInItsOwnRangeAndStopsAtItsEnd(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "DEV", tracking: .serial, format: "{counter:6}", counterScope: .product))
            _ = try await registry.addProduct(Product(article: "A", lotSerialClass: "DEV", counterStart: 0, counterEnd: 2))
            _ = try await registry.addProduct(Product(article: "B", lotSerialClass: "DEV", counterStart: 100_000))
            #expect(try await registry.generate(product: "A", count: 2).numbers == ["000000", "000001"])
            #expect(try await registry.generate(product: "B", count: 2).numbers == ["100000", "100001"])
            await expectRefusal(.counterExhausted, "the end 2 of product A's counter range", "1 number left", "give the product a later range") {
                _ = try await registry.generate(product: "A", count: 2)
            }
            #expect(try await registry.generate(product: "A", count: 1).numbers == ["000002"])
        }
    }

    @Test(arguments: Backend.available)
    func numbersAreUniquePerProductUnlessTheClassAsksForGlobalUniqueness(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "LOCAL", tracking: .serial))
            _ = try await registry.addClass(LotSerialClass(code: "GLOBAL", tracking: .serial, uniqueness: .global))
            for (article, code) in [("L1", "LOCAL"), ("L2", "LOCAL"), ("G1", "GLOBAL"), ("G2", "GLOBAL")] {
                _ = try await registry.addProduct(Product(article: article, lotSerialClass: code))
            }
            _ = try await registry.register(NewLotSerial(product: "L1", number: "X-1"))
            _ = try await registry.register(NewLotSerial(product: "L2", number: "X-1"))
            _ = try await registry.register(NewLotSerial(product: "G1", number: "X-1"))
            await expectRefusal(.duplicate, "serial X-1 exists already on product G1") {
                _ = try await registry.register(NewLotSerial(product: "G2", number: "X-1"))
            }
            await expectRefusal(.duplicate, "serial X-1 of product L1 exists already") {
                _ = try await registry.register(NewLotSerial(product: "L1", number: "X-1"))
            }
        }
    }

    /// A number reserved in a block (pre-printed labels) of one product of a globally unique
    /// class is not another product's: registered for it, the pre-printed label would name two
    /// units and could no longer be registered when used (a QA run found it was). Generation and
    /// blocks for the other product skip it; the product it was reserved for still registers it.
    @Test(arguments: Backend.available)
    func aNumberReservedForOneProductOfAGloballyUniqueClassIsNotAnothers(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "GSN", tracking: .serial, format: "SN{counter:4}", uniqueness: .global))
            _ = try await registry.addProduct(Product(article: "G1", lotSerialClass: "GSN"))
            _ = try await registry.addProduct(Product(article: "G2", lotSerialClass: "GSN"))
            let block = try await registry.reserveBlock(product: "G1", count: 3, purpose: "pre-printed roll 9")
            #expect(block.numbers == ["SN0001", "SN0002", "SN0003"])
            // Scanned before it is used, a pre-printed number is said to be reserved, not unknown
            // (found by a QA run): as a plain code, and on a label naming its product.
            let plain = try await registry.resolve("SN0003")
            #expect(plain.warnings.map(\.message) == ["SN0003 is no lot or serial yet: it is reserved for product G1 in block \(block.id) (pre-printed roll 9), a pre-printed number not used yet; receive or make the goods to register it"],
                    "\(plain.warnings)")
            _ = try await registry.updateProduct(Product(article: "G1", gtin: try GTIN("09501101530041"), lotSerialClass: "GSN"))
            let labelled = try await registry.resolve("(01)09501101530041(21)SN0003")
            #expect(labelled.warnings.first?.message.hasPrefix("SN0003 of G1 is not registered yet: it is reserved in block \(block.id) (pre-printed roll 9)") == true,
                    "\(labelled.warnings)")
            await expectRefusal(.duplicate, "SN0002 is reserved for product G1 in block \(block.id) (pre-printed roll 9") {
                _ = try await registry.register(NewLotSerial(product: "G2", number: "SN0002"))
            }
            #expect(try await registry.generate(product: "G2", count: 2).numbers == ["SN0004", "SN0005"])
            #expect(try await registry.reserveBlock(product: "G2", count: 1, purpose: "roll 10").numbers == ["SN0006"])
            _ = try await registry.register(NewLotSerial(product: "G1", number: "SN0002"))
            #expect(try await registry.blockReport(block.id).used == ["SN0002"])
        }
    }

    @Test(arguments: Backend.available)
    func makingAClassGloballyUniqueIsRefusedWhenItsNumbersClash(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "C", tracking: .serial))
            _ = try await registry.addProduct(Product(article: "A", lotSerialClass: "C"))
            _ = try await registry.addProduct(Product(article: "B", lotSerialClass: "C"))
            _ = try await registry.register(NewLotSerial(product: "A", number: "7"))
            _ = try await registry.register(NewLotSerial(product: "B", number: "7"))
            var global = try await registry.lotSerialClass("C")
            global.uniqueness = .global
            await expectRefusal(.conflict, "cannot make numbers globally unique") { _ = try await registry.updateClass(global) }
            #expect(try await registry.lotSerialClass("C").uniqueness == .product)
        }
    }

    @Test(arguments: Backend.available)
    func aClassThatTracksExpiryRequiresAnExpiryDate(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "MED", tracking: .lot, tracksExpiry: true, format: "B{counter:4}"))
            _ = try await registry.addProduct(Product(article: "PILLS", lotSerialClass: "MED"))
            await expectRefusal(.invalidInput, "tracks expiry dates") {
                _ = try await registry.register(NewLotSerial(product: "PILLS", number: "B1"))
            }
            await expectRefusal(.invalidInput, "need an expiry date") { _ = try await registry.generate(product: "PILLS", count: 1) }
            // Numbers made ahead for goods already expired are refused (the day before the date they are made on).
            let made = CalendarDate(year: 2026, month: 11, day: 23)!
            await expectRefusal(.invalidInput, "the expiry 2026-11-22 is before 2026-11-23", "numbers are not made for goods already expired") {
                _ = try await registry.generate(product: "PILLS", count: 1, date: made, expiry: made.adding(days: -1))
            }
            // Dated back, the numbers are still made today: an expiry between the date and today
            // is past too (a QA run generated lots a week expired with --date 60 days back).
            let today = registry.today
            await expectRefusal(.invalidInput, "the expiry \(today.adding(days: -7)) is before today, \(today)", "numbers are not made for goods already expired") {
                _ = try await registry.generate(product: "PILLS", count: 1, date: today.adding(days: -60), expiry: today.adding(days: -7))
            }
            // Made after they expire: a typo of one date or the other (a QA run generated such).
            await expectRefusal(.invalidInput, "product PILLS: the production date 2027-06-01 is after the expiry 2027-01-01: check both") {
                _ = try await registry.generate(product: "PILLS", count: 1, date: made, expiry: CalendarDate(year: 2027, month: 1, day: 1),
                                                production: CalendarDate(year: 2027, month: 6, day: 1))
            }
            let expiry = CalendarDate(year: 2027, month: 1, day: 31)!
            let lot = try await registry.register(NewLotSerial(product: "PILLS", number: "B1", expiry: expiry))
            #expect(lot.expiry == expiry)
            #expect(try await registry.lotSerials(product: "PILLS").count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func aReservedBlockReportsUsedVoidedAndOpenNumbers(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:4}"))
            _ = try await registry.addProduct(Product(article: "P", lotSerialClass: "SN"))
            let block = try await registry.reserveBlock(product: "P", count: 4, purpose: "pre-printed roll 7")
            #expect(block.numbers == ["SN0001", "SN0002", "SN0003", "SN0004"])
            _ = try await registry.register(NewLotSerial(product: "P", number: "SN0001"))
            #expect(try await registry.retire(product: "P", number: "SN0002", reason: "torn label").was == .reserved(block: block.id))
            let report = try await registry.blockReport(block.id)
            #expect(report.used == ["SN0001"])
            #expect(report.voided == ["SN0002"])
            #expect(report.open == ["SN0003", "SN0004"])
            // Generation never issues the block's numbers.
            #expect(try await registry.generate(product: "P", count: 1).numbers == ["SN0005"])
            let audit = try await registry.audit(series: "CLASS-SN")
            #expect(audit.isComplete)
            // The voided block number counts as voided, no longer as reserved.
            #expect((audit.reserved, audit.voided) == (3, 1))
        }
    }

    @Test(arguments: Backend.available)
    func aVoidedNumberCanNeverBeUsedAgain(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial))
            _ = try await registry.addProduct(Product(article: "P", lotSerialClass: "SN"))
            _ = try await registry.register(NewLotSerial(product: "P", number: "WRONG-1"))
            #expect(try await registry.retire(product: "P", number: "WRONG-1", reason: "typo at receipt").was == .registered(.available))
            // A number the registry never saw is voided too, and the caller is told so.
            #expect(try await registry.retire(product: "P", number: "WRONG-2", reason: "typo").was == .neverRegistered)
            #expect(try await registry.lotSerial(product: "P", number: "WRONG-1")?.status == .voided)
            await expectRefusal(.numberRetired, "WRONG-1 of product P was voided", "typo at receipt", "never be used again") {
                _ = try await registry.register(NewLotSerial(product: "P", number: "WRONG-1"))
            }
        }
    }

    @Test(arguments: Backend.available)
    func attributesAndCertificatesAreKeptWithTheLot(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "LOTS", tracking: .lot))
            _ = try await registry.addProduct(Product(article: "PAINT", lotSerialClass: "LOTS"))
            _ = try await registry.register(NewLotSerial(
                product: "PAINT", number: "L1", production: CalendarDate(year: 2026, month: 11, day: 1),
                attributes: [Attribute(name: "viscosity", value: .number(Decimal(string: "92.5")!))], user: "lab"))
            let updated = try await registry.setAttributes(product: "PAINT", number: "L1", [
                Attribute(name: "lab", value: .text("North")),
                Attribute(name: "tested", value: .date(CalendarDate(year: 2026, month: 11, day: 20)!)),
                Attribute(name: "viscosity", value: .number(Decimal(string: "93.25")!)),
            ], user: "eva", reason: "retest")
            #expect(updated.attributes.map(\.name) == ["lab", "tested", "viscosity"])
            #expect(updated.attributes.last?.value == .number(Decimal(string: "93.25")!))
            // Each value set or changed is kept with the one before, who and why; one set again
            // as it is records nothing (a changed test result left no trace; an auditor's finding).
            _ = try await registry.setAttributes(product: "PAINT", number: "L1", [Attribute(name: "lab", value: .text("North"))], user: "eva")
            let history = try await registry.history(product: "PAINT", number: "L1").entries.filter { $0.what == "attribute" }
            #expect(history.map { "\($0.override ?? "") by \($0.user): \($0.note)" } == [
                "viscosity = 92.5 by lab: registered", "lab = North by eva: retest", "tested = 2026-11-20 by eva: retest",
                "viscosity: 92.5 → 93.25 by eva: retest",
            ], "\(history)")
            await expectRefusal(.invalidInput, "say who sets the attributes") {
                _ = try await registry.setAttributes(product: "PAINT", number: "L1", [Attribute(name: "lab", value: .text("South"))], user: " ")
            }
            let content = Data("certificate of analysis\n".utf8)
            let file = try await registry.attach(product: "PAINT", number: "L1", fileName: "coa.txt", mediaType: "text/plain", content: content)
            #expect(file.size == content.count)
            #expect(file.sha256 == "5928c45f26932845c089c2029257e7bb736f9cf487555c7f9ebda688e1091a23")
            let (_, stored) = try await registry.attachmentContent(id: file.id)
            #expect(stored == content)
            let lot = try #require(try await registry.lotSerial(product: "PAINT", number: "L1"))
            #expect(lot.attachments.map(\.sha256) == [file.sha256])
            await expectRefusal(.invalidInput, "\"abc\" is not a number") { _ = try Attribute.parse(name: "x", type: "number", text: "abc") }
            // A number is read whole: "1,25" was kept as 1 and "55 mPa·s" as 55 (found by a QA
            // run); a text attribute is one line.
            for text in ["1,25", "55 mPa·s", "45%", "12abc", "0x1A"] {
                await expectRefusal(.invalidInput, "attribute dens: \"\(text)\" is not a number: write it as 1.25") {
                    _ = try Attribute.parse(name: "dens", type: "number", text: text)
                }
            }
            #expect(try Attribute.parse(name: "dens", type: "number", text: "-1.25e2").value == .number(-125))
            await expectRefusal(.invalidInput, "attribute note: \"a\\nb\" holds U+A, a control character or line break") {
                _ = try Attribute.parse(name: "note", type: "text", text: "a\nb")
            }
            #expect(throws: DecodingError.self) {
                _ = try JSONDecoder().decode(Attribute.Value.self, from: Data(#"{"type": "number", "value": "12.5 cP"}"#.utf8))
            }
            // Lists carry them too: a list said every lot had none (a QA run).
            let listed = try await registry.lotSerials(product: "PAINT")
            #expect(listed.first { $0.number == "L1" }.map { ($0.attributes.count, $0.attachments.count) } ?? (0, 0) == (3, 1), "\(listed)")
            let found = try await registry.find(LotSerialQuery(text: "L1"))
            #expect(found.items.first?.attributes.map(\.name) == ["lab", "tested", "viscosity"], "\(found)")
            await expectRefusal(.notFound, "product PAINT has no lot or serial L9") {
                _ = try await registry.setAttributes(product: "PAINT", number: "L9", [Attribute(name: "a", value: .text("b"))], user: "eva")
            }
            // One name twice (`--number x=1 --text x=high`): refused, not the last kept in silence.
            await expectRefusal(.invalidInput, "attribute viscosity is given twice") {
                _ = try await registry.setAttributes(product: "PAINT", number: "L1", [Attribute(name: "viscosity", value: .number(93)),
                                                                                     Attribute(name: "viscosity", value: .text("high"))], user: "eva")
            }
        }
    }

    @Test(arguments: Backend.available)
    func aClassFormatNarrowerThanItsCountersReachedIsRefused(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            // A counter per product: product P has reached 120.
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:4}", counterScope: .product))
            _ = try await registry.addProduct(Product(article: "P", lotSerialClass: "SN"))
            _ = try await registry.generate(product: "P", count: 120)
            await expectRefusal(.conflict, "class SN", "writes counters up to 99", "has reached 120") {
                _ = try await registry.updateClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:2}", counterScope: .product))
            }
            #expect(try await registry.lotSerialClass("SN").format == "SN{counter:4}")
            // As wide as needed: accepted.
            _ = try await registry.updateClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:3}", counterScope: .product))
            #expect(try await registry.generate(product: "P", count: 1).numbers == ["SN121"])
            // A shared counter.
            _ = try await registry.addClass(LotSerialClass(code: "LOT", tracking: .lot, format: "L{counter:3}"))
            _ = try await registry.addProduct(Product(article: "Q", lotSerialClass: "LOT"))
            _ = try await registry.generate(product: "Q", count: 12)
            await expectRefusal(.conflict, "class LOT", "writes counters up to 9", "has reached 12") {
                _ = try await registry.updateClass(LotSerialClass(code: "LOT", tracking: .lot, format: "L{counter:1}"))
            }
        }
    }
}

import Registry
import Store
import SQLKit
import Testing

@Suite struct SeriesTests {
    @Test(arguments: Backend.available)
    func builtInDocumentSeriesExistAndCannotBeDeleted(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            let codes = try await registry.allSeries().map(\.code)
            #expect(Set(["RECEIPT", "ISSUE", "TRANSFER", "PRODUCTION", "RETURN", "WRITEOFF"]).isSubset(of: Set(codes)))
            await expectRefusal(.conflict, "built in") { try await registry.deleteSeries("RECEIPT") }
            let edited = try await registry.updateSeries(code: "RECEIPT", description: "Goods in", format: "GI{counter:7}")
            #expect(edited.format == "GI{counter:7}")
            // Its numbers are the receipts': taken by hand, documents would be missing (a QA run);
            // and no class counts in it.
            await expectRefusal(.conflict, "series RECEIPT numbers the receipt documents, without a gap") {
                _ = try await registry.takeNumbers(series: "RECEIPT")
            }
            await expectRefusal(.conflict, "series RECEIPT numbers the receipt documents, without a gap: a class cannot count its numbers in it") {
                _ = try await registry.addClass(LotSerialClass(code: "SHX", tracking: .serial, format: "R{counter:6}", counterSeries: "RECEIPT"))
            }
            #expect(try await registry.audit(series: "RECEIPT").isComplete)
        }
    }

    /// A class's or product's counter is taken by generation, which registers each number; its
    /// next number cannot pass what the class's format or the product's range can write (a typo
    /// voided 99,995 numbers and left a product none, for good; found by a QA run).
    @Test(arguments: Backend.available)
    func aCounterSeriesIsNotTakenByHandNorSetPastItsEnd(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addClass(LotSerialClass(code: "C", tracking: .serial, format: "C{counter:4}", counterScope: .product))
            _ = try await registry.addClass(LotSerialClass(code: "G", tracking: .serial, format: "G{counter:4}"))
            _ = try await registry.addProduct(Product(article: "P1", lotSerialClass: "C"))
            _ = try await registry.addProduct(Product(article: "P4", lotSerialClass: "C", counterStart: 100, counterEnd: 200))
            _ = try await registry.generate(product: "P1", count: 2)
            _ = try await registry.generate(product: "P4", count: 1)
            await expectRefusal(.counterExhausted, "series C/P1: class C's format \"C{counter:4}\" writes counters up to 9999, so the next number cannot be 99999") {
                _ = try await registry.setNextNumber(series: "C/P1", to: 99_999, reason: "typo")
            }
            await expectRefusal(.counterExhausted, "series C/P4: product P4's counter range ends at 200, so the next number cannot be 250") {
                _ = try await registry.setNextNumber(series: "C/P4", to: 250, reason: "typo")
            }
            // One past the end leaves none either (a QA run); the last number is the last allowed.
            await expectRefusal(.counterExhausted, "series C/P4: product P4's counter range ends at 200, so the next number cannot be 201") {
                _ = try await registry.setNextNumber(series: "C/P4", to: 201, reason: "range done")
            }
            #expect(try await registry.setNextNumber(series: "C/P4", to: 200, reason: "the last one").next == 200)
            await expectRefusal(.conflict, "series CLASS-G is the counter of a class or product") {
                _ = try await registry.takeNumbers(series: "CLASS-G", count: 2)
            }
            #expect(try await registry.generate(product: "P1", count: 1).numbers == ["C0003"])
        }
    }

    @Test(arguments: Backend.available)
    func takenNumbersAreConsecutiveAndFormatted(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addSeries(NumberSeries(code: "PAL", format: "PAL{counter:5}", start: 98))
            #expect(try await registry.takeNumbers(series: "PAL", count: 3).numbers == ["PAL00098", "PAL00099", "PAL00100"])
            #expect(try await registry.takeNumbers(series: "PAL").first == 101)
            #expect(try await registry.audit(series: "PAL").isComplete)
        }
    }

    @Test(arguments: Backend.available)
    func settingTheNextNumberForwardVoidsTheSkippedOnesAndBackwardsIsRefused(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addSeries(NumberSeries(code: "INV", format: "{counter:6}"))
            _ = try await registry.takeNumbers(series: "INV", count: 10)
            let moved = try await registry.setNextNumber(series: "INV", to: 5000, reason: "continue after migration")
            #expect(moved.next == 5000)
            await expectRefusal(.conflict, "next number is 005000", "cannot be set back to 000010", "numbers 000001…004999 are issued or voided") {
                _ = try await registry.setNextNumber(series: "INV", to: 10, reason: "")
            }
            // Beyond what the format writes: refused, nothing voided.
            await expectRefusal(.counterExhausted, "writes counters up to 999999, so the next number cannot be 2000000", "widen the format first") {
                _ = try await registry.setNextNumber(series: "INV", to: 2_000_000, reason: "")
            }
            #expect(try await registry.takeNumbers(series: "INV").first == 5000)
            let audit = try await registry.audit(series: "INV")
            #expect(audit.isComplete)
            #expect(audit.issued == 11)
            #expect(audit.voided == 4989)
            let ledger = try await registry.ledger(series: "INV")
            #expect(ledger.map(\.kind) == [.issued, .voided, .issued])
            #expect(ledger[1].reason == "continue after migration")
        }
    }

    @Test(arguments: Backend.available)
    func aTransactionThatRollsBackGivesItsNumbersBack(backend: Backend) async throws {
        struct Abort: Error {}
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addSeries(NumberSeries(code: "DOC"))
            do {
                _ = try await registry.store.write { db in
                    _ = try await registry.takeNumbers(db, series: "DOC", count: 5, reason: "", reference: "doomed")
                    throw Abort()
                }
            } catch is Abort {}
            #expect(try await registry.takeNumbers(series: "DOC").first == 1)
            #expect(try await registry.audit(series: "DOC").isComplete)
        }
    }

    @Test(arguments: Backend.available)
    func aSeriesThatOutgrowsItsFormatIsRefusedWithNothingWritten(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addSeries(NumberSeries(code: "TINY", format: "T{counter:2}", start: 98))
            await expectRefusal(.counterExhausted, "series TINY would reach 100", "T{counter:2}") {
                _ = try await registry.takeNumbers(series: "TINY", count: 3)
            }
            #expect(try await registry.series("TINY").next == 98)
            #expect(try await registry.takeNumbers(series: "TINY", count: 2).numbers == ["T98", "T99"])
        }
    }

    @Test(arguments: Backend.available)
    func aUserSeriesIsDeletedOnlyBeforeItIssuedANumber(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addSeries(NumberSeries(code: "A"))
            _ = try await registry.addSeries(NumberSeries(code: "B", format: "B-{counter:4}"))
            _ = try await registry.takeNumbers(series: "B", count: 2)
            try await registry.deleteSeries("A")
            await expectRefusal(.conflict, "series B has accounted for numbers B-0001…B-0002") { try await registry.deleteSeries("B") }
            await expectRefusal(.invalidInput, "has no counter") { _ = try await registry.addSeries(NumberSeries(code: "C", format: "FIXED")) }
            // A lot format with neither a counter nor a date could only ever make one lot.
            await expectRefusal(.invalidInput, "class ONE: a lot number format needs a counter", "\"code-xxx\" would only ever make one lot") {
                _ = try await registry.addClass(LotSerialClass(code: "ONE", tracking: .lot, format: "code-xxx"))
            }
            _ = try await registry.addClass(LotSerialClass(code: "DAILY", tracking: .lot, format: "L{yy}{MM}{dd}"))
            await expectRefusal(.duplicate, "series B exists already") { _ = try await registry.addSeries(NumberSeries(code: "B")) }
        }
    }

    @Test(arguments: Backend.available)
    func aSeriesFormatNarrowerThanItsCounterReachedIsRefused(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            _ = try await registry.addSeries(NumberSeries(code: "PAL", format: "PAL{counter:5}", start: 98))
            _ = try await registry.takeNumbers(series: "PAL", count: 3)
            await expectRefusal(.conflict, "series PAL", "writes counters up to 99", "has reached 100") {
                _ = try await registry.updateSeries(code: "PAL", description: nil, format: "P{counter:2}")
            }
            #expect(try await registry.updateSeries(code: "PAL", description: nil, format: "P{counter:3}").format == "P{counter:3}")
            #expect(try await registry.takeNumbers(series: "PAL").numbers == ["P101"])
        }
    }

    /// A new format must not be able to write a number the series wrote before, under this
    /// format or any earlier one: a QA run changed P{counter} to P{counter}0 (P30) and back, and
    /// the 28th number after was P30 again, while the audit, which counts counters, said all was
    /// well. A change of prefix or width passes, and so does going back to a format of the same
    /// shape, whose counters go on past those it wrote.
    @Test(arguments: Backend.available)
    func aNewFormatThatCouldWriteAnEarlierNumberIsRefused(backend: Backend) async throws {
        try await withRegistry(backend) { registry, _ in
            await expectRefusal(.invalidInput, "series BIG: start 5000 does not fit its format \"Y{counter:3}\", which writes counters up to 999") {
                _ = try await registry.addSeries(NumberSeries(code: "BIG", format: "Y{counter:3}", start: 5000))
            }
            await expectRefusal(.invalidInput, "series HUGE: start 9223372036854775806 does not fit") {
                _ = try await registry.addSeries(NumberSeries(code: "HUGE", format: "Y{counter}", start: 9_223_372_036_854_775_806))
            }
            _ = try await registry.addSeries(NumberSeries(code: "PAL", format: "P{counter}"))
            #expect(try await registry.takeNumbers(series: "PAL", count: 2).numbers == ["P1", "P2"])
            await expectRefusal(.conflict, "series PAL: format \"P{counter}0\"", "format \"P{counter}\" (P1…P2)", "never issued twice") {
                _ = try await registry.updateSeries(code: "PAL", description: nil, format: "P{counter}0")
            }
            _ = try await registry.updateSeries(code: "PAL", description: nil, format: "Q{counter}0")
            #expect(try await registry.takeNumbers(series: "PAL").numbers == ["Q30"])
            _ = try await registry.updateSeries(code: "PAL", description: nil, format: "P{counter}")
            #expect(try await registry.takeNumbers(series: "PAL").numbers == ["P4"])
            // Q{counter} could write Q30 again (Q{counter}0 wrote it), three numbers ago.
            await expectRefusal(.conflict, "format \"Q{counter}0\" (Q30…Q30)", "both can write Q30") {
                _ = try await registry.updateSeries(code: "PAL", description: nil, format: "Q{counter}")
            }
            _ = try await registry.updateSeries(code: "PAL", description: "pallets", format: nil)
            let taken = try await registry.takeNumbers(series: "PAL", count: 40).numbers
            #expect(Set(taken).count == 40 && !taken.contains("P1") && !taken.contains("P2") && !taken.contains("P4"))
        }
    }
}

import Foundation
import GS1
import Registry
import Testing

/// The stock statement and the balance on a day, by the documents' dates (relative to day0).
@Suite struct LedgerReportTests {
    @Test(arguments: Backend.available)
    func theStockStatementAndTheBalanceOnADayFollowTheDocumentsDates(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)])],
                                                   header: header(0)))
            _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)])],
                                                     header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 3)])],
                                               header: header(2)))
            // Posted last, dated first.
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("B", 2, expires: 90)])],
                                                   header: header(-5)))

            let period = try await registry.movementReport(from: day0, through: day0.adding(days: 1), product: "MILK")
            // Lot B did not move in the period: it is on the statement with its balance.
            #expect(period.groups.map { "\($0.number ?? "-") \($0.warehouse) \($0.opening) → \($0.closing) \($0.rows.count)" }
                    == ["A EAST 0 → 4 1", "A MAIN 0 → 6 2", "B MAIN 2 → 2 0"])
            let main = try #require(period.groups.first { $0.number == "A" && $0.warehouse == "MAIN" })
            #expect(main.rows.map { "\($0.date) \($0.document) \($0.partner ?? "-") \($0.quantity)" } == [
                "\(day0) RCT-000001 ACME 10", "\(day0.adding(days: 1)) TRF-000001 - -4",
            ])
            // A kind filter hides rows, not stock.
            let issues = try await registry.movementReport(from: day0, through: day0.adding(days: 2), product: "MILK", kind: .issue)
            #expect(issues.groups.map { "\($0.number ?? "-") \($0.opening) \($0.rows.map(\.quantity)) \($0.closing)" } == ["A 0 [-3] 3"])
            let later = try await registry.movementReport(from: day0.adding(days: 2), through: day0.adding(days: 9), warehouse: "MAIN")
            #expect(later.groups.map { "\($0.number ?? "-") \($0.opening) \($0.closing)" } == ["A 6 3", "B 2 2"])
            #expect(later.csv.hasPrefix("product,warehouse,number,unit,opening,date,document,kind,partner,quantity,value,override,closing\r\nMILK,MAIN,A,l,6,"))
            #expect(later.csv.hasSuffix("\r\nMILK,MAIN,B,l,2,,,,,,,,2\r\n"), "\(later.csv)")

            let before = try await registry.balance(at: day0.adding(days: -1))
            #expect(before.lines.map { "\($0.product) \($0.warehouse) \($0.number ?? "-") \($0.quantity)" } == ["MILK MAIN B 2"])
            let after = try await registry.balance(at: day0.adding(days: 2), product: "MILK")
            #expect(after.lines.map { "\($0.warehouse) \($0.number ?? "-") \($0.quantity)" } == ["EAST A 4", "MAIN A 3", "MAIN B 2"])
            await expectRefusal(.invalidInput, "the start is after the end") {
                _ = try await registry.movementReport(from: day0.adding(days: 1), through: day0)
            }
            // A filter that names nothing is a typo, refused by name rather than answered with nothing.
            await expectRefusal(.notFound, "product NOPE does not exist") { _ = try await registry.balance(at: day0, product: "NOPE") }
            await expectRefusal(.notFound, "warehouse NOPE does not exist") { _ = try await registry.valuation(at: day0, warehouse: "NOPE") }
            await expectRefusal(.notFound, "partner NOPE does not exist") {
                _ = try await registry.movementReport(from: day0, through: day0, partner: "NOPE")
            }
            await expectRefusal(.notFound, "no lot or serial NOPE of MILK exists") {
                _ = try await registry.movementReport(from: day0, through: day0, product: "MILK", number: "NOPE")
            }
        }
    }

    /// A closed month keeps its closing stock; nothing dated in it can be posted any more, and the
    /// balance on a later day starts from it and agrees with the ledger. (day0's month has ended
    /// before any run of this test.)
    @Test(arguments: Backend.available)
    func aClosedPeriodKeepsItsBalanceAndRefusesPostingsDatedInIt(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let month = String(day0.description.prefix(7))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)])],
                                                   header: header(-10)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 3)])],
                                               header: header(-2)))
            let before = try await registry.balance(at: day0.adding(days: 20))
            let closed = try await registry.closePeriod(month, user: "controller")
            #expect((closed.balances, closed.closedBy) == (1, "controller"))
            #expect(try await registry.closedPeriods().map(\.period) == [month])
            // The same answer from the kept balance as from the ledger, and later postings on top.
            #expect(try await registry.balance(at: day0.adding(days: 20)) == before)
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("B", 5, expires: 90)])],
                                                   header: header(10)))
            let later = try await registry.balance(at: day0.adding(days: 20), product: "MILK")
            #expect(later.lines.map { "\($0.number ?? "-") \($0.quantity)" } == ["A 7", "B 5"])

            for offset in [0, -30] {
                await expectRefusal(.conflict, "a receipt dated \(day0.adding(days: offset)) falls in a closed period", "by controller") {
                    _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 1)], header: header(offset)))
                }
            }
            #expect(try await registry.stock(product: "BOLT").isEmpty)
            await expectRefusal(.conflict, "period \(month) is closed already") { _ = try await registry.closePeriod(month, user: "x") }
            await expectRefusal(.invalidInput, "it can be closed from the day after") { _ = try await registry.closePeriod("2999-01", user: "x") }
            await expectRefusal(.invalidInput, "write it as YYYY-MM") { _ = try await registry.closePeriod("November", user: "x") }
        }
    }

    /// A closed month is corrected by reopening it, newest first and with a reason: postings dated
    /// in it are taken again, its kept balance is dropped and made anew when it is closed again,
    /// and the reopening is kept with the closing it undid.
    @Test(arguments: Backend.available)
    func aClosedPeriodIsReopenedNewestFirstWithAReason(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let month = String(day0.description.prefix(7))
            let earlier = String(day0.adding(days: -31).description.prefix(7))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)])],
                                                   header: header(-40)))
            let sold = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 3)])],
                                                      header: header(0)))
            _ = try await registry.closePeriod(earlier, user: "controller")
            _ = try await registry.closePeriod(month, user: "controller")
            _ = try await registry.recordExports(target: "sie", [(number: sold.number, digest: "d")], user: "controller")

            await expectRefusal(.conflict, "period \(earlier) is not the newest closed one: reopen \(month) first") {
                _ = try await registry.reopenPeriod(earlier, reason: "typo", user: "controller")
            }
            await expectRefusal(.invalidInput, "give the reason to reopen period \(month)") {
                _ = try await registry.reopenPeriod(month, reason: "  ", user: "controller")
            }
            await expectRefusal(.invalidInput, "write it as YYYY-MM") { _ = try await registry.reopenPeriod("2026-13", reason: "x", user: "x") }
            let before = String(day0.adding(days: -62).description.prefix(7))
            await expectRefusal(.conflict, "period \(before) was not closed on its own: it is closed with \(month)") {
                _ = try await registry.reopenPeriod(before, reason: "typo", user: "controller")
            }
            #expect(try await registry.periodReopenings().isEmpty)

            let reopened = try await registry.reopenPeriod(month, reason: "count of 3 was 4", user: "lead")
            #expect((reopened.closedBy, reopened.reopenedBy, reopened.exportedDocuments) == ("controller", "lead", 1))
            #expect(reopened.closedThrough == (try await registry.closedPeriods().first?.lastDay))
            #expect(try await registry.closedPeriods().map(\.period) == [earlier])
            await expectRefusal(.conflict, "period \(month) is not closed (postings are closed through") {
                _ = try await registry.reopenPeriod(month, reason: "again", user: "lead")
            }
            // The correction posts into the reopened month; the earlier month stays closed.
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 1)])],
                                               header: header(0)))
            await expectRefusal(.conflict, "falls in a closed period") {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 1)])],
                                                   header: header(-31)))
            }
            // Closed again, its kept balance holds the correction.
            _ = try await registry.closePeriod(month, user: "controller")
            let balance = try await registry.balance(at: day0.adding(days: 1), product: "MILK")
            #expect(balance.lines.map { "\($0.number ?? "-") \($0.quantity)" } == ["A 6"])
            let log = try await registry.periodReopenings()
            #expect(log.map { "\($0.period) \($0.closedBy) \($0.reopenedBy) \($0.reason)" } == ["\(month) controller lead count of 3 was 4"])
        }
    }
}

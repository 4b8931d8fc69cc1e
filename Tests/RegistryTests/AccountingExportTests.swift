import Foundation
import GS1
import Registry
import Testing
import TracemarkTesting

/// Sales and receipts for Fortnox, and stock value changes as an SIE 4 journal read back through
/// an independent code page 437 decoder (iconv).
@Suite struct AccountingExportTests {
    /// A period with every kind of stock change that touches value; returns its first and last day.
    func postPeriod(_ registry: Registry) async throws -> (CalendarDate, CalendarDate) {
        _ = try await registry.addPartner(Partner(code: "ÅKE", name: "Åkes Ängsmejeri", role: .supplier))
        let serials = (1...12).map { String(format: "SN%05d", $0) } + ["SN00020"]
        _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ÅKE", lines: [
            StockLine(product: "MILK", picks: [lot("A", 10, expires: 90)], unitCost: 2.5),
            StockLine(product: "PHONE", picks: serials.map { .init(number: $0) }, unitCost: 100),
            StockLine(product: "BOLT", quantity: 100, unitCost: 0.1),
        ], header: header(0)))
        _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "SHOP", lines: [
            StockLine(product: "MILK", picks: [.init(number: "A", quantity: 4)]), .serials("PHONE", serials),
            StockLine(product: "BOLT", quantity: 10),
        ], header: header(1)))
        _ = try await registry.issue(Issue(warehouse: "MAIN", lines: [StockLine(product: "BOLT", quantity: 5)], header: header(1)))
        _ = try await registry.transfer(Transfer(from: "MAIN", to: "EAST", lines: [StockLine(product: "BOLT", quantity: 40)], header: header(2)))
        _ = try await registry.writeOff(WriteOff(warehouse: "EAST", reason: .damaged, lines: [StockLine(product: "BOLT", quantity: 1)], header: header(3)))
        _ = try await registry.produce(Production(warehouse: "MAIN", inputs: [StockLine(product: "MILK", picks: [.init(number: "A", quantity: 2)])],
                                                  outputs: [StockLine(product: "BOLT", quantity: 1)], addedCost: 1, header: header(4)))
        return (day0, day0.adding(days: 4))
    }

    @Test(arguments: Backend.available)
    func fortnoxGetsAnInvoicePerSaleAndASupplierInvoicePerReceipt(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            let (from, through) = try await postPeriod(registry)
            let documents = try await registry.accountingDocuments(from: from, through: through, kinds: [.issue, .receipt])
            let (files, skipped) = try FortnoxExport.files(documents)
            #expect(files.map(\.name) == ["supplier-invoice-RCT-000001.json", "invoice-ISS-000001.json"])
            #expect(skipped == ["ISS-000002: no customer"])

            let invoice = try #require(try JSONSerialization.jsonObject(with: files[1].content) as? [String: [String: Any]])["Invoice"]
            #expect(invoice?["CustomerNumber"] as? String == "SHOP")
            #expect(invoice?["InvoiceDate"] as? String == day0.adding(days: 1).description)
            #expect(invoice?["ExternalInvoiceReference1"] as? String == "ISS-000001")
            let rows = (invoice?["InvoiceRows"] as? [[String: Any]]) ?? []
            #expect(rows.map { row in row.keys.sorted().map { "\($0)=\(row[$0]!)" }.joined(separator: " ") } == [
                "ArticleNumber=MILK DeliveredQuantity=4", "Description=Lot A (4 l)",
                "ArticleNumber=PHONE DeliveredQuantity=13", "Description=SN SN00001–SN00012, SN00020",
                "ArticleNumber=BOLT DeliveredQuantity=10",
            ])

            let supplierInvoice = try #require(try JSONSerialization.jsonObject(with: files[0].content) as? [String: [String: Any]])["SupplierInvoice"]
            #expect(supplierInvoice?["SupplierNumber"] as? String == "ÅKE")
            let supplierRows = (supplierInvoice?["SupplierInvoiceRows"] as? [[String: Any]]) ?? []
            #expect(supplierRows.map { row in row.keys.sorted().map { "\($0)=\(row[$0]!)" }.joined(separator: " ") } == [
                "ArticleNumber=MILK Price=2.5 Quantity=10", "ItemDescription=Lot A (10 l)",
                "ArticleNumber=PHONE Price=100 Quantity=13", "ItemDescription=SN SN00001–SN00012, SN00020",
                "ArticleNumber=BOLT Price=0.1 Quantity=100",
            ])

            // The same documents give the same bytes; the registry remembers what it exported.
            #expect(try FortnoxExport.files(try await registry.accountingDocuments(from: from, through: through, kinds: [.issue, .receipt])).files == files)
            let first = try await registry.recordExports(target: "fortnox", files.map { ($0.document, Registry.digest($0.content)) }, user: "anna")
            #expect(first.map(\.firstExportedAt) == [nil, nil])
            let again = try await registry.recordExports(target: "fortnox", files.map { ($0.document, Registry.digest($0.content)) }, user: "anna")
            #expect(again.allSatisfy { $0.firstExportedAt != nil && $0.sameAsBefore })
        }
    }

    /// Text rows hold at most 50 characters however long or scattered the numbers, and lose none.
    @Test func textRowsFitFiftyCharactersAndKeepEveryNumber() throws {
        let scattered = (0..<30).map { "35693803564\(String(format: "%04d", $0 * 7))" }
        let long = String(repeating: "X", count: 64)
        let line = AccountingDocument.Line(product: "PHONE", unit: "pcs", tracking: .serial, quantity: -31, value: 0,
                                           numbers: (scattered + [long]).map { .init(number: $0, quantity: 1) })
        let rows = FortnoxExport.textRows(line)
        #expect(rows.allSatisfy { $0.count <= FortnoxExport.descriptionLimit }, "\(rows)")
        // A number cut across rows goes on with "… ", not with "SN " as if another began.
        #expect(rows.dropLast().allSatisfy { $0.hasPrefix("SN ") } && rows.last?.hasPrefix("… ") == true, "\(rows)")
        let listed = rows.map { $0.dropFirst(3) }.joined(separator: ", ")
        for number in scattered { #expect(listed.contains(number)) }
        #expect(rows[rows.count - 2].dropFirst(3) + rows[rows.count - 1].dropFirst(2) == long)
        let lots = AccountingDocument.Line(product: "MILK", unit: "l", tracking: .lot, quantity: 3, value: 0,
                                           numbers: [.init(number: "L-1", quantity: 1), .init(number: "L-2", quantity: 2)])
        #expect(FortnoxExport.textRows(lots) == ["Lot L-1 (1 l), L-2 (2 l)"])
    }

    @Test(arguments: Backend.available)
    func theSIEJournalBalancesAndAddsUpToTheChangeInStockValue(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, database in
            let (from, through) = try await postPeriod(registry)
            var accounts = StockAccounts()
            accounts.company = "Åkes Lager AB"
            accounts.warehouses["EAST"] = 1461
            accounts.counter[.writeOff] = 4980
            let documents = try await registry.accountingDocuments(from: from, through: through)
            let journal = SIEExport.journal(documents, accounts: accounts, from: from, through: through, generated: through)
            // Code page 437: Å is 0x8F, not UTF-8's C3 85.
            #expect(journal.contains(0x8F) && !journal.contains(0xC3))

            let file = database.folder.appendingPathComponent("stock.se")
            try journal.write(to: file)
            let iconv = try await Command.run("/usr/bin/iconv", ["-f", "CP437", "-t", "UTF-8", file.path])
            #expect(iconv.status == 0, "\(iconv.stderr)")
            let lines = iconv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(Array(lines.prefix(5)) == ["#FLAGGA 0", "#PROGRAM \"Tracemark\" 1.0", "#FORMAT PC8", "#GEN \(through.description.replacingOccurrences(of: "-", with: ""))", "#SIETYP 4"])
            #expect(lines.contains("#FNAMN \"Åkes Lager AB\""))
            #expect(lines.contains("#KONTO 1460 \"Lager av handelsvaror\""))

            // Parsed back: each verification balances, and the stock accounts move by exactly what the valuation changed.
            var verifications: [(text: String, rows: [(Int, Int)])] = []
            for line in lines {
                let fields = line.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
                if fields.first == "#VER" {
                    let text = line.split(separator: "\"").dropFirst(4).first.map(String.init) ?? ""
                    verifications.append((text, []))
                } else if fields.first == "#TRANS", fields.count >= 4, let account = Int(fields[1]) {
                    let amount = fields[3].split(separator: ".")
                    let cents = Int(amount[0])! * 100 + (amount[0].hasPrefix("-") ? -1 : 1) * Int(amount[1])!
                    verifications[verifications.count - 1].rows.append((account, cents))
                }
            }
            #expect(verifications.map(\.text) == ["receipt RCT-000001 Åkes Ängsmejeri", "issue ISS-000001 SHOP", "issue ISS-000002",
                                                  "transfer TRF-000001", "write-off WO-000001", "production PRD-000001"])
            for verification in verifications { #expect(verification.rows.reduce(0) { $0 + $1.1 } == 0, "\(verification)") }
            #expect(verifications[3].rows.map { "\($0.0) \($0.1)" } == ["1460 -400", "1461 400"])
            #expect(verifications[4].rows.map { "\($0.0) \($0.1)" } == ["1461 -10", "4980 10"])
            #expect(verifications[5].rows.map { "\($0.0) \($0.1)" } == ["1460 100", "4960 -100"])
            let stockChange = verifications.flatMap(\.rows).filter { [1460, 1461].contains($0.0) }.reduce(0) { $0 + $1.1 }
            let before = try await registry.valuation(at: from.adding(days: -1)).total
            let after = try await registry.valuation(at: through).total
            #expect(Decimal(stockChange) / 100 == after - before)
        }
    }
    /// A stock account's rows are rounded as they add up: three issues of 0.145 each were booked
    /// at 0.15 and left -0.01 on an account whose goods were all gone (found by a QA run). The
    /// account ends each period at its valuation in öre, and the next period, opening at that
    /// valuation, carries on from there.
    @Test(arguments: Backend.available)
    func theSIEJournalRoundsEachAccountAsItAddsUp(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 3, unitCost: 0.145)],
                                                   header: header(0)))
            for _ in 0..<2 {
                _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "BOLT", quantity: 1)], header: header(0)))
            }
            _ = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [StockLine(product: "BOLT", quantity: 1, unitCost: 0.145)],
                                                   header: header(1)))
            _ = try await registry.issue(Issue(warehouse: "MAIN", customer: "ANY", lines: [StockLine(product: "BOLT", quantity: 2)], header: header(1)))
            func stockRows(_ from: Int, _ through: Int) async throws -> [Int] {
                let (first, last) = (day0.adding(days: from), day0.adding(days: through))
                let opening = SIEExport.values(try await registry.valuation(at: first.adding(days: -1)), accounts: StockAccounts())
                let journal = SIEExport.journal(try await registry.accountingDocuments(from: first, through: last), accounts: StockAccounts(),
                                                from: first, through: last, generated: last, opening: opening)
                return String(decoding: journal, as: UTF8.self).components(separatedBy: "\r\n").compactMap { line in
                    let fields = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
                    guard fields.first == "#TRANS", fields[1] == "1460", let amount = Decimal(string: String(fields[3])) else { return nil }
                    return NSDecimalNumber(decimal: amount * 100).intValue
                }
            }
            // 0.435 in, then 0.145 out twice: 0.44, -0.15, -0.14 (not -0.15, -0.15).
            let first = try await stockRows(0, 0)
            #expect(first == [44, -15, -14], "\(first)")
            // The next day opens at 0.145 (0.15 booked): in 0.145, out 0.29; the account ends at 0.
            let second = try await stockRows(1, 1)
            #expect(second == [14, -29], "\(second)")
            #expect((first + second).reduce(0, +) == 0)
            // One journal over both days books the same.
            #expect(try await stockRows(0, 1) == first + second)
        }
    }
}

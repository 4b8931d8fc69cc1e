import ArgumentParser
import Foundation
import GS1
import Labels
import Printing
import Registry
import Store
import Stations

/// A short tour of the registry, safe to run again and again on the same database.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show what the registry does: classes, products, generated lots and serials, a reserved block, a series audit, a production run printed through the spool.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        // Read before anything is written: without it the tour still runs, and leaves out only
        // the labels, saying why, instead of failing halfway after its documents.
        let template: Template?
        let missingTemplate: String?
        do {
            template = try TemplateLoader().load(contentsOf: TemplateLocation.resolve("gs1-lot-100x50"))
            missingTemplate = nil
        } catch {
            template = nil
            missingTemplate = error.description
        }
        try await options.withRegistry { registry in
            let classes = Set(try await registry.classes().map(\.code))
            if !classes.contains("PAINT") {
                _ = try await registry.addClass(LotSerialClass(
                    code: "PAINT", description: "Paint and chemicals by lot, first-expiry issue", tracking: .lot,
                    tracksExpiry: true, issueMethod: .expiration, format: "L{yy}{MM}-{counter:4}"))
            }
            if !classes.contains("DEVICE") {
                _ = try await registry.addClass(LotSerialClass(
                    code: "DEVICE", description: "Machines by unique serial, own range per product", tracking: .serial,
                    format: "SN{counter:7}", counterScope: .product, uniqueness: .global))
            }
            let products = Set(try await registry.products().map(\.article))
            if !products.contains("PAINT-5L") {
                _ = try await registry.addProduct(Product(article: "PAINT-5L", gtin: try GTIN("09501101530003"),
                                                          description: "Floor paint, 5 l", unit: "pcs", lotSerialClass: "PAINT"))
            }
            if !products.contains("PUMP-200") {
                _ = try await registry.addProduct(Product(article: "PUMP-200", description: "Pump 200 W", lotSerialClass: "DEVICE",
                                                          counterStart: 1_000_000, counterEnd: 1_999_999))
            }
            if !products.contains("PUMP-400") {
                _ = try await registry.addProduct(Product(article: "PUMP-400", description: "Pump 400 W", lotSerialClass: "DEVICE",
                                                          counterStart: 2_000_000, counterEnd: 2_999_999))
            }
            let warehouses = Set(try await registry.warehouses().map(\.code))
            for (code, name) in [("MAIN", "Main warehouse"), ("SHOP-FLOOR", "Shop floor")] where !warehouses.contains(code) {
                _ = try await registry.addWarehouse(Warehouse(code: code, name: name))
            }
            let partners = Set(try await registry.partners().map(\.code))
            if !partners.contains("ACME") { _ = try await registry.addPartner(Partner(code: "ACME", name: "Acme Paints", role: .supplier)) }
            if !partners.contains("BUILDCO") {
                _ = try await registry.addPartner(Partner(code: "BUILDCO", name: "BuildCo", role: .customer, minimumShelfLifeDays: 90))
            }

            print("Registry: \(SQLStores.redacted(options.db))\n")
            print(table(["CLASS", "TRACKING", "FORMAT", "COUNTER"], try await registry.classes().map {
                [$0.code, $0.tracking.rawValue, $0.format ?? "-", $0.counterScope == .shared ? "shared" : "per product"]
            }))
            print("")
            let expiry = registry.today.adding(days: 365)
            let lots = try await registry.generate(product: "PAINT-5L", count: 2, expiry: expiry, reference: "demo")
            print("Generated lots of PAINT-5L (expiry \(expiry)): \(lots.numbers.joined(separator: ", "))")
            let serials = try await registry.generate(product: "PUMP-200", count: 3, reference: "demo")
            print("Generated serials of PUMP-200: \(serials.numbers.joined(separator: ", "))")
            let other = try await registry.generate(product: "PUMP-400", count: 1, reference: "demo")
            print("Generated serial of PUMP-400 (its own range): \(other.numbers.joined(separator: ", "))")

            let block = try await registry.reserveBlock(product: "PUMP-200", count: 3, purpose: "pre-printed labels")
            try await registry.retire(product: "PUMP-200", number: block.numbers[0], reason: "label damaged", user: "demo")
            _ = try await registry.register(NewLotSerial(product: "PUMP-200", number: block.numbers[1]))
            let report = try await registry.blockReport(block.id)
            print("Block \(block.id) for pre-printed labels: used \(report.used), voided \(report.voided), open \(report.open)")

            do {
                _ = try await registry.register(NewLotSerial(product: "PUMP-200", number: serials.numbers[0]))
            } catch let error as RegistryError {
                print("Registering \(serials.numbers[0]) again is refused: \(error.message)")
            }
            do {
                _ = try await registry.addProduct(Product(article: "BAD", gtin: try GTIN("09501101530004")))
            } catch let error as GS1Error {
                print("A mistyped GTIN is refused: \(error.message)")
            }
            let receipt = try await registry.receive(Receipt(warehouse: "MAIN", supplier: "ACME", lines: [
                StockLine(product: "PAINT-5L", quantity: 40, expiry: registry.today.adding(days: 400)),
                StockLine(product: "PUMP-200", quantity: 2),
            ]))
            let received = receipt.movements.compactMap(\.number)
            print("Receipt \(receipt.number) from ACME: \(received.joined(separator: ", "))")
            let issue = try await registry.issue(Issue(warehouse: "MAIN", customer: "BUILDCO", lines: [
                StockLine(product: "PAINT-5L", quantity: 12), StockLine(product: "PUMP-200", quantity: 1),
            ]))
            print("Issue \(issue.number) to BUILDCO (90 days shelf life required) took: "
                  + issue.movements.map { "\(-$0.quantity) \($0.product) \($0.number ?? "")" }.joined(separator: ", "))
            if let number = issue.movements.last?.number {
                let history = try await registry.history(product: "PUMP-200", number: number)
                print("History of \(number): " + history.entries.map { "\($0.what) \($0.document ?? "") \($0.partner ?? "")" }.joined(separator: " → "))
            }
            let audit = try await registry.audit(series: "DEVICE/PUMP-200")
            print("Series DEVICE/PUMP-200: \(audit.issued) issued, \(audit.reserved) reserved, \(audit.voided) voided, "
                  + (audit.isComplete ? "every number accounted for" : "GAPS \(audit.gaps)"))

            // A production run: two new lots of PAINT-5L and their labels, in one transaction, then
            // sent by the spool to the default printer `file`, which writes them to ./labels.
            guard let template else {
                print("Production run and its labels left out: \(missingTemplate ?? "no template gs1-lot-100x50")")
                return
            }
            let spool = try await Spool(store: registry.store)
            let run = try await ProductionRun(product: "PAINT-5L", count: 2, printer: "file", template: template,
                                              data: template.sample, expiry: expiry, requestedBy: "demo",
                                              reason: "demo production run").run(registry: registry, spool: spool)
            var workerOptions = PrinterWorker.Options()
            workerOptions.untilIdle = true
            try await PrinterWorker(spool: spool, printer: "file", options: workerOptions).run()
            print("Production run of PAINT-5L, lots \(run.numbers.joined(separator: ", ")) and their labels:")
            for id in run.jobs { print("  " + describe(try await spool.job(id))) }
            var folder = "labels"
            if case .file(let directory) = try await spool.printer("file").address { folder = directory }
            print("The labels are ZPL files in \(folder)/ (the printer `file`); add a real one with tracemark printers add.")
            print("\nTry: tracemark --help, tracemark lot show PUMP-200 \(serials.numbers[0]) --db \(SQLStores.redacted(options.db)), "
                  + "tracemark jobs --db \(SQLStores.redacted(options.db)), tracemark printers --db \(SQLStores.redacted(options.db))")
        }
    }
}

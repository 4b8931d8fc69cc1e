import ArgumentParser
import Foundation
import GS1
import Registry

struct StockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stock", abstract: "Stock per product, warehouse and lot/serial.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this product.") var product: String?
    @Option(help: "Only this warehouse.") var warehouse: String?
    func run() async throws {
        let stock = try await options.withExistingRegistry { registry in
            let stock = try await registry.stock(product: product, warehouse: warehouse)
            // Nothing found for a name that does not exist is a typo, not an empty shelf.
            if stock.isEmpty {
                if let product { _ = try await registry.product(product) }
                if let warehouse, !(try await registry.warehouses().contains { $0.code == warehouse }) {
                    throw RegistryError(.notFound, "warehouse \(warehouse) does not exist")
                }
            }
            return stock
        }
        try options.emit(stock) {
            table(["PRODUCT", "WAREHOUSE", "NUMBER", "QUANTITY", "UNIT", "STATUS", "EXPIRY"], stock.map {
                [$0.product, $0.warehouse, $0.number ?? "(no number)", "\($0.quantity)", $0.unit,
                 ($0.status?.rawValue ?? "-") + ($0.recall.map { ", recall \($0)" } ?? ""),
                 $0.expiry?.description ?? "-"]
            })
        }
    }
}

struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proposal", abstract: "The lots/serials an issue would take, in the class's issue order.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Option(help: "From this warehouse.") var warehouse: String
    @Option(parsing: .unconditional, help: "How much.") var quantity: String
    @Option(help: "For this customer (their minimum shelf life applies).") var customer: String?
    @Option(help: "Least shelf life in days.") var minShelfLife: Int?
    @Option(help: "On this date (YYYY-MM-DD; default today).") var date: String?
    @Option(help: "Leave out these numbers, already picked on another document (comma-separated, ranges as in --serials; may be repeated).")
    var exclude: [String] = []
    func run() async throws {
        let amount = try LineOptions.decimal(quantity, what: "--quantity")
        let date = try date.map { try parseDate($0, what: "--date") }
        let excluded = try exclude.flatMap(SerialList.expand)
        let proposal = try await options.withExistingRegistry {
            try await $0.proposal(product: product, warehouse: warehouse, quantity: amount, date: date, customer: customer,
                                  minimumShelfLifeDays: minShelfLife, excluding: excluded)
        }
        try options.emit(proposal) {
            var out = table(["NUMBER", "QUANTITY", "EXPIRY", "DAYS LEFT", "RECEIVED"], proposal.picks.map {
                [$0.number, "\($0.quantity)", $0.expiry?.description ?? "-", $0.daysLeft.map(String.init) ?? "-", $0.received ?? "-"]
            })
            if proposal.numberedOnIssue > 0 {
                out += (out.isEmpty ? "" : "\n") + "then \(proposal.numberedOnIssue) \(proposal.unit) without a number yet, numbered when issued"
            }
            if let short = proposal.shortfallDescription { out += (out.isEmpty ? "" : "\n") + short }
            return out
        }
    }
}

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "find", abstract: "Find lots and serials by part of the number, product, status, attribute or expiry.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Part of the number (any case).") var text: String?
    @Option(help: "Only this product.") var product: String?
    @Option(help: "Only this status.") var status: LotSerial.Status?
    @Option(help: ArgumentHelp("Having this attribute (optionally with this value).", valueName: "name[=value]")) var attribute: String?
    @Option(help: "Expiring on or after (YYYY-MM-DD).") var expiresFrom: String?
    @Option(help: "Expiring on or before (YYYY-MM-DD).") var expiresThrough: String?
    @Option(help: "Page size.") var limit = 50
    @Option(help: "Skip this many.") var offset = 0
    func run() async throws {
        var query = LotSerialQuery(text: text, product: product, status: status, limit: limit, offset: offset)
        if let attribute {
            let parts = attribute.split(separator: "=", maxSplits: 1).map(String.init)
            query.attribute = parts[0]
            query.attributeValue = parts.count > 1 ? parts[1] : nil
        }
        query.expiresFrom = try expiresFrom.map { try parseDate($0, what: "--expires-from") }
        query.expiresThrough = try expiresThrough.map { try parseDate($0, what: "--expires-through") }
        let page = try await options.withExistingRegistry { [query] in try await $0.find(query) }
        try options.emit(page) {
            "\(page.total) found" + (page.total > page.items.count ? ", showing \(offset + 1)–\(offset + page.items.count)" : "") + "\n"
                + table(["PRODUCT", "NUMBER", "STATUS", "EXPIRY", "FLAGGED"], page.items.map {
                    [$0.product, $0.number, $0.status.rawValue, $0.expiry?.description ?? "-", $0.flaggedForInvestigation ? "yes" : ""]
                })
        }
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Everything that happened to one lot or serial.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Argument(help: "The lot or serial.") var number: String
    func run() async throws {
        let history = try await options.withExistingRegistry { try await $0.history(product: product, number: number) }
        try options.emit(history) {
            var out = LotSerialCommand.show(history.lotSerial) + "\n\n" + table(
                ["WHEN", "WHAT", "DOCUMENT", "WAREHOUSE", "PARTNER", "QUANTITY", "WHO", "NOTE"],
                history.entries.map {
                    [$0.date?.description ?? String($0.at.prefix(10)), $0.what, $0.document ?? "-", $0.warehouse ?? "-", $0.partner ?? "-",
                     $0.quantity.map { "\($0)" } ?? "", $0.user, [$0.override, $0.note.isEmpty ? nil : $0.note].compactMap { $0 }.joined(separator: "; ")]
                })
            if let parent = history.splitFrom { out += "\nsplit from lot \(parent)" }
            func link(_ link: LotSerialHistory.Link) -> String {
                "\(link.quantity) \(link.unit) \(link.product)\(link.number.map { " \($0)" } ?? "") (\(link.document))"
            }
            // Whole production lines: 10 kg consumed for two serials is 10 kg under each of them.
            if !history.madeFrom.isEmpty { out += "\nmade from (what its production consumed): " + history.madeFrom.map(link).joined(separator: ", ") }
            if !history.usedIn.isEmpty { out += "\nused in (what its production made): " + history.usedIn.map(link).joined(separator: ", ") }
            out += "\nstock: " + (history.stock.isEmpty ? "none" : history.stock.map { "\($0.quantity) \($0.unit) in \($0.warehouse)" }.joined(separator: ", "))
            return out
        }
    }
}

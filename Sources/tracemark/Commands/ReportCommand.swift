import ArgumentParser
import Foundation
import GS1
import Registry

/// `report`: questions asked of the ledger later.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports on the ledger: the stock statement, stock and its value on a day, what expires soon.",
        subcommands: [Movements.self, Balance.self, Valuation.self, Expiry.self])

    struct Movements: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The stock statement: every movement of a period per product, warehouse and lot/serial, between its opening and closing balance.",
            discussion: """
                Dates are the documents' dates, both ends included. Stock that did not move in the period \
                is listed with its balance. A kind or partner filter lists only the movements of that kind \
                or partner, and only the lots that have some; their opening and closing balances are still \
                the whole stock, so the rows shown need not add up to them.
                Example: tracemark report movements --from 2026-11-01 --to 2026-11-30 --product MILK --csv
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "First day (YYYY-MM-DD).") var from: String
        @Option(help: "Last day (YYYY-MM-DD).") var to: String
        @Option(help: "Only this product.") var product: String?
        @Option(parsing: .unconditional, help: "Only this lot or serial (with --product).") var number: String?
        @Option(help: "Only this warehouse.") var warehouse: String?
        @Option(help: "Only documents with this supplier or customer.") var partner: String?
        @Option(help: "Only this document kind: receipt, issue, transfer, production, return, write-off, split, assignment.")
        var kind: String?
        @Flag(help: "Print CSV (RFC 4180).") var csv = false
        func validate() throws { try checkOneFormat(csv: csv, json: options.json) }
        func run() async throws {
            let from = try parseDate(self.from, what: "--from"), through = try parseDate(to, what: "--to")
            try checkPeriod(from: from, through: through)
            let kind = try kind.map { text in
                guard let kind = DocumentKind(rawValue: text) else {
                    throw ValidationError("--kind \(text): use one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
            let report = try await options.withExistingRegistry {
                try await $0.movementReport(from: from, through: through, product: product, number: number, warehouse: warehouse,
                                            partner: partner, kind: kind)
            }
            if csv { print(report.csv, terminator: ""); return }
            try options.emit(report) {
                let filtered = [kind.map { "\($0.rawValue) movements" }, partner.map { "movements with \($0)" }].compactMap { $0 }
                guard !report.groups.isEmpty else {
                    return filtered.isEmpty ? "no stock and no movements from \(report.from) through \(report.through)"
                                            : "no \(filtered.joined(separator: ", ")) from \(report.from) through \(report.through)"
                }
                let note = filtered.isEmpty ? "" : "only \(filtered.joined(separator: " and ")) are shown; opening and closing are the whole stock\n\n"
                return note + report.groups.map { group in
                    guard !group.rows.isEmpty else {
                        return "\(group.product) \(group.number ?? "(without a number)") in \(group.warehouse): \(group.opening) \(group.unit), no movements"
                    }
                    return "\(group.product) \(group.number ?? "(without a number)") in \(group.warehouse): opening \(group.opening) \(group.unit)\n"
                        + table(["DATE", "DOCUMENT", "KIND", "PARTNER", "QUANTITY", "OVERRIDE"], group.rows.map {
                            [$0.date.description, $0.document, $0.kind.rawValue, $0.partner ?? "-", "\($0.quantity)", $0.override ?? ""]
                        }) + "\nclosing \(group.closing) \(group.unit)"
                }.joined(separator: "\n\n")
            }
        }
    }

    struct Balance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What was in stock at the end of a day, per product, warehouse and lot/serial, rebuilt from the ledger.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The day (YYYY-MM-DD).") var at: String
        @Option(help: "Only this product.") var product: String?
        @Option(help: "Only this warehouse.") var warehouse: String?
        @Flag(help: "Print CSV (RFC 4180).") var csv = false
        func validate() throws { try checkOneFormat(csv: csv, json: options.json) }
        func run() async throws {
            let date = try parseDate(at, what: "--at")
            let report = try await options.withExistingRegistry { try await $0.balance(at: date, product: product, warehouse: warehouse) }
            if csv { print(report.csv, terminator: ""); return }
            try options.emit(report) {
                "stock at the end of \(report.at)\n" + table(["PRODUCT", "WAREHOUSE", "NUMBER", "QUANTITY"], report.lines.map {
                    [$0.product, $0.warehouse, $0.number ?? "-", "\($0.quantity) \($0.unit)"]
                })
            }
        }
    }

    struct Valuation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What stock was worth at the end of a day, per product, warehouse and lot/serial, at cost, rebuilt from the ledger.",
            discussion: """
                Each lot or serial keeps its own cost (specific identification): a receipt line's unit cost, \
                a production's inputs plus its added cost; issues, transfers and write-offs take the cost of \
                the lots and serials they move.
                Example: tracemark report valuation --at 2026-11-30 --csv
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "The day (YYYY-MM-DD).") var at: String
        @Option(help: "Only this product.") var product: String?
        @Option(help: "Only this warehouse.") var warehouse: String?
        @Flag(help: "Print CSV (RFC 4180).") var csv = false
        func validate() throws { try checkOneFormat(csv: csv, json: options.json) }
        func run() async throws {
            let date = try parseDate(at, what: "--at")
            let report = try await options.withExistingRegistry { try await $0.valuation(at: date, product: product, warehouse: warehouse) }
            if csv { print(report.csv, terminator: ""); return }
            try options.emit(report) {
                "stock value at the end of \(report.at)\n" + table(["PRODUCT", "WAREHOUSE", "NUMBER", "QUANTITY", "UNIT COST", "VALUE"], report.lines.map {
                    [$0.product, $0.warehouse, $0.number ?? "-", "\($0.quantity) \($0.unit)", $0.unitCost.map { "\($0)" } ?? "-",
                     "\($0.value)\($0.costMissing ? " *" : "")"]
                }) + "\ntotal \(report.total)"
                    + (report.linesWithoutCost == 0 ? ""
                        : "\n* \(report.linesWithoutCost) of these \(report.linesWithoutCost == 1 ? "holds" : "hold") goods received without a unit cost (or made from them), counted at 0: the total leaves their cost out")
            }
        }
    }

    struct Expiry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What expires within DAYS, and what has expired, in stock per warehouse (--include-sold: and at customers).",
            discussion: "A lot is usable through its expiry date; today is the day the command runs (UTC).")
        @OptionGroup var options: GlobalOptions
        @Option(parsing: .unconditional, help: "Days from today (0 to 36500).") var within: Int
        @Option(help: "Only this warehouse.") var warehouse: String?
        @Option(help: "Only this product.") var product: String?
        @Flag(help: "Also what customers received of lots expiring within the window (or expired within as many days).")
        var includeSold = false
        @Flag(help: "Print CSV (RFC 4180).") var csv = false
        func validate() throws {
            try checkOneFormat(csv: csv, json: options.json)
            guard (0...36_500).contains(within) else { throw ValidationError("--within \(within): give 0 to 36500 days") }
        }
        func run() async throws {
            let report = try await options.withExistingRegistry {
                try await $0.expiryReport(within: within, warehouse: warehouse, product: product, includeSold: includeSold)
            }
            if csv { print(report.csv, terminator: ""); return }
            try options.emit(report) {
                var out = "today \(report.today); within \(report.within) days\n\nIN STOCK\n"
                out += report.stock.isEmpty ? "nothing" : table(["EXPIRY", "DAYS LEFT", "PRODUCT", "NUMBER", "WAREHOUSE", "QUANTITY", "STATUS"], report.stock.map {
                    [$0.expiry.description, $0.expired ? "expired \(-$0.daysLeft)d ago" : String($0.daysLeft), $0.product, $0.number, $0.warehouse,
                     "\($0.quantity) \($0.unit)", $0.status.rawValue + ($0.recall.map { ", recall \($0)" } ?? "")]
                })
                if let sold = report.sold {
                    out += "\n\nAT CUSTOMERS\n" + (sold.isEmpty ? "nothing" : table(["EXPIRY", "DAYS LEFT", "CUSTOMER", "DOCUMENT", "DATE", "PRODUCT", "NUMBER", "QUANTITY"], sold.map {
                        [$0.expiry.description, $0.expired ? "expired \(-$0.daysLeft)d ago" : String($0.daysLeft), $0.customer ?? RecallReport.noCustomer, $0.document,
                         $0.date?.description ?? "-", $0.product, $0.number, "\($0.quantity)"]
                    }))
                }
                return out
            }
        }
    }
}

/// `--csv` and `--json` are two answers to one question: given both, one of them was a mistake
/// (a QA run got CSV for `report balance --csv --json`, while `trace --dot --json` is refused).
func checkOneFormat(csv: Bool, json: Bool) throws {
    if csv && json { throw ValidationError("--csv and --json: give one of them") }
}

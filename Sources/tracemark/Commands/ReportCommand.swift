import ArgumentParser
import Foundation
import GS1
import Registry

/// `report`: questions asked of the ledger later.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports on the ledger: what expires soon, in stock and at customers.",
        subcommands: [Expiry.self])

    struct Expiry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What expires within DAYS, and what has expired, in stock per warehouse (--include-sold: and at customers).",
            discussion: "A lot is usable through its expiry date; today is the day the command runs (UTC).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Days from today.") var within: Int
        @Option(help: "Only this warehouse.") var warehouse: String?
        @Option(help: "Only this product.") var product: String?
        @Flag(help: "Also what customers received of lots expiring within the window (or expired within as many days).")
        var includeSold = false
        @Flag(help: "Print CSV (RFC 4180).") var csv = false
        func run() async throws {
            let report = try await options.withRegistry {
                try await $0.expiryReport(within: within, warehouse: warehouse, product: product, includeSold: includeSold)
            }
            if csv { print(report.csv, terminator: ""); return }
            try options.emit(report) {
                var out = "today \(report.today); within \(report.within) days\n\nIN STOCK\n"
                out += report.stock.isEmpty ? "nothing" : table(["EXPIRY", "DAYS LEFT", "PRODUCT", "NUMBER", "WAREHOUSE", "QUANTITY", "STATUS"], report.stock.map {
                    [$0.expiry.description, $0.expired ? "expired \(-$0.daysLeft)d ago" : String($0.daysLeft), $0.product, $0.number, $0.warehouse,
                     "\($0.quantity) \($0.unit)", $0.status.rawValue]
                })
                if let sold = report.sold {
                    out += "\n\nAT CUSTOMERS\n" + (sold.isEmpty ? "nothing" : table(["EXPIRY", "DAYS LEFT", "CUSTOMER", "DOCUMENT", "DATE", "PRODUCT", "NUMBER", "QUANTITY"], sold.map {
                        [$0.expiry.description, $0.expired ? "expired \(-$0.daysLeft)d ago" : String($0.daysLeft), $0.customer, $0.document,
                         $0.date?.description ?? "-", $0.product, $0.number, "\($0.quantity)"]
                    }))
                }
                return out
            }
        }
    }
}

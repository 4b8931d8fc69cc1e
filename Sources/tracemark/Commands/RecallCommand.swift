import ArgumentParser
import Foundation
import GS1
import Registry

/// `recall`: open, hold, show, close, list.
struct RecallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recall", abstract: "Recalls: the lots affected, their stock blocked, the customers who hold some.",
        subcommands: [List.self, Open.self, Hold.self, Show.self, Close.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every recall, newest first.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let all = try await options.withExistingRegistry { try await $0.recalls() }
            try options.emit(all) {
                all.isEmpty ? "no recalls" : table(["RECALL", "STATE", "OPENED", "BY", "LOTS", "REASON"], all.map {
                    [String($0.id), $0.state.rawValue, String($0.openedAt.prefix(10)), $0.openedBy, String($0.lots.count), $0.reason]
                })
            }
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a recall of lots or serials of a product: they and everything made from them, at any depth, held back from issues.",
            discussion: "Example: tracemark recall open FLOUR-25 L2611-0007 L2611-0008 --reason 'supplier reports salmonella'")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Argument(help: "The lots or serials.") var numbers: [String]
        @Option(help: "Why.") var reason: String
        @Option(help: "Who.") var user = defaultUser()
        func run() async throws {
            let recall = try await options.withRegistry { try await $0.openRecall(product: product, numbers: numbers, reason: reason, user: user) }
            try options.emit(recall) {
                "recall \(recall.id) opened: \(recall.lots.count) \(recall.lots.count == 1 ? "lot or serial" : "lots and serials") affected"
                    + " (\(recall.lots.filter(\.seed).count) named, \(recall.lots.filter { !$0.seed }.count) made from them)\n"
                    + "until it is closed they are not proposed, and issuing or consuming one needs --allow-recalled\n"
                    + "block their stock with: tracemark recall hold \(recall.id)"
            }
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Block every affected lot or serial still in stock, in one transaction.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The recall.") var id: Int
        @Option(help: "Who.") var user = defaultUser()
        func run() async throws {
            let held = try await options.withRegistry { try await $0.holdRecall(id, user: user) }
            try options.emit(held) {
                held.blocked.isEmpty ? "recall \(id): nothing in stock was left to block"
                    : "recall \(id): blocked \(held.blocked.count): " + held.blocked.map { "\($0.product) \($0.number)" }.joined(separator: ", ")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A recall: its lots, their stock per warehouse, and the customer exposure list.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The recall.") var id: Int
        @Flag(help: "Print the customer exposure list as CSV (RFC 4180).") var csv = false
        func run() async throws {
            let report = try await options.withExistingRegistry { try await $0.recallReport(id) }
            if csv {
                print(report.exposureCSV, terminator: "")
                return
            }
            try options.emit(report) {
                let recall = report.recall
                var out = "recall \(recall.id) (\(recall.state.rawValue)): \(recall.reason)\n"
                out += "opened \(recall.openedAt) by \(recall.openedBy)"
                if let at = recall.heldAt { out += "; held \(at) by \(recall.heldBy ?? "")" }
                if let at = recall.closedAt { out += "; closed \(at) by \(recall.closedBy ?? ""): \(recall.note)" }
                out += "\n\nAFFECTED\n" + table(["PRODUCT", "NUMBER", "KIND", "STATUS", "LEVEL"], recall.lots.map {
                    [$0.product, $0.number, $0.kind.rawValue, $0.status.rawValue, $0.seed ? "named" : String($0.depth)]
                })
                out += "\n\nIN STOCK\n" + (report.stock.isEmpty ? "none" : table(["WAREHOUSE", "PRODUCT", "NUMBER", "QUANTITY", "STATUS"], report.stock.map {
                    [$0.warehouse, $0.product, $0.number ?? "-", "\($0.quantity) \($0.unit)", $0.status?.rawValue ?? "-"]
                }))
                out += "\n\nSTILL HELD BY CUSTOMERS (delivered less returned)\n" + (report.holdings.isEmpty ? "none" : table(
                    ["CUSTOMER", "NAME", "PRODUCT", "NUMBER", "QUANTITY", "CONTACT"], report.holdings.map {
                        [$0.customer ?? "-", $0.customer == nil ? RecallReport.noCustomer : $0.customerName, $0.product, $0.number, "\($0.quantity) \($0.unit)",
                         [$0.contact, $0.phone, $0.email].compactMap { $0 }.joined(separator: ", ")]
                    }))
                out += "\n\nDELIVERIES AND RETURNS\n" + (report.exposure.isEmpty ? "none" : table(
                    ["CUSTOMER", "NAME", "DOCUMENT", "DATE", "PRODUCT", "NUMBER", "QUANTITY", "CONTACT"], report.exposure.map {
                        [$0.customer ?? "-", $0.customer == nil ? RecallReport.noCustomer : $0.customerName, $0.document, $0.date?.description ?? "-", $0.product, $0.number, "\($0.quantity) \($0.unit)",
                         [$0.contact, $0.phone, $0.email].compactMap { $0 }.joined(separator: ", ")]
                    }))
                return out
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a recall with a note of what was done (its blocked lots stay blocked).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The recall.") var id: Int
        @Option(help: "What was done.") var note: String
        @Option(help: "Who.") var user = defaultUser()
        func run() async throws {
            let recall = try await options.withRegistry { try await $0.closeRecall(id, note: note, user: user) }
            try options.emit(recall) { "recall \(recall.id) closed" }
        }
    }
}

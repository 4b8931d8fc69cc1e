import ArgumentParser
import Foundation
import GS1
import Registry

/// `document show`: a posted document with its lines, for reconciling.
struct DocumentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "document", abstract: "Posted documents: show one with its lines.",
        subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "A posted document: its date, partner, warehouses, who posted it, and every line.",
            discussion: "Example: tracemark document show RCT-000001 (--json for scripts).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The document number, e.g. RCT-000001.") var number: String

        func run() async throws {
            let document = try await options.withExistingRegistry { try await $0.document(number) }
            try options.emit(document) { Self.describe(document) }
        }

        static func describe(_ document: DocumentRecord) -> String {
            let partner = document.partner.map { code in
                code + (document.partnerName.map { $0.isEmpty ? "" : " (\($0))" } ?? "")
            }
            return "\(document.kind.rawValue) \(document.number)\n" + fields([
                ("date", document.date.description),
                ("partner", partner),
                ("warehouse", document.warehouse),
                ("to", document.toWarehouse),
                ("reason", document.reason.isEmpty ? nil : document.reason),
                ("posted", "\(document.postedAt)" + (document.user.isEmpty ? "" : " by \(document.user)")),
                ("note", document.note.isEmpty ? nil : document.note),
            ]) + "\n" + table(["LINE", "PRODUCT", "WAREHOUSE", "NUMBER", "QUANTITY", "UNIT", "OVERRIDE"], document.movements.map {
                ["\($0.line)", $0.product, $0.warehouse, $0.number ?? "-", "\($0.quantity)", $0.unit, $0.override ?? ""]
            })
        }
    }
}

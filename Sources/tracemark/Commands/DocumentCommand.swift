import ArgumentParser
import Foundation
import GS1
import Registry

/// `document show`: a posted document with its lines, for reconciling.
struct DocumentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "document", abstract: "Posted documents: list them, show one with its lines.",
        subcommands: [List.self, Show.self], defaultSubcommand: Show.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "The journal of posted documents, newest first.",
            discussion: """
                Each filter narrows it. Examples: tracemark document list --kind receipt --from 2026-12-01; \
                tracemark document list --number LOT-4711 (every document that moved that lot); a full page \
                ends with the --before that reads on.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only documents of this kind: \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: String?
        @Option(help: "First day (YYYY-MM-DD, document dates).") var from: String?
        @Option(help: "Last day (YYYY-MM-DD).") var to: String?
        @Option(help: "Only this supplier's or customer's.") var partner: String?
        @Option(help: "Only documents that moved stock in this warehouse.") var warehouse: String?
        @Option(help: "Only documents with a line of this product.") var product: String?
        @Option(help: "Only documents that moved this lot or serial.") var number: String?
        @Option(help: "At most this many (1 to 1000).") var limit = 50
        @Option(help: "Older than this cursor (the last line of a full page says it).") var before: Int64?

        func run() async throws {
            var query = DocumentQuery(partner: partner, warehouse: warehouse, product: product, number: number, limit: limit, before: before)
            if let kind {
                guard let known = DocumentKind(rawValue: kind) else {
                    throw ValidationError("--kind \(kind): use one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.kind = known
            }
            query.from = try from.map { try parseDate($0, what: "--from") }
            query.through = try to.map { try parseDate($0, what: "--to") }
            // Bad command lines (64), as `report movements` says them; they were the registry's
            // refusals (1), which say nothing was wrong with the command (found by a QA run).
            if let from = query.from, let through = query.through { try checkPeriod(from: from, through: through) }
            guard (1...1000).contains(limit) else { throw ValidationError("--limit \(limit): a page lists 1 to 1000 documents") }
            let documents = try await options.withExistingRegistry { try await $0.documents(query) }
            try options.emit(documents) {
                guard !documents.isEmpty else { return "no document" + (before == nil ? "" : " before \(before ?? 0)") }
                var text = table(["NUMBER", "KIND", "DATE", "PARTNER", "WAREHOUSE", "LINES", "POSTED"], documents.map { document in
                    let place = document.toWarehouse.map { "\(document.warehouse ?? "?") → \($0)" } ?? document.warehouse ?? ""
                    return [document.number, document.kind.rawValue, document.date.description, document.partner ?? "", place,
                            "\(document.lines)", "\(document.postedAt.prefix(19))" + (document.user.isEmpty ? "" : " by \(document.user)")]
                })
                if documents.count == limit, let last = documents.last { text += "\nmore: --before \(last.cursor)" }
                return text
            }
        }
    }

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

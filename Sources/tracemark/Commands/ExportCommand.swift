import ArgumentParser
import Foundation
import GS1
import Registry

/// Says, on standard error, which documents of an export took in goods without a known unit cost
/// (received without one, or coming back so): their value is short by it (a supplier invoice
/// without a price, no verification, a return at less), and an accountant exporting the month
/// was not told (found by a QA run).
func warnCostMissing(_ documents: [AccountingDocument]) {
    let missing = documents.filter(\.costMissing).map(\.number)
    guard !missing.isEmpty else { return }
    FileHandle.standardError.write(Data("warning: \(missing.count == 1 ? "document" : "\(missing.count) documents") \(missing.prefix(20).joined(separator: ", "))\(missing.count > 20 ? " and more" : "") took in goods without a known unit cost (received without one, or coming back so): their value here is short by it, as in report valuation, which marks them *\n".utf8))
}

/// `export`: handing sales, purchases and stock value changes to accounting.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export to accounting: Fortnox invoices and supplier invoices, an SIE 4 journal of stock value changes.",
        subcommands: [Fortnox.self, SIE.self])

    struct Fortnox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write each issue and receipt of a period as the Fortnox invoice or supplier invoice to post.",
            discussion: """
                One JSON file per document (invoice-ISS-….json, supplier-invoice-RCT-….json), as the Fortnox API \
                takes it: a row per product line, then its lots and serials as text rows of at most 50 characters \
                (consecutive serials as ranges). No network call is made. Exporting a document again writes the \
                same bytes; the registry records what was exported, and says so.
                Example: tracemark export fortnox --from 2026-11-01 --to 2026-11-30 --out fortnox/
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "First day (YYYY-MM-DD, document dates).") var from: String
        @Option(help: "Last day (YYYY-MM-DD).") var to: String
        @Option(help: "Folder to write into (created when missing).") var out = "."
        @Option(help: "Who exports.") var user = defaultUser()

        struct Outcome: Encodable {
            var written: [Written]
            var skipped: [String]
            struct Written: Encodable { var file: String; var document: String; var firstExportedAt: String?; var sameAsBefore: Bool }
        }

        func run() async throws {
            let from = try parseDate(self.from, what: "--from"), through = try parseDate(to, what: "--to")
            let folder = URL(fileURLWithPath: out, isDirectory: true)
            let outcome = try await options.withExistingRegistry { registry in
                let documents = try await registry.accountingDocuments(from: from, through: through, kinds: [.issue, .receipt])
                let (files, skipped) = try FortnoxExport.files(documents)
                do {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    for file in files { try file.content.write(to: folder.appendingPathComponent(file.name), options: .atomic) }
                } catch {
                    throw ValidationError("cannot write into \(out): \(error.localizedDescription)")
                }
                let records = try await registry.recordExports(target: "fortnox", files.map { ($0.document, Registry.digest($0.content)) }, user: user)
                warnCostMissing(documents)
                return Outcome(written: zip(files, records).map { file, record in
                    Outcome.Written(file: file.name, document: file.document, firstExportedAt: record.firstExportedAt, sameAsBefore: record.sameAsBefore)
                }, skipped: skipped)
            }
            try options.emit(outcome) {
                var lines = outcome.written.map { written in
                    "\(written.file)" + (written.firstExportedAt.map { " (exported before, \($0)\(written.sameAsBefore ? ", the same" : ", now different"))" } ?? "")
                }
                lines += outcome.skipped.map { "skipped \($0)" }
                let again = outcome.written.filter { $0.firstExportedAt != nil }.count
                lines.append("\(outcome.written.count) documents written to \(out)\(again > 0 ? ", \(again) of them exported before" : "")")
                return lines.joined(separator: "\n")
            }
        }
    }

    struct SIE: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sie",
            abstract: "Write the stock value changes of a period as an SIE 4 verification journal (PC8).",
            discussion: """
                One verification per document that changed the value of a stock account, balanced by the \
                document kind's counter account; accounts from the accounting section of --config (BAS \
                defaults: stock 1460, changes 4960). Standard output unless --out.
                Example: tracemark export sie --from 2026-11-01 --to 2026-11-30 --config tracemark.yaml --out stock-2026-11.se
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "First day (YYYY-MM-DD, document dates).") var from: String
        @Option(help: "Last day (YYYY-MM-DD).") var to: String
        @Option(help: "The configuration file whose accounting section names the accounts.") var config: String?
        @Option(help: "Write to this file instead of standard output.") var out: String?

        func run() async throws {
            let from = try parseDate(self.from, what: "--from"), through = try parseDate(to, what: "--to")
            // Bad command lines (64), as the reports say them (found by a QA run): days backwards,
            // and a period across a year's end, whose vouchers an SIE file (one fiscal year, the
            // calendar year its #RAR 0 names) would book in the wrong year.
            try checkPeriod(from: from, through: through)
            guard from.year == through.year else {
                throw ValidationError("--from \(from) and --to \(through) are in two fiscal years: an SIE file holds one year's vouchers; export \(from.year) and \(through.year) apart")
            }
            let (accounts, named): (StockAccounts, [(code: String, line: Int)])
            do { (accounts, named) = try config.map(AccountingConfiguration.load) ?? (StockAccounts(), []) } catch let error as ServeConfiguration.ProblemList {
                throw ValidationError(error.description)
            }
            let (documents, today, opening) = try await options.withExistingRegistry { registry in
                if let config, !named.isEmpty {
                    let unknown = AccountingConfiguration.unknownWarehouses(named, known: Set(try await registry.warehouses().map(\.code)))
                    guard unknown.isEmpty else {
                        throw ValidationError(ServeConfiguration.ProblemList(unknown.map { .init(file: config, line: $0.line, message: $0.message) }).description)
                    }
                }
                return (try await registry.accountingDocuments(from: from, through: through), registry.today,
                 SIEExport.values(try await registry.valuation(at: from.adding(days: -1)), accounts: accounts))
            }
            let journal = SIEExport.journal(documents, accounts: accounts, from: from, through: through, generated: today, opening: opening)
            warnCostMissing(documents)
            if let out {
                do { try journal.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    throw ValidationError("cannot write \(out): \(error.localizedDescription)")
                }
            } else {
                Terminal.writeOut(journal)
            }
        }
    }
}

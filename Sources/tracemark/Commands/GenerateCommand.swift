import ArgumentParser
import GS1
import Registry

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate and register lot or serial numbers for a product, per its class's format, in one transaction.",
        discussion: "Example: tracemark generate PHONE-X --count 100. Existing and voided numbers are skipped; a counter that would outgrow its format is refused.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Option(parsing: .unconditional, help: "How many numbers.") var count = 1
    @Option(help: "The date of receipt or use for the format's date segments (YYYY-MM-DD; default today, UTC).") var date: String?
    @Option(help: "Expiry date of the new lots/serials (YYYY-MM-DD).") var expiry: String?
    @Option(help: "Production date of the new lots/serials (YYYY-MM-DD).") var production: String?
    @Option(help: "What the numbers are for (kept in the series' ledger).") var reference = ""

    /// A count no generation can have is a bad command line (64), as `--count many` is; it was
    /// refused as by the registry (1), which says nothing was wrong with the command.
    func validate() throws {
        guard (1...Registry.mostGenerated).contains(count) else {
            throw ValidationError("--count \(count): generate 1 to \(Registry.mostGenerated) numbers at a time")
        }
    }

    func run() async throws {
        let date = try date.map { try parseDate($0, what: "--date") }
        let expiry = try expiry.map { try parseDate($0, what: "--expiry") }
        let production = try production.map { try parseDate($0, what: "--production") }
        let result = try await options.withRegistry {
            try await $0.generate(product: product, count: count, date: date, expiry: expiry, production: production, reference: reference)
        }
        try options.emit(result) { result.numbers.joined(separator: "\n") }
    }
}

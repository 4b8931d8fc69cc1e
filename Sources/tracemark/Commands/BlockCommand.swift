import ArgumentParser
import Registry

struct BlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Blocks of numbers reserved ahead (pre-printed labels, offline lines), and what became of them.",
        subcommands: [Reserve.self, Report.self, List.self],
        defaultSubcommand: List.self
    )

    struct Reserve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reserve a block of numbers of a product.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Option(parsing: .unconditional, help: "How many numbers.") var count: Int
        @Option(help: "What the block is for.") var purpose = ""
        @Option(help: "The date for the format's date segments (YYYY-MM-DD; default today).") var date: String?
        func run() async throws {
            let date = try date.map { try parseDate($0, what: "--date") }
            let block = try await options.withRegistry { try await $0.reserveBlock(product: product, count: count, purpose: purpose, date: date) }
            try options.emit(block) { "block \(block.id) of \(block.product): \(block.numbers.count) numbers\n" + block.numbers.joined(separator: "\n") }
        }
    }

    struct Report: AsyncParsableCommand {
        static func list(_ numbers: [String]) -> String { numbers.isEmpty ? "-" : numbers.joined(separator: " ") }

        static let configuration = CommandConfiguration(abstract: "Which numbers of a block are used, voided, or still open.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The block id.") var id: Int
        func run() async throws {
            let report = try await options.withExistingRegistry { try await $0.blockReport(id) }
            try options.emit(report) {
                "block \(report.block.id) of \(report.block.product) (\(report.block.purpose)): \(report.used.count) used, \(report.voided.count) voided, \(report.open.count) open\n"
                    + fields([("used", Self.list(report.used)), ("voided", Self.list(report.voided)), ("open", Self.list(report.open))])
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List reserved blocks.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this product's blocks.") var product: String?
        func run() async throws {
            let blocks = try await options.withExistingRegistry { try await $0.blocks(product: product) }
            try options.emit(blocks) {
                table(["BLOCK", "PRODUCT", "SERIES", "COUNTERS", "PURPOSE", "AT"], blocks.map {
                    [String($0.id), $0.product, $0.series, "\($0.firstCounter)–\($0.lastCounter)", $0.purpose, $0.createdAt]
                })
            }
        }
    }
}

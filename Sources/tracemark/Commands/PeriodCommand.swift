import ArgumentParser
import Foundation
import GS1
import Registry

/// `period`: closing months for postings, with their closing balance kept.
struct PeriodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "period", abstract: "Close a month for postings, keeping its closing stock; list the closed ones.",
        discussion: """
            Closing YYYY-MM closes it and every day before it: a document dated on or before its last \
            day is then refused, so the kept balance is never wrong, and `report balance --at` starts \
            from the nearest one. A month can be closed from the day after it ends.
            Example: tracemark period close 2026-10
            """,
        subcommands: [Close.self, List.self], defaultSubcommand: List.self)

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a month (YYYY-MM) and everything before it.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The month, YYYY-MM.") var period: String
        @Option(help: "Who closes it.") var user = defaultUser()
        func run() async throws {
            let closed = try await options.withRegistry { try await $0.closePeriod(period, user: user) }
            try options.emit(closed) {
                "period \(closed.period) closed through \(closed.lastDay): \(closed.balances) stock rows kept; postings dated \(closed.lastDay) or before are refused"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The closed months, newest first.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let periods = try await options.withRegistry { try await $0.closedPeriods() }
            try options.emit(periods) {
                table(["PERIOD", "LAST DAY", "STOCK ROWS", "CLOSED BY", "CLOSED AT"], periods.map {
                    [$0.period, $0.lastDay.description, String($0.balances), $0.closedBy, $0.closedAt]
                })
            }
        }
    }
}

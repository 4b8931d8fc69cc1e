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
            from the nearest one. A month can be closed from the day after it ends. To correct a closed \
            month, reopen it (the newest closed one first), post the correction, and close it again.
            Example: tracemark period close 2026-10
            Example: tracemark period reopen 2026-10 --reason 'supplier credit note RCT-000412 posted late'
            """,
        subcommands: [Close.self, Reopen.self, List.self, Reopenings.self], defaultSubcommand: List.self)

    /// A month written YYYY-MM, checked before the database is opened (a typo is a usage error).
    static func validate(month: String) throws {
        guard (try? Registry.lastDay(ofPeriod: month)) != nil else {
            throw ValidationError("period \"\(month)\": write the month as YYYY-MM, e.g. 2026-10")
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a month (YYYY-MM) and everything before it.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The month, YYYY-MM.") var period: String
        @Option(help: "Who closes it.") var user = defaultUser()
        func validate() throws { try PeriodCommand.validate(month: period) }
        func run() async throws {
            let closed = try await options.withRegistry { try await $0.closePeriod(period, user: user) }
            try options.emit(closed) {
                "period \(closed.period) closed through \(closed.lastDay): \(closed.balances) stock rows kept; postings dated \(closed.lastDay) or before are refused"
            }
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reopen the newest closed month (YYYY-MM) for postings, with a reason.",
            discussion: """
                Its kept closing balance is dropped, and the reopening is kept with who closed it, who \
                reopened it and why (`period reopenings`). Months are reopened newest first, since a later \
                month's kept balance starts from an earlier one's. Close it again once corrected.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The month, YYYY-MM.") var period: String
        @Option(help: "Why it is reopened (kept with the reopening).") var reason: String
        @Option(help: "Who reopens it.") var user = defaultUser()
        func validate() throws { try PeriodCommand.validate(month: period) }
        func run() async throws {
            let reopened = try await options.withRegistry { try await $0.reopenPeriod(period, reason: reason, user: user) }
            try options.emit(reopened) {
                var lines = ["period \(reopened.period) reopened: postings dated \(reopened.lastDay) or before are taken again"
                             + (reopened.closedThrough.map { " after \($0), still closed" } ?? "")]
                if let exported = reopened.exportedDocuments, exported > 0 {
                    lines.append("note: \(exported) document(s) of \(reopened.period) were exported to accounting; export its corrections again")
                }
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Reopenings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every reopening of a closed month, newest first.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let reopenings = try await options.withExistingRegistry { try await $0.periodReopenings() }
            try options.emit(reopenings) {
                table(["PERIOD", "CLOSED BY", "CLOSED AT", "REOPENED BY", "REOPENED AT", "REASON"], reopenings.map {
                    [$0.period, $0.closedBy, $0.closedAt, $0.reopenedBy, $0.reopenedAt, $0.reason]
                })
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The closed months, newest first.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let periods = try await options.withExistingRegistry { try await $0.closedPeriods() }
            try options.emit(periods) {
                table(["PERIOD", "LAST DAY", "STOCK ROWS", "CLOSED BY", "CLOSED AT"], periods.map {
                    [$0.period, $0.lastDay.description, String($0.balances), $0.closedBy, $0.closedAt]
                })
            }
        }
    }
}

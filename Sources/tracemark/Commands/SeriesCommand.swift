import ArgumentParser
import Registry

struct SeriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Number series: gapless document numbers and the counters of number formats.",
        subcommands: [List.self, Show.self, Add.self, Update.self, SetNext.self, Delete.self, Take.self, Ledger.self, Audit.self],
        defaultSubcommand: List.self
    )

    static func show(_ s: NumberSeries) -> String {
        fields([("series", s.code), ("description", s.description.isEmpty ? nil : s.description), ("format", s.format),
                ("start", String(s.start)), ("next", String(s.next)), ("purpose", s.purpose.rawValue),
                ("built in", s.builtIn ? "yes (can be edited, not deleted)" : "no")])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the series.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let all = try await options.withExistingRegistry { try await $0.allSeries() }
            try options.emit(all) {
                table(["SERIES", "FORMAT", "NEXT", "PURPOSE", "BUILT-IN", "DESCRIPTION"], all.map {
                    [$0.code, $0.format, String($0.next), $0.purpose.rawValue, $0.builtIn ? "yes" : "no", $0.description]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one series.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        func run() async throws {
            let found = try await options.withExistingRegistry { try await $0.series(code) }
            try options.emit(found) { SeriesCommand.show(found) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a series.",
            discussion: "Example: tracemark series add PALLET --format 'PAL{counter:8}' --start 1000")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        @Option(help: "How numbers are written; must have a counter ({counter} or {counter:N}).") var format = "{counter}"
        @Option(parsing: .unconditional, help: "The first number.") var start = 1
        @Option(help: "A description.") var description = ""
        func run() async throws {
            let saved = try await options.withRegistry { try await $0.addSeries(NumberSeries(code: code, description: description, format: format, start: start)) }
            try options.emit(saved) { "series \(saved.code) created\n" + SeriesCommand.show(saved) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a series' description or format (built-in ones too).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        @Option(help: "A new format.") var format: String?
        @Option(help: "A new description.") var description: String?
        func run() async throws {
            let saved = try await options.withRegistry { try await $0.updateSeries(code: code, description: description, format: format) }
            try options.emit(saved) { "series \(saved.code) updated\n" + SeriesCommand.show(saved) }
        }
    }

    struct SetNext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-next",
            abstract: "Move a series forward (skipped numbers are recorded as voided); never back.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        @Argument(help: "The next number to issue.") var next: Int
        @Option(help: "Why (kept in the series' ledger).") var reason = ""
        func run() async throws {
            let saved = try await options.withRegistry { try await $0.setNextNumber(series: code, to: next, reason: reason) }
            try options.emit(saved) { "series \(saved.code): next number is \(saved.next)" }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user series that never issued a number.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        func run() async throws {
            try await options.withRegistry { try await $0.deleteSeries(code) }
            try options.emit(["deleted": code]) { "series \(code) deleted" }
        }
    }

    struct Take: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take numbers from a series (recorded as issued).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        @Option(parsing: .unconditional, help: "How many numbers.") var count = 1
        @Option(help: "Why (kept in the series' ledger).") var reason = ""
        @Option(help: "What the numbers are for (kept in the ledger).") var reference = ""
        func run() async throws {
            let taken = try await options.withRegistry { try await $0.takeNumbers(series: code, count: count, reason: reason, reference: reference) }
            try options.emit(taken) { taken.numbers.joined(separator: "\n") }
        }
    }

    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what became of every number of a series.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        func run() async throws {
            let entries = try await options.withRegistry { try await $0.ledger(series: code) }
            try options.emit(entries) {
                table(["FIRST", "LAST", "KIND", "REASON", "REFERENCE", "AT"], entries.map {
                    [String($0.first), String($0.last), $0.kind.rawValue, $0.reason, $0.reference, $0.createdAt]
                })
            }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that every number of a series is accounted for, once.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The series code.") var code: String
        func run() async throws {
            let audit = try await options.withExistingRegistry { try await $0.audit(series: code) }
            try options.emit(audit) {
                // A series that has given no number yet says so, not "numbers 1–0" (found by a QA run).
                (audit.next > audit.start ? "series \(audit.series): numbers \(audit.start)–\(audit.next - 1): "
                                          : "series \(audit.series): no number taken yet (the first will be \(audit.start)): ")
                    + "\(audit.issued) issued, \(audit.reserved) reserved, \(audit.voided) voided; "
                    + (audit.isComplete ? "complete, no gap, no duplicate" : "gaps \(audit.gaps), overlaps \(audit.overlaps)")
            }
            if !audit.isComplete { throw ExitCode(1) }
        }
    }
}

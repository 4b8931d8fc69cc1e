import ArgumentParser
import Registry

struct ClassCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "class",
        abstract: "Lot/serial classes: how products are tracked and how their numbers are made.",
        subcommands: [List.self, Show.self, Add.self, Update.self, Delete.self],
        defaultSubcommand: List.self
    )

    /// The settings of a class, all optional so that `update` changes only what is given.
    struct Settings: ParsableArguments {
        @Option(help: "Tracking method: none, lot or serial.") var tracking: LotSerialClass.Tracking?
        @Option(help: "Serials: unique (one unit each) or multiple (one number on several units).")
        var serialQuantity: LotSerialClass.SerialQuantity?
        @Option(help: "Whether every lot/serial must carry an expiry date: true or false.") var tracksExpiry: Bool?
        @Option(help: "When numbers are assigned: receipt or use.") var assignment: LotSerialClass.Assignment?
        @Option(help: "Issue order: fifo, lifo, sequential, expiration or manual.") var issueMethod: LotSerialClass.IssueMethod?
        @Option(help: "Most numbers generated at once for one document line.") var batchSize: Int?
        @Option(help: "Number format, e.g. 'LOT-{yyyy}{MM}-{counter:5}' (tokens: {yyyy} {yy} {MM} {MMM} {dd} {ddd} {counter} {counter:N}); '' for none.")
        var format: String?
        @Option(help: "Counter: shared by all products of the class, or one per product.") var counter: LotSerialClass.CounterScope?
        @Option(help: "The series holding the shared counter (default CLASS-<code>, created when missing).") var series: String?
        @Option(help: "Where numbers are unique: product (default) or global.") var unique: LotSerialClass.Uniqueness?
        @Option(help: "A description.") var description: String?

        func apply(to c: inout LotSerialClass) {
            if let tracking { c.tracking = tracking }
            if let serialQuantity { c.serialQuantity = serialQuantity }
            if let tracksExpiry { c.tracksExpiry = tracksExpiry }
            if let assignment { c.assignment = assignment }
            if let issueMethod { c.issueMethod = issueMethod }
            if let batchSize { c.autoGenerateBatchSize = batchSize }
            if let format { c.format = format.isEmpty ? nil : format }
            if let counter { c.counterScope = counter }
            if let series { c.counterSeries = series.isEmpty ? nil : series }
            if let unique { c.uniqueness = unique }
            if let description { c.description = description }
        }
    }

    static func show(_ c: LotSerialClass) -> String {
        fields([
            ("class", c.code), ("description", c.description.isEmpty ? nil : c.description),
            ("tracking", c.tracking == .serial ? "serial (\(c.serialQuantity.rawValue))" : c.tracking.rawValue),
            ("expiry", c.tracksExpiry ? "required on every lot/serial" : "optional"),
            ("assigned on", c.assignment.rawValue), ("issue method", c.issueMethod.rawValue),
            ("batch size", String(c.autoGenerateBatchSize)), ("format", c.format ?? "(numbers are entered)"),
            ("counter", c.counterScope == .shared ? "shared, series \(c.counterSeries ?? "-")" : "one per product"),
            ("unique", c.uniqueness == .global ? "across all products" : "per product"),
        ])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the classes.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let classes = try await options.withExistingRegistry { try await $0.classes() }
            try options.emit(classes) {
                table(["CLASS", "TRACKING", "EXPIRY", "ISSUE", "FORMAT", "COUNTER", "UNIQUE"], classes.map {
                    [$0.code, $0.tracking.rawValue, $0.tracksExpiry ? "yes" : "no", $0.issueMethod.rawValue,
                     $0.format ?? "-", $0.counterScope == .shared ? ($0.counterSeries ?? "-") : "per product", $0.uniqueness.rawValue]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one class.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The class code.") var code: String
        func run() async throws {
            let found = try await options.withExistingRegistry { try await $0.lotSerialClass(code) }
            try options.emit(found) { ClassCommand.show(found) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a class.",
            discussion: "Example: tracemark class add FOOD --tracking lot --tracks-expiry true --issue-method expiration --format 'L{yy}{ddd}-{counter:3}'")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The class code.") var code: String
        @OptionGroup var settings: Settings
        func validate() throws {
            if settings.tracking == nil { throw ValidationError("give --tracking (none, lot or serial)") }
        }
        func run() async throws {
            var c = LotSerialClass(code: code, tracking: settings.tracking!)
            settings.apply(to: &c)
            let saved = try await options.withRegistry { [c] in try await $0.addClass(c) }
            try options.emit(saved) { "class \(saved.code) created\n" + ClassCommand.show(saved) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a class (only the settings given).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The class code.") var code: String
        @OptionGroup var settings: Settings
        func run() async throws {
            let saved = try await options.withRegistry { registry in
                var c = try await registry.lotSerialClass(code)
                settings.apply(to: &c)
                return try await registry.updateClass(c)
            }
            try options.emit(saved) { "class \(saved.code) updated\n" + ClassCommand.show(saved) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a class that no product uses.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The class code.") var code: String
        func run() async throws {
            try await options.withRegistry { try await $0.deleteClass(code) }
            try options.emit(["deleted": code]) { "class \(code) deleted" }
        }
    }
}

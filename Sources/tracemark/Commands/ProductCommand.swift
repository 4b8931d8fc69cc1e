import ArgumentParser
import GS1
import Registry

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Products: article number, GTIN, unit and lot/serial class.",
        subcommands: [List.self, Show.self, Add.self, Update.self],
        defaultSubcommand: List.self
    )

    struct Settings: ParsableArguments {
        @Option(help: "GTIN (8, 12, 13 or 14 digits; stored as GTIN-14); '' to remove.") var gtin: String?
        @Option(help: "A description.") var description: String?
        @Option(help: "Unit of measure, e.g. pcs, kg, roll.") var unit: String?
        @Option(name: .customLong("class"), help: "The lot/serial class; '' for not tracked.") var lotSerialClass: String?
        @Option(parsing: .unconditional, help: "First counter value, for classes with a counter per product.") var counterStart: Int?
        @Option(parsing: .unconditional, help: "Last counter value allowed, for classes with a counter per product.") var counterEnd: Int?
        @Option(help: "Whether documents may name serials never received (created and flagged): true or false.")
        var allowUnknownSerials: Bool?
        @Option(help: "How many decimals its quantities may have, 0 to 6 (default: 0 for a unit of pieces such as pcs or ea, else 6).")
        var decimals: Int?

        func apply(to p: inout Product) throws {
            if let gtin { p.gtin = gtin.isEmpty ? nil : try parseGTIN(gtin) }
            if let description { p.description = description }
            if let unit { p.unit = unit }
            if let lotSerialClass { p.lotSerialClass = lotSerialClass.isEmpty ? nil : lotSerialClass }
            if let counterStart { p.counterStart = counterStart }
            if let counterEnd { p.counterEnd = counterEnd }
            if let allowUnknownSerials { p.allowsUnknownSerials = allowUnknownSerials }
            if let decimals { p.decimals = decimals }
        }
    }

    static func show(_ p: Product) -> String {
        fields([
            ("product", p.article), ("gtin", p.gtin?.gtin14), ("description", p.description.isEmpty ? nil : p.description),
            ("unit", p.unit + " (" + (p.decimals.map { $0 == 0 ? "whole units" : "up to \($0) decimal\($0 == 1 ? "" : "s")" } ?? "up to 6 decimals") + ")"),
            ("class", p.lotSerialClass ?? "(not tracked)"),
            ("counter range", p.counterStart.map { "\($0)–\(p.counterEnd.map(String.init) ?? "end of format")" }),
            ("unknown serials", p.allowsUnknownSerials ? "allowed (flagged)" : "refused"),
        ])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the products.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let products = try await options.withExistingRegistry { try await $0.products() }
            try options.emit(products) {
                table(["PRODUCT", "GTIN", "UNIT", "CLASS", "DESCRIPTION"], products.map {
                    [$0.article, $0.gtin?.gtin14 ?? "-", $0.unit, $0.lotSerialClass ?? "-", $0.description]
                })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one product.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var article: String
        func run() async throws {
            let found = try await options.withExistingRegistry { try await $0.product(article) }
            try options.emit(found) { ProductCommand.show(found) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a product.",
            discussion: "Example: tracemark product add PAINT-5L --gtin 09501101530003 --class FOOD --unit pcs --description 'Paint 5 l'")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var article: String
        @OptionGroup var settings: Settings
        func run() async throws {
            var p = Product(article: article)
            try settings.apply(to: &p)
            let saved = try await options.withRegistry { [p] in try await $0.addProduct(p) }
            try options.emit(saved) { "product \(saved.article) created\n" + ProductCommand.show(saved) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a product (only the settings given).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var article: String
        @OptionGroup var settings: Settings
        func run() async throws {
            let saved = try await options.withRegistry { registry in
                var p = try await registry.product(article)
                try settings.apply(to: &p)
                return try await registry.updateProduct(p)
            }
            try options.emit(saved) { "product \(saved.article) updated\n" + ProductCommand.show(saved) }
        }
    }
}

import ArgumentParser
import Registry

struct WarehouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warehouse", abstract: "Warehouses that hold stock.",
        subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the warehouses.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let all = try await options.withExistingRegistry { try await $0.warehouses() }
            try options.emit(all) { table(["WAREHOUSE", "NAME"], all.map { [$0.code, $0.name] }) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a warehouse.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The warehouse code.") var code: String
        @Option(help: "Its name.") var name = ""
        func run() async throws {
            let saved = try await options.withRegistry { try await $0.addWarehouse(Warehouse(code: code, name: name)) }
            try options.emit(saved) { "warehouse \(saved.code) created" }
        }
    }
}

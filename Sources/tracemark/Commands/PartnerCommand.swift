import ArgumentParser
import Registry

struct PartnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Suppliers and customers.",
        subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the partners.")
        @OptionGroup var options: GlobalOptions
        func run() async throws {
            let all = try await options.withExistingRegistry { try await $0.partners() }
            try options.emit(all) {
                table(["PARTNER", "ROLE", "MIN SHELF LIFE", "NAME"], all.map {
                    [$0.code, $0.role.rawValue, $0.minimumShelfLifeDays.map { "\($0) days" } ?? "-", $0.name]
                })
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a supplier or customer.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The partner code.") var code: String
        @Option(help: "supplier, customer or both.") var role: Partner.Role
        @Option(help: "Its name.") var name = ""
        @Option(help: "Least remaining shelf life (days) the customer accepts.") var minShelfLife: Int?
        @Option(help: "Whom to call about a delivery (a recall lists it).") var contact: String?
        @Option(help: "Their e-mail address.") var email: String?
        @Option(help: "Their telephone number.") var phone: String?
        func run() async throws {
            let saved = try await options.withRegistry {
                try await $0.addPartner(Partner(code: code, name: name, role: role, minimumShelfLifeDays: minShelfLife,
                                                contact: contact, email: email, phone: phone))
            }
            try options.emit(saved) { "partner \(saved.code) created" }
        }
    }
}

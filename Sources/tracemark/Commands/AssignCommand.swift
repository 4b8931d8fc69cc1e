import ArgumentParser
import Foundation
import Registry

/// `assign`: numbers stock that was received without numbers, in place.
struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign", abstract: "Number stock received without numbers, in place, in one transaction.",
        discussion: """
            Stock stays without a number when a receipt exceeds the class's auto-generate batch size, \
            or when the class numbers goods on use. This gives it numbers now: --count makes them per \
            the class's format, --serials names them. Serials take one unit each; a lot takes --quantity \
            (default: all the warehouse's stock of the product without a number).
            Examples: tracemark assign PHONE --warehouse MAIN --count 20
                      tracemark assign PHONE --warehouse MAIN --serials 'IMEI-0101..IMEI-0120'
                      tracemark assign FLOUR --warehouse MAIN --count 1 --quantity 250 --expiry 2027-06-30
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Option(help: "In this warehouse.") var warehouse: String
    @Option(parsing: .unconditional, help: "Make this many numbers per the class's format.") var count: Int?
    @Option(help: "These numbers (comma-separated; ranges as SN-0001..SN-0050).") var serials: String?
    @Option(parsing: .unconditional, help: "For a lot: how much it numbers (default: all without a number).") var quantity: String?
    @Option(help: "Expiry date of the new numbers (YYYY-MM-DD).") var expiry: String?
    @Option(help: "Production date of the new numbers (YYYY-MM-DD).") var production: String?
    @OptionGroup var header: HeaderOptions

    func validate() throws {
        if (count == nil) == (serials == nil) { throw ValidationError("give either --count or --serials") }
        // A bad command line (64), as generate's --count; it was the registry's refusal (1).
        if let count, !(1...Registry.mostAssigned).contains(count) {
            throw ValidationError("--count \(count): assign 1 to \(Registry.mostAssigned) numbers at a time")
        }
    }

    func run() async throws {
        let numbers = try serials.map(SerialList.expand) ?? []
        let amount = try quantity.map { try LineOptions.decimal($0, what: "--quantity") }
        let expiry = try expiry.map { try parseDate($0, what: "--expiry") }
        let production = try production.map { try parseDate($0, what: "--production") }
        let posted = try await options.withRegistry {
            try await $0.assign(product: product, warehouse: warehouse, count: count, numbers: numbers, quantity: amount,
                                expiry: expiry, production: production, header: try header.header())
        }
        try options.emit(posted) { describe(posted) }
    }
}

import ArgumentParser
import Foundation
import Registry
import Stations

/// `tracemark operator`: the badges the stations accept.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Add, list and remove the operators' badges that stations accept.",
        discussion: """
            An operator signs in at a station by scanning TM:OP:<badge>; a supervisor confirms what a \
            station holds back (expired goods, a later lot) by scanning TM:OK:<badge>. Until the first \
            badge is added, any badge signs in and nobody can confirm at the station; from then on only \
            the badges listed do.
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a badge.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The badge, as its barcode reads (no spaces or colons).") var badge: String
        @Option(help: "The person's name, as documents and the scan log show it.") var name: String = ""
        @Option(help: "operator or supervisor.") var role: String = "operator"
        @Flag(help: "Read a PIN (4 to 12 digits) from standard input, to sign in with where there is no badge reader.")
        var pinFromStdin = false

        func run() async throws {
            guard let role = StationOperator.Role(rawValue: role) else {
                throw ValidationError("--role \(role) is not one of operator, supervisor")
            }
            let pin = pinFromStdin ? readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) : nil
            if pinFromStdin, pin?.isEmpty != false { throw ValidationError("--pin-from-stdin: no PIN on standard input") }
            let added = try await options.withRegistry { registry in
                try await Operators(store: registry.store).add(StationOperator(badge: badge, name: name, role: role), pin: pin)
            }
            try options.emit(added) { "badge \(added.badge): \(added.signature), \(added.role.rawValue)" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the badges.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let all = try await options.withExistingRegistry { try await Operators(store: $0.store).all() }
            try options.emit(all) {
                all.isEmpty ? "no badges: any badge signs in" : all.map {
                    "\($0.badge)\t\($0.name)\t\($0.role.rawValue)" + ($0.hasPIN ? "\tPIN" : "") + ($0.active ? "" : "\tremoved")
                }.joined(separator: "\n")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a badge: it signs in no more; its name stays on what it did.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The badge.") var badge: String

        func run() async throws {
            try await options.withRegistry { try await Operators(store: $0.store).remove(badge: badge) }
            try options.emit(["removed": badge]) { "badge \(badge) removed" }
        }
    }
}

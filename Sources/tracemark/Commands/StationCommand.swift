import ArgumentParser
import Foundation
import Registry
import Stations

/// `tracemark station`: what an operator or supervisor does at a station besides scanning.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Confirm a scan a station holds back (a supervisor's reason for expired goods, a later lot).",
        subcommands: [Confirm.self])

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm a held-back line with a reason, so that the station's document can post.",
            discussion: """
                SCAN is the scan's number in the scan log, as `tracemark serve` prints it (#N). A receiving \
                station holds expired goods until a supervisor confirms them (they are then received \
                quarantined); a picking station holds a lot that is not the first to go. The reason is \
                kept on the line and in the posted document's note.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The station's name.") var station: String
        @Argument(help: "The scan's number in the scan log.") var scan: Int64
        @Option(help: "Why it is confirmed.") var reason: String
        @Option(help: "Who confirms (default: the login name).") var user: String?

        func run() async throws {
            let outcome = try await options.withSpool { registry, spool in
                let station = try await Station(StationConfiguration(name: station, kind: .receiving), registry: registry, spool: spool)
                return try await station.confirm(scan: scan, reason: reason, user: user ?? defaultUser())
            }
            try options.emit(outcome) { "scan \(scan) at \(station): \(outcome.reasons.first?.message ?? "confirmed")" }
        }
    }
}

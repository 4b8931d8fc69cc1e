import ArgumentParser
import Foundation
import Labels
import Printing
import Registry
import Stations

/// `tracemark station`: what an operator or supervisor does at a station besides scanning.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Confirm a scan a station holds back; start a production run and read its report.",
        subcommands: [Confirm.self, Run.self, RunReport.self])

    /// `tracemark station run`: a production run, as `TM:RUN` at the line.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a production run at a production line of a serve configuration.",
            discussion: """
                The same as scanning TM:RUN:PRODUCT:COUNT[:EXPIRY] at the line: the run's numbers are made and a \
                label per unit is queued on the line's printer, in one transaction. The line's verify scanner \
                then reads each label, and each verified unit is posted as produced. A lot-tracked product gets \
                one lot and a label per unit; a class that tracks expiry needs --expiry.
                """)
        @Flag(name: .long, help: "Print JSON for scripts instead of text.") var json = false
        @Option(help: "The serve configuration file that defines the line (and its database).") var config: String = "tracemark.yaml"
        @Argument(help: "The production line's name in the configuration.") var station: String
        @Argument(help: "The product to make.") var product: String
        @Argument(help: "How many units, from 1 to 10000.") var count: Int
        @Option(help: "The expiry date of what the run makes (YYYY-MM-DD).") var expiry: String?
        @Option(help: "Who starts the run (default: the login name).") var user: String?

        func validate() throws {
            // In the words of this command line, not of the TM:RUN code it sends (a QA run was
            // told to "scan a valid control code").
            guard (1...10_000).contains(count) else { throw ValidationError("<count> must be from 1 to 10000, not \(count)") }
            if let expiry { _ = try parseDate(expiry, what: "--expiry") }
            guard !product.contains(":") else { throw ValidationError("<product> \(product) cannot hold a colon") }
        }

        func run() async throws {
            let configuration: ServeConfiguration
            do { configuration = try ServeConfiguration.load(config) } catch {
                throw ValidationError(error.problems.map(\.description).joined(separator: "\n"))
            }
            guard let entry = configuration.stations.first(where: { $0.name == station }) else {
                throw ValidationError("\(config) has no station \(station) (it has \(configuration.stations.map(\.name).joined(separator: ", ")))")
            }
            let folder = configuration.templates.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? TemplateLocation.folder
            let stationConfiguration = try ServeCommand.stationConfiguration(entry, templates: folder)
            let code = "TM:RUN:\(product):\(count)" + (expiry.map { ":\($0)" } ?? "")
            // The configuration's database: the one the line's `serve` runs on.
            let registry = try await Registry.open(try configuration.databaseLocation())
            let outcome: ScanOutcome
            do {
                let line = try await Station(stationConfiguration, registry: registry, spool: try await Spool(store: registry.store))
                outcome = await line.handle(StationScan(data: Array(code.utf8), device: "cli", user: user ?? defaultUser()))
            } catch {
                await registry.close()
                throw error
            }
            await registry.close()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
            } else {
                print("\(outcome.verdict.rawValue) \(outcome.action)")
                for reason in outcome.reasons { print("  \(reason.code): \(reason.message)") }
                // What to scan next is for the line's operator; refused, nothing started.
                print(outcome.verdict == .block ? "no run was started" : outcome.next)
            }
            if outcome.verdict == .block { throw ExitCode(1) }
        }
    }

    /// `tracemark station run-report`: what a run printed and what became of each label.
    struct RunReport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-report",
            abstract: "Show a production run: printed, verified, voided and missing labels, and the component lots.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The production line's name.") var station: String
        @Option(help: "The run's number (default: the line's latest run).") var run: Int64?

        func run() async throws {
            let report = try await options.withExistingRegistry { registry in
                // A registry no station has run on yet has no stations' tables: made here, as
                // every command migrates what it opens (it was an internal fault, exit 70).
                try await Station.prepare(registry.store)
                return try await Station.runReport(registry.store, station: station, run: run)
            }
            guard let report else {
                // Not found, as over HTTP (404), not a mistake in the command line.
                throw RegistryError(.notFound, run.map { "station \(station) has no run \($0)" } ?? "station \(station) has had no run")
            }
            try options.emit(report) {
                var lines = [report.summary + " (\(report.state), planned \(report.planned))"]
                for unit in report.units {
                    // Each unit with what became of its label's print job, as --json has it (the
                    // text left it out once printed; found by a QA run).
                    let label = unit.label.map { "  label \($0)\(unit.job.map { " (job \($0))" } ?? "")" } ?? ""
                    lines.append("  \(unit.number)  \(unit.state)\(label)" + (unit.document.map { "  \($0)" } ?? "") + (unit.note.map { "  (\($0))" } ?? ""))
                }
                for component in report.components {
                    lines.append("  component \(component.product) \(component.number), \(component.perUnit) per unit\(component.current ? "" : " (replaced)")"
                                 + (component.override.map { "\n    \($0)" } ?? ""))
                }
                return lines.joined(separator: "\n")
            }
        }
    }

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
        @Argument(help: "The scan's number in the scan log: 12 or #12, as serve prints it.") var scan: ScanNumber
        @Option(help: "Why it is confirmed.") var reason: String
        @Option(help: "The confirming supervisor's badge (default: the login name, where no badges are registered).") var user: String?

        func run() async throws {
            let outcome = try await options.withSpool { registry, spool in
                // As TM:OK at the station and the HTTP API: a supervisor confirms. Where badges
                // are registered, --user must be a supervisor's (a QA run confirmed as an operator
                // and as "Mickey Mouse").
                let who = user ?? defaultUser()
                switch try await Operators(store: registry.store).lookup(badge: who) {
                case .known(let person) where person.role == .supervisor:
                    break
                case .unmanaged:
                    break
                case .known(let person):
                    throw RegistryError(.invalidInput, "\(person.signature) is an operator: a supervisor confirms; give a supervisor's badge with --user")
                case .unknown:
                    throw RegistryError(.invalidInput, "no badge \(who) is registered: give a supervisor's badge with --user (tracemark operator list)")
                }
                let station = try await Station(StationConfiguration(name: station, kind: .receiving), registry: registry, spool: spool)
                return try await station.confirm(scan: scan.value, reason: reason, user: who, device: "shell")
            }
            try options.emit(outcome) { "scan \(scan.value) at \(station): \(outcome.reasons.first?.message ?? "confirmed")" }
        }
    }
}

/// A scan's number in the scan log, written as serve prints it (`#12`) or bare (`12`): the README
/// sends the operator from serve's `#12` to `station confirm`, which refused it (found by a QA run).
struct ScanNumber: ExpressibleByArgument, Sendable {
    let value: Int64

    init?(argument: String) {
        let digits = argument.hasPrefix("#") ? argument.dropFirst() : Substring(argument)
        guard let value = Int64(digits), value > 0 else { return nil }
        self.value = value
    }
}

import ArgumentParser
import Devices
import Foundation
import Labels
import Logging
import Printing
import Problems
import Registry
import Store
import TracemarkSystem

/// The `tracemark` command: the registry, scanners, labels and printers from a shell.
@main
struct Tracemark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracemark",
        abstract: "Lot and serial numbers from scan to label: the registry, scanners and label printers of a warehouse or line.",
        discussion: """
            Every command but serve (whose --config file names it) takes --db (an SQLite file, default ./tracemark.sqlite, or a postgres:// URL) \
            and --json (machine-readable output). Exit status: 0 done, 1 refused by the registry (the \
            message says why; nothing was written), 2 still waiting (print: queued, not printed yet), 64 bad command line or printer \
            configuration, 69 database or printer unavailable, 70 a fault of Tracemark's (the database refused a statement).
            """,
        subcommands: [
            ReceiveCommand.self, IssueCommand.self, TransferCommand.self, ProduceCommand.self, ReturnCommand.self,
            WriteOffCommand.self, SplitCommand.self, AssignCommand.self, StatusCommand.self, StockCommand.self, ProposalCommand.self,
            DocumentCommand.self, PeriodCommand.self, FindCommand.self, HistoryCommand.self, TraceCommand.self, RecallCommand.self, ReportCommand.self, ExportCommand.self, ResolveCommand.self,
            ClassCommand.self, ProductCommand.self, SeriesCommand.self, GenerateCommand.self, LotSerialCommand.self,
            BlockCommand.self, WarehouseCommand.self, PartnerCommand.self, DemoCommand.self,
            DevicesCommand.self, ScanCommand.self,
            RenderCommand.self, TemplatesCommand.self,
            PrintCommand.self, JobsCommand.self, PrintersCommand.self,
            ServeCommand.self, StationCommand.self, OperatorCommand.self, TokenCommand.self, BackupCommand.self, RestoreCommand.self, MigrateCommand.self,
        ]
    )

    /// Logs `level` and worse to standard error, for the whole process (once: serve sets its own).
    static func startLogging(_ level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Runs the command line, turning registry errors into one readable line and an exit code.
    static func main() async {
        // Started by a process that must not leave it behind (a test run): ends with it.
        ParentWatch.start()
        do {
            var command = try parseAsRoot()
            // Every command but serve (which sets its own, --verbose for info) logs notices and
            // worse: a station run from the shell printed each scan's info line (found by a QA run).
            if !(command is ServeCommand) { startLogging(.notice) }
            do {
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch let error as ValidationError {
                // A value the command itself refused (a date that does not exist, a file it cannot
                // use): the root's usage line would point at the wrong command.
                let name = (["tracemark"] + commandPath(to: type(of: command))).joined(separator: " ")
                if wantsJSON { fail(code: "usage", message: error.message, status: ExitCode.validationFailure.rawValue) }
                FileHandle.standardError.write(Data("Error: \(Terminal.visible(error.message))\nSee '\(name) --help'.\n".utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
        } catch let error as any ReportableError {
            // One mapping for every face: the error type states its exit status beside its code.
            // A template's error says where in it, under --json as fields of their own too.
            let label = error as? LabelError
            fail(code: error.problemCode, message: error.problemDetail, status: error.exitStatus,
                 file: label?.file, line: label?.line, element: label?.element)
        } catch {
            if let readable = DatabaseErrors.readable(error) {
                // Out of reach or busy: try again later (69). Refused for what it asked: a fault of ours (70).
                if DatabaseErrors.isTransient(error) { fail(code: DatabaseErrors.isLockWait(error) ? "locked" : "database", message: readable, status: 69) }
                fail(code: "internal", message: "\(readable); nothing was written (a fault of Tracemark's: please report it)", status: 70)
            }
            // An ExitCode was reported by its command already; help and version are not failures.
            guard wantsJSON, !(error is ExitCode), exitCode(for: error) != .success else { exit(withError: error) }
            // A usage error (an unknown option, a missing argument, a value that does not parse).
            fail(code: "usage", message: fullMessage(for: error), status: exitCode(for: error).rawValue)
        }
    }

    /// The subcommand names that lead from the root to `command` (`["lot", "show"]`).
    static func commandPath(to command: any ParsableCommand.Type, from root: any ParsableCommand.Type = Tracemark.self) -> [String] {
        for sub in root.configuration.subcommands {
            let name = sub.configuration.commandName ?? String(describing: sub).lowercased()
            if sub == command { return [name] }
            let below = commandPath(to: command, from: sub)
            if !below.isEmpty { return [name] + below }
        }
        return []
    }

    /// Whether `--json` is among the arguments (before a `--`): errors are then JSON too.
    static var wantsJSON: Bool {
        CommandLine.arguments.dropFirst().prefix { $0 != "--" }.contains("--json")
    }

    /// Says what failed on standard error, as one line or, under `--json`, as
    /// `{"error": {"code", "message", "exitStatus"}}` with the same codes as the HTTP API's problems,
    /// and exits with `status`.
    /// `file`, `line`, `element`: where in a template, for a template's error.
    static func fail(code: String, message: String, status: Int32,
                     file: String? = nil, line: Int? = nil, element: String? = nil) -> Never {
        if wantsJSON {
            struct Failure: Encodable {
                struct Body: Encodable {
                    var code: String, message: String, exitStatus: Int32
                    var file: String?, line: Int?, element: String?
                }
                var error: Body
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = Failure.Body(code: code, message: message, exitStatus: status, file: file, line: line, element: element)
            let data = (try? encoder.encode(Failure(error: body))) ?? Data()
            FileHandle.standardError.write(data + Data("\n".utf8))
        } else {
            FileHandle.standardError.write(Data("tracemark: \(Terminal.visible(message))\n".utf8))
        }
        Foundation.exit(status)
    }
}

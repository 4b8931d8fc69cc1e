import ArgumentParser
import Devices
import Foundation
import Labels
import Printing
import Problems
import Registry
import Store

/// The `tracemark` command: the registry, scanners, labels and printers from a shell.
@main
struct Tracemark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracemark",
        abstract: "Lot and serial numbers from scan to label: the registry, scanners and label printers of a warehouse or line.",
        discussion: """
            Every command takes --db (an SQLite file, default ./tracemark.sqlite, or a postgres:// URL) \
            and --json (machine-readable output). Exit status: 0 done, 1 refused by the registry (the \
            message says why; nothing was written), 64 bad command line or printer configuration, 69 database or printer unavailable.
            """,
        subcommands: [
            ReceiveCommand.self, IssueCommand.self, TransferCommand.self, ProduceCommand.self, ReturnCommand.self,
            WriteOffCommand.self, SplitCommand.self, StatusCommand.self, StockCommand.self, ProposalCommand.self,
            FindCommand.self, HistoryCommand.self, ResolveCommand.self,
            ClassCommand.self, ProductCommand.self, SeriesCommand.self, GenerateCommand.self, LotSerialCommand.self,
            BlockCommand.self, WarehouseCommand.self, PartnerCommand.self, DemoCommand.self,
            DevicesCommand.self, ScanCommand.self,
            RenderCommand.self, TemplatesCommand.self,
            PrintCommand.self, JobsCommand.self, PrintersCommand.self,
            ServeCommand.self, StationCommand.self, OperatorCommand.self, TokenCommand.self,
        ]
    )

    /// Runs the command line, turning registry errors into one readable line and an exit code.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as any ReportableError {
            // One mapping for every face: the error type states its exit status beside its code.
            FileHandle.standardError.write(Data("tracemark: \(error.problemDetail)\n".utf8))
            Foundation.exit(error.exitStatus)
        } catch {
            if let readable = DatabaseErrors.readable(error) {
                FileHandle.standardError.write(Data("tracemark: \(readable)\n".utf8))
                Foundation.exit(69)
            }
            exit(withError: error)
        }
    }
}

import ArgumentParser
import Devices
import Foundation
import Labels
import Printing
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
            ServeCommand.self, StationCommand.self,
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
        } catch let error as RegistryError {
            FileHandle.standardError.write(Data("tracemark: \(error.message)\n".utf8))
            switch error.code {
            case .databaseLocked, .database, .unsupportedDatabase: Foundation.exit(69)
            default: Foundation.exit(1)
            }
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("tracemark: \(error.message)\n".utf8))
            Foundation.exit(69)
        } catch let error as DevicesError {
            FileHandle.standardError.write(Data("tracemark: \(error.message)\n".utf8))
            switch error.code {
            case .invalidAddress, .invalidConfiguration: Foundation.exit(64)
            case .permissionDenied: Foundation.exit(77)
            default: Foundation.exit(69)
            }
        } catch let error as PrintingError {
            FileHandle.standardError.write(Data("tracemark: \(error.message)\n".utf8))
            switch error.code {
            case .invalidConfiguration: Foundation.exit(64)
            case .unreachable, .notReady, .interrupted, .timeout, .cups, .database: Foundation.exit(69)
            default: Foundation.exit(1)
            }
        } catch let error as LabelError {
            FileHandle.standardError.write(Data("tracemark: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            if let readable = DatabaseErrors.readable(error) {
                FileHandle.standardError.write(Data("tracemark: \(readable)\n".utf8))
                Foundation.exit(69)
            }
            exit(withError: error)
        }
    }
}

import Foundation
import Printing
import Registry
import Store
import SQLKit
import Synchronization
@_exported import TracemarkTesting
import Testing

/// A fresh registry database with the spool's tables, in a temporary folder that also receives
/// the file printer's output (``TestDatabase``). Removed after the test.
typealias SpoolDatabase = TestDatabase

extension TestDatabase {
    func open() async throws -> (Registry, Spool) {
        let registry = try await Registry.open(location)
        do {
            return (registry, try await Spool(store: registry.store))
        } catch {
            await registry.close()
            throw error
        }
    }

    /// A folder printer writing into this test's folder.
    func filePrinter(_ name: String = "out", language: PrinterLanguage = .zpl) -> PrinterConfig {
        PrinterConfig(name: name, uri: "file://\(folder.appendingPathComponent(name).path)", language: language)
    }
}

/// Runs `body` with a registry and spool on a fresh database, and removes it after.
func withSpool(_ backend: Backend, _ body: (Registry, Spool, SpoolDatabase) async throws -> Void) async throws {
    let database = try await SpoolDatabase.make(backend)
    let (registry, spool) = try await database.open()
    do {
        try await body(registry, spool, database)
    } catch {
        await registry.close()
        await database.drop()
        throw error
    }
    await registry.close()
    await database.drop()
}

/// Asserts that `body` throws a ``PrintingError`` with `code` whose message contains every fragment.
func expectPrintingError(_ code: PrintingError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                         _ body: () async throws -> Void) async {
    await expectFailure(PrintingError.self, code, fragments, sourceLocation: sourceLocation, body)
}

extension PrintingError: CodedError {}
extension RegistryError: CodedError {}

/// A small valid ZPL label that prints `copies` labels.
func zplLabel(_ text: String, copies: Int = 1) -> Data {
    Data("^XA^FO20,20^A0N,30,30^FH\\^FD\(text)^FS\(copies > 1 ? "^PQ\(copies),0,1,N" : "")^XZ\n".utf8)
}

/// Runs the printer's worker for `rounds` rounds of its loop, however long they take (a loaded
/// machine): for a printer that cannot take its jobs, where running until idle would not end.
func runRounds(_ spool: Spool, _ printer: String, _ rounds: Int, maxBackoff: Duration = .milliseconds(50)) async throws {
    var options = PrinterWorker.Options()
    options.pollInterval = .milliseconds(20)
    options.maxBackoff = maxBackoff
    let count = Mutex(0)
    options.stop = { count.withLock { $0 += 1; return $0 > rounds } }
    try await PrinterWorker(spool: spool, printer: printer, options: options).run()
}

/// Runs the printer's worker until it has nothing left to do.
func drain(_ spool: Spool, _ printer: String) async throws {
    var options = PrinterWorker.Options()
    options.untilIdle = true
    options.pollInterval = .milliseconds(20)
    try await PrinterWorker(spool: spool, printer: printer, options: options).run()
}

/// How many of `printer`'s jobs are done, in one COUNT: for a run that is stopped while it is read
/// (``TracemarkProcess/killAtProgress(_:marks:progress:)``), where reading every job kept it stopped longer.
func doneJobs(_ spool: Spool, printer: String) async throws -> Int {
    try await spool.store.read { db in
        try await db.raw("SELECT COUNT(*) AS n FROM print_jobs WHERE printer = \(bind: printer) AND state = 'done'")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

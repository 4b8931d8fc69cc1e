import ArgumentParser
import Devices
import Foundation
import GS1
import Logging
import Registry
import Stations
import UnixSignals

/// `tracemark scan`: prints each scan from one scanner until stopped (or `--count` scans).
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Print each scan from a scanner until stopped.",
        discussion: """
            DEVICE is one of:
              usb:VID:PID             a USB HID scanner (keyboard or HID POS mode);
                                      ids as `tracemark devices` shows them
              serial:PATH?OPTIONS     a serial scanner; OPTIONS as baud=9600&bits=8&
                                      parity=none&stop=1&flow=none&end=cr&timeout=MS&
                                      prefix=&suffix=
              tcp://HOST:PORT         connect to a network scanner (reconnects)
              tcp-listen://ADDR:PORT  let network scanners connect
              stdin                   one scan per line (a keyboard wedge, scripts)

            Each scan is resolved against the registry (--db) as `tracemark resolve` does, unless \
            --no-resolve is given. GS (ASCII 29) is shown as <GS>. Exit status: 0 done, 64 bad command line, 69 no device or \
            device busy, 77 permission denied (install the udev rules: see README, Devices).
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Where scans come from.", valueName: "device"))
    var device = "stdin"

    @Option(help: "The keyboard layout a keyboard-mode USB scanner types through: us, uk, de, fr, se (fi), dk, no.")
    var layout = "us"

    @Option(name: .customLong("gs-substitute"), help: "Text the scanner sends instead of GS (e.g. '<GS>'), turned back into GS.")
    var gsSubstitute: String?

    @Option(help: "Stop after this many scans.")
    var count: Int?

    @Flag(help: "Wait for a device that is missing, busy or not permitted instead of failing.")
    var wait = false

    @Flag(help: "Log every device state change on standard error.")
    var verbose = false

    @Flag(help: "Only print the scans; do not look them up in the registry.")
    var noResolve = false

    @Option(help: "The station's warehouse: stock and the pick-order check are about it.")
    var warehouse: String?

    @Option(help: "Warn when the expiry is this many days away or fewer.")
    var expiryWarningDays = 30

    @Flag(help: "Resolve legacy labels that break GS1 rules, reporting each broken rule as a warning.")
    var lenient = false

    func validate() throws {
        guard KeyboardLayout.named(layout) != nil else {
            throw ValidationError("unknown layout \(layout): use one of \(KeyboardLayout.all.map(\.name).joined(separator: ", "))")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        // An operator started in the wrong directory was told that real stock was unknown, from
        // an empty registry the lookup made (found by a QA run). The scans are still shown (the
        // command is how a scanner is tried), each saying why it was not looked up.
        let missing = !noResolve && options.databaseIsMissing ? options.missingDatabase : nil
        // A warehouse that does not exist refused every scan, one by one (a QA run): said once, now.
        if missing == nil, !noResolve, let warehouse {
            try await options.withRegistry { try await $0.checkWarehouse(warehouse) }
        }
        let address = try DeviceAddress(parsing: device)
        var logger = Logger(label: "tracemark.devices") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        let keyboard = KeyboardDecoder.Options(layout: KeyboardLayout.named(layout) ?? .us, groupSeparatorSubstitute: gsSubstitute)
        let source = try address.makeSource(keyboard: keyboard, waitsForDevice: wait, logger: logger)
        if verbose { FileHandle.standardError.write(Data("reading \(source.name)\n".utf8)) }
        let events = source.scans()
        let json = options.json, count = count
        let lookup = noResolve || missing != nil ? nil : ScanLookup(
            database: options.db, parser: GS1Parser(.scanning(lenient: lenient)),
            options: ResolveOptions(expiryWarningDays: expiryWarningDays, warehouse: warehouse))
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                // Ctrl+C or a service manager's TERM ends the command, not the process: the
                // scanner must be given back to its kernel driver first.
                tasks.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
                }
                tasks.addTask {
                    var seen = 0
                    do {
                        for try await event in events {
                            var report = if let lookup { await lookup.report(event) } else { ScanReport(event) }
                            if let missing { report.resolveError = missing }
                            // Written straight to the descriptor, unbuffered: a script reading the pipe sees each scan at once.
                            Terminal.writeOut(((json ? try report.json() : Terminal.visible(report.text)) + "\n").utf8)
                            seen += 1
                            if let count, seen >= count { break }
                        }
                    } catch {
                        await lookup?.close()
                        throw error
                    }
                    await lookup?.close()
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch {
            await events.finish()
            throw error
        }
        await events.finish()
    }
}

extension ScanReport {
    /// The scan for people: source, identifier and data (GS as <GS>), then what GS1 and the
    /// registry make of it, indented.
    var text: String {
        // A line break inside one scan is shown escaped as any other control character: written
        // as it is, one scan read as two (found by a QA run; a CR was shown as \x0D already).
        let shown = Terminal.visible(data.replacingOccurrences(of: "\u{1D}", with: "<GS>"), breaks: false)
        var line = "\(source)  \(symbologyIdentifier.map { $0 + " " } ?? "")\(shown)"
        if let gs1 { line += "\n    GS1 \(gs1.kind): \(gs1.bracketed)" }
        if let gs1Error { line += "\n    not GS1: \(gs1Error)" }
        if let resolution {
            line += "\n" + ResolveCommand.describe(resolution).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        }
        if let resolveError { line += "\n    not resolved: \(resolveError)" }
        return line
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

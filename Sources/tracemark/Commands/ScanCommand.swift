import ArgumentParser
import Devices
import Foundation
import GS1
import Logging
import UnixSignals

/// `tracemark scan`: prints each scan from one scanner until stopped (or `--count` scans).
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Print each scan from a scanner until stopped.",
        discussion: """
            DEVICE is one of:
              usb:VID:PID          a USB HID scanner (keyboard or HID POS mode), ids as `tracemark devices` shows them
              serial:PATH?baud=9600&bits=8&parity=none&stop=1&flow=none&end=cr&timeout=MS&prefix=&suffix=
              tcp://HOST:PORT      connect to a network scanner (reconnects)
              tcp-listen://ADDR:PORT  let network scanners connect
              stdin                one scan per line (keyboard wedge in a terminal, scripts)
            GS (ASCII 29) is shown as <GS>. Exit status: 0 done, 64 bad command line, 69 no device or \
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

    func validate() throws {
        guard KeyboardLayout.named(layout) != nil else {
            throw ValidationError("unknown layout \(layout): use one of \(KeyboardLayout.all.map(\.name).joined(separator: ", "))")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let address = try DeviceAddress(parsing: device)
        var logger = Logger(label: "tracemark.devices") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        let keyboard = KeyboardDecoder.Options(layout: KeyboardLayout.named(layout) ?? .us, groupSeparatorSubstitute: gsSubstitute)
        let source = try address.makeSource(keyboard: keyboard, waitsForDevice: wait, logger: logger)
        if verbose { FileHandle.standardError.write(Data("reading \(source.name)\n".utf8)) }
        let parser = GS1Parser(.lenient)
        let events = source.scans()
        let json = options.json, count = count
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                // Ctrl+C or a service manager's TERM ends the command, not the process: the
                // scanner must be given back to its kernel driver first.
                tasks.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
                }
                tasks.addTask {
                    var seen = 0
                    for try await event in events {
                        let line = ScanLine(event, parser: parser)
                        // RESOLVE HOOK (scan resolution issue): look `line.gs1` (or the raw scan) up in the
                        // registry here, as `tracemark resolve` will, and print the product / lot / serial found.
                        // Written straight to the descriptor, unbuffered: a script reading the pipe sees each scan at once.
                        FileHandle.standardOutput.write(Data(((json ? try line.json() : line.text) + "\n").utf8))
                        seen += 1
                        if let count, seen >= count { return }
                    }
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

/// One scan as `tracemark scan` prints it.
struct ScanLine: Encodable {
    struct GS1: Encodable {
        let kind: String
        let elements: [[String: String]]
        let bracketed: String
        let warnings: [String]
    }

    let source: String
    let time: String
    let symbologyIdentifier: String?
    /// The data, GS as ASCII 29 (JSON writes it as \u001d).
    let data: String
    let hex: String
    let gs1: GS1?
    let gs1Error: String?

    init(_ event: ScanEvent, parser: GS1Parser) {
        source = event.source
        time = ISO8601DateFormatter().string(from: event.time)
        symbologyIdentifier = event.symbologyIdentifier
        data = event.text
        hex = event.data.map { String(format: "%02x", $0) }.joined()
        do {
            let code = try parser.parse(event.transmitted)
            switch code.kind {
            case .plain:
                gs1 = nil
            case .elementString, .digitalLink, .gtin:
                gs1 = GS1(kind: "\(code.kind)", elements: code.elements.map { ["ai": $0.ai, "value": $0.value] },
                          bracketed: code.bracketed, warnings: code.warnings.map(\.message))
            }
            gs1Error = nil
        } catch {
            gs1 = nil
            gs1Error = error.message
        }
    }

    var text: String {
        let shown = data.replacingOccurrences(of: "\u{1D}", with: "<GS>")
        var line = "\(source)  \(symbologyIdentifier.map { $0 + " " } ?? "")\(shown)"
        if let gs1 { line += "\n    GS1 \(gs1.kind): \(gs1.bracketed)" }
        if let gs1Error { line += "\n    not GS1: \(gs1Error)" }
        return line
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

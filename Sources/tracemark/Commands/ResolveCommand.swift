import ArgumentParser
import Devices
import Foundation
import GS1
import Registry
import Stations
import Store

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Say what a scanned code is: product, lot or serial, stock, status, expiry, and every warning.",
        discussion: """
            CODE is what a scanner sends: GS1 element strings with or without a symbology identifier \
            (]C1, ]d2, ]Q3 …; GS as the separator), the bracketed form (01)09501101530003(10)ABC, a GS1 \
            Digital Link URI, an EAN/UPC, or a plain lot, serial or article number. With --stdin, every \
            line is one scan (a keyboard-wedge scanner typing into the terminal); --json then prints one \
            JSON object per line.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The scanned code (quote it: brackets and GS are special to the shell).") var code: String?
    @Flag(help: "Resolve one scan per line from standard input until it ends.") var stdin = false
    @Option(help: "The station's warehouse: stock and the pick-order check are about it.") var warehouse: String?
    @Option(help: "Warn when the expiry is this many days away or fewer.") var expiryWarningDays = 30
    @Option(help: "Judge expiry on this date (YYYY-MM-DD; default today).") var date: String?
    @Flag(help: "Read legacy labels that break GS1 rules (bad check digits, missing AIs), reporting each as a warning.")
    var lenient = false
    @Option(name: .customLong("gs"), help: ArgumentHelp("A text the scanner sends instead of the GS separator, e.g. ^ (repeatable).",
                                                      valueName: "text"))
    var groupSeparators: [String] = []

    func validate() throws {
        if stdin == (code != nil) {
            throw ValidationError(stdin ? "give either a CODE or --stdin, not both" : "give the scanned CODE, or --stdin to read scans")
        }
    }

    func run() async throws {
        var parserOptions = GS1Parser.Options.scanning(lenient: lenient)
        parserOptions.groupSeparators = groupSeparators
        let day = try date.map { try parseDate($0, what: "--date") }
        // The day judged on is the day two-digit years are read around too (GS1's century rule):
        // with --date in 2076, (17)991231 was read as 1999 and said expired (found by a QA run).
        parserOptions.today = day
        let parser = GS1Parser(parserOptions)
        let resolveOptions = ResolveOptions(expiryWarningDays: expiryWarningDays, warehouse: warehouse, date: day)
        if let given = code {
            // As pasted: spaces, tabs and line ends around a code are no part of the scan (a
            // leading space made it a plain code, a trailing one an error about a space).
            let code = given.trimmingCharacters(in: .whitespacesAndNewlines)
            let limit = ScanFraming().maximumLength
            guard code.utf8.count <= limit else {
                throw RegistryError(.invalidInput, "the code is \(code.utf8.count) bytes long, more than any barcode holds (at most \(limit)): it was not read")
            }
            let resolution = try await options.withExistingRegistry { registry in
                if let warehouse { try await registry.checkWarehouse(warehouse) }
                return try await registry.resolve(code, parser: parser, options: resolveOptions)
            }
            try options.emit(resolution) { Self.describe(resolution) }
            return
        }
        try await options.withExistingRegistry { registry in
            if let warehouse { try await registry.checkWarehouse(warehouse) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Cut as `tracemark scan` and the stations cut a byte stream: one scan per line (CR, LF
            // or CR LF), and a line longer than any barcode is one scan refused as too long.
            var framer = ScanFramer(.lines)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var ended = false
            while !ended {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                ended = count <= 0
                let framed = ended ? (framer.finish().map { [$0] } ?? []) : framer.receive(buffer[0..<count], at: 0)
                for one in framed {
                    let scan = String(decoding: one.bytes, as: UTF8.self)
                    if let length = one.overlongLength {
                        try report(StationScan.overlongMessage(length), code: "too-long", scan: String(scan.prefix(64)), encoder: encoder)
                        continue
                    }
                    try await resolve(scan, registry, parser: parser, options: resolveOptions, encoder: encoder)
                }
            }
        }
    }

    /// Resolves one scan read from standard input and says what it is, or why it is not.
    private func resolve(_ scan: String, _ registry: Registry, parser: GS1Parser, options resolveOptions: ResolveOptions,
                         encoder: JSONEncoder) async throws {
        guard !scan.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        do {
            let resolution = try await registry.resolve(scan, parser: parser, options: resolveOptions)
            say(options.json ? String(decoding: try encoder.encode(resolution), as: UTF8.self) : Terminal.visible(Self.describe(resolution) + "\n"))
        } catch let error as RegistryError where error.code == .invalidInput {
            try report(error.message, code: "invalid-input", scan: scan, encoder: encoder)
        } catch let error as StoreError where error.code == .unavailable {
            // The database did not answer (a server restarting, a network down): this
            // scan is not resolved, and the next one tries again, as a station would.
            try report(error.message, code: "database", scan: scan, encoder: encoder)
        }
    }

    /// Says why one scan got no answer, and goes on with the next.
    private func report(_ message: String, code: String, scan: String, encoder: JSONEncoder) throws {
        if options.json {
            say(String(decoding: try encoder.encode(["scan": scan, "error": message, "code": code]), as: UTF8.self))
        } else {
            say(Terminal.visible("error: \(message)\n"))
        }
    }

    /// Writes a line at once (unbuffered), so that a scan's answer shows while the scanner waits.
    private func say(_ line: String) {
        Terminal.writeOut((line + "\n").utf8)
    }

    /// The resolution for people: what it is, then its record, then the warnings.
    static func describe(_ resolution: Resolution) -> String {
        var title = resolution.subject.rawValue.uppercased()
        if let product = resolution.product {
            let name = product.description.isEmpty ? "" : " (\(product.description))"
            let gtin = product.gtin.map { ", GTIN \($0)" } ?? ""
            if let lotSerial = resolution.lotSerial {
                title += "  \(lotSerial.number) of \(product.article)\(name)\(gtin)"
            } else if let number = resolution.scan.serial ?? resolution.scan.lot, resolution.subject != .product {
                title += "  \(number) of \(product.article)\(name)\(gtin) (not in the registry)"
            } else {
                title += "  \(product.article)\(name)\(gtin)"
            }
        }
        let record = resolution.lotSerial
        let expiry = record?.expiry ?? resolution.scan.expiry
        let stock = resolution.stock.map { "\($0.warehouse) \($0.quantity) \($0.unit)" }.joined(separator: ", ")
        var lines = [title, fields([
            ("scan", resolution.scan.elements.isEmpty ? nil : resolution.scan.elements.map { "(\($0.ai))\($0.value)" }.joined()),
            ("lot", resolution.lot.map { $0.number + ($0.recorded.map { $0 == resolution.lot?.number ? "" : " (registry: \($0))" } ?? "") }),
            ("status", record.map { $0.status.rawValue + ($0.flaggedForInvestigation ? ", flagged for investigation" : "") }),
            ("expiry", expiry.map { "\($0)" + (resolution.daysToExpiry.map { " (\($0) days)" } ?? "") }),
            ("production", (record?.production ?? resolution.scan.production)?.description),
            ("stock", resolution.product == nil ? nil : (stock.isEmpty ? "none" : stock)),
            ("attributes", record.flatMap { $0.attributes.isEmpty ? nil : $0.attributes.map { "\($0.name)=\($0.value.displayed)" }.joined(separator: ", ") }),
            ("received", resolution.lastReceipt.map(movement)),
            ("sold", resolution.lastIssue.map(movement)),
            ("last", resolution.lastMovement.flatMap { [resolution.lastReceipt, resolution.lastIssue].contains($0) ? nil : movement($0) }),
            ("candidates", resolution.candidates.isEmpty ? nil
                : resolution.candidates.map { $0.product + ($0.number.map { " \($0)" } ?? " (article)") }.joined(separator: ", ")),
        ])]
        // What the measures, amounts and dates of the scan say, in their units.
        let readings = resolution.scan.elements.compactMap { element in element.reading.map { "  (\(element.ai)) \($0.title): \($0.text)" } }
        if !readings.isEmpty {
            lines.append("reads:")
            lines += readings
        }
        if !resolution.warnings.isEmpty {
            lines.append("warnings:")
            lines += resolution.warnings.map { "  ! \($0.kind.rawValue): \($0.message)" }
        }
        return lines.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    private static func movement(_ movement: Resolution.Movement) -> String {
        var text = "\(movement.what) \(movement.document)"
        if let partner = movement.partner { text += (movement.quantity > 0 ? " from " : " to ") + partner }
        if let date = movement.date { text += " on \(date)" }
        return text + " (\(movement.warehouse))"
    }
}

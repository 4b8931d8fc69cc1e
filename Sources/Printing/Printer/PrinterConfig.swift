import Foundation

/// The language a printer reads.
public enum PrinterLanguage: String, Sendable, Codable, CaseIterable {
    /// Zebra Programming Language II: labels as text, status by `~HS`.
    case zpl
    /// Eltron Programming Language 2: labels as text, no status query.
    case epl
    /// A PNG image, for CUPS queues whose driver turns images into the printer's language.
    case png
}

/// Where a printer is, parsed from its URI.
public enum PrinterAddress: Sendable, Hashable, CustomStringConvertible {
    /// A raw TCP printer (`tcp://host:9100`): fixed and mobile printers on the network.
    case tcp(host: String, port: Int)
    /// A CUPS queue (`cups://QUEUE`), on the CUPS server libcups finds (`CUPS_SERVER`, client.conf).
    case cups(queue: String)
    /// A folder that receives one file per job (`file:///abs/folder` or `file:relative/folder`).
    case file(directory: String)

    /// Whether a job the printer already holds can still be cancelled there: a CUPS queue's can,
    /// while a raw printer prints what it was sent and a folder's file is written.
    public var cancelsHeldJobs: Bool {
        if case .cups = self { true } else { false }
    }

    /// Parses `tcp://host[:port]`, `cups://QUEUE` or `file:…`.
    public init(parsing uri: String) throws(PrintingError) {
        func invalid(_ why: String) -> PrintingError {
            PrintingError(.invalidConfiguration, "printer URI \"\(uri)\": \(why)")
        }
        if uri.hasPrefix("tcp://") {
            var rest = Substring(uri.dropFirst("tcp://".count))
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            guard !rest.isEmpty, !rest.contains("/") else { throw invalid("write it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:9100") }
            var host = rest
            var port = 9100
            if rest.hasPrefix("[") {
                // [IPv6]:port
                guard let close = rest.firstIndex(of: "]") else { throw invalid("an IPv6 address needs its closing ]") }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let tail = rest[rest.index(after: close)...]
                if !tail.isEmpty {
                    guard tail.hasPrefix(":"), let value = Int(tail.dropFirst()) else { throw invalid("the port must be a number") }
                    port = value
                }
            } else if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                guard let value = Int(rest[rest.index(after: colon)...]) else { throw invalid("the port must be a number") }
                port = value
            }
            guard (1...65535).contains(port) else { throw invalid("port \(port) is outside 1…65535") }
            guard !host.isEmpty else { throw invalid("the host is missing") }
            self = .tcp(host: String(host), port: port)
        } else if uri.hasPrefix("cups://") {
            let queue = String(uri.dropFirst("cups://".count))
            guard !queue.isEmpty, !queue.contains("/"), !queue.contains(where: { $0 == " " || $0 == "#" }) else {
                throw invalid("write it as cups://QUEUE with the queue's name (no spaces, / or #)")
            }
            self = .cups(queue: queue)
        } else if uri.hasPrefix("file://") {
            let path = String(uri.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw invalid("file:// needs an absolute path (file:///srv/labels); use file:labels for a folder relative to the working directory") }
            self = .file(directory: path)
        } else if uri.hasPrefix("file:") {
            let path = String(uri.dropFirst("file:".count))
            guard !path.isEmpty else { throw invalid("the folder is missing") }
            self = .file(directory: path)
        } else {
            throw invalid("use tcp://HOST:PORT, cups://QUEUE or file:FOLDER")
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case .cups(let queue): "cups://\(queue)"
        case .file(let directory): directory.hasPrefix("/") ? "file://\(directory)" : "file:\(directory)"
        }
    }
}

/// What to do with a TCP connection at the end of a job.
public enum EndOfJob: String, Sendable, Codable, CaseIterable {
    /// Shut down the sending side and wait for the printer to close (some print servers drop the
    /// end of a job on an abrupt close).
    case halfClose = "half-close"
    /// Close the connection (some print servers drop the end of a job on half-close).
    case close
    /// Keep the connection open for the next job until the idle timeout.
    case keepOpen = "keep-open"
}

/// A printer as configured once by name: where it is, what it reads, its media and its timeouts.
public struct PrinterConfig: Sendable, Codable, Equatable {
    public var name: String
    public var uri: String
    public var language: PrinterLanguage
    /// Printer resolution in dots per inch.
    public var dpi: Int
    /// Media size in millimetres, when known (CUPS PNG queues need it for the page size).
    public var widthMillimetres: Double?
    public var lengthMillimetres: Double?
    /// Seconds to wait for a TCP connection.
    public var connectTimeout: Double
    /// Seconds a write may make no progress before the job is abandoned as interrupted.
    public var writeTimeout: Double
    /// Seconds an open connection may stay unused (with ``EndOfJob/keepOpen``).
    public var idleTimeout: Double
    /// Seconds to wait for an answer to a status query (`~HS`). No answer means "unknown,
    /// possibly in error", never "done".
    public var statusTimeout: Double
    public var endOfJob: EndOfJob
    /// After sending, follow the printer until it reports the labels printed.
    public var followUntilPrinted: Bool
    /// Seconds to follow a job before leaving it "delivered, not confirmed".
    public var printTimeout: Double
    /// Attempts before a failing job waits for an operator.
    public var maxAttempts: Int
    /// A ZPL printer is asked its status (`~HS`) before each payload and followed until it says
    /// the labels printed. False for a printer that reads ZPL but answers no status query (a ZPL
    /// emulation, a print server in front of the printer): its jobs are sent and left
    /// "delivered, not confirmed", as an EPL printer's are; without it they waited for ever for
    /// an answer that never comes (found by a QA run).
    public var statusQuery: Bool = true

    public init(name: String, uri: String, language: PrinterLanguage, dpi: Int = 203,
                widthMillimetres: Double? = nil, lengthMillimetres: Double? = nil,
                connectTimeout: Double = 5, writeTimeout: Double = 30, idleTimeout: Double = 10,
                statusTimeout: Double = 2, endOfJob: EndOfJob = .close, followUntilPrinted: Bool = true,
                printTimeout: Double = 120, maxAttempts: Int = 5) {
        self.name = name
        self.uri = uri
        self.language = language
        self.dpi = dpi
        self.widthMillimetres = widthMillimetres
        self.lengthMillimetres = lengthMillimetres
        self.connectTimeout = connectTimeout
        self.writeTimeout = writeTimeout
        self.idleTimeout = idleTimeout
        self.statusTimeout = statusTimeout
        self.endOfJob = endOfJob
        self.followUntilPrinted = followUntilPrinted
        self.printTimeout = printTimeout
        self.maxAttempts = maxAttempts
    }

    /// The parsed URI.
    public var address: PrinterAddress {
        get throws(PrintingError) { try PrinterAddress(parsing: uri) }
    }

    /// The same printer with a relative folder (`file:labels`) made absolute against this
    /// process's working directory, so that every process that prints to it later, wherever it
    /// was started, writes to the same folder. Other printers are returned as they are.
    public func absolute() -> PrinterConfig {
        guard case .file(let directory)? = try? address, !directory.hasPrefix("/") else { return self }
        var config = self
        let resolved = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
        config.uri = PrinterAddress.file(directory: resolved.standardizedFileURL.path).description
        return config
    }

    /// Checks every field, naming the first that is wrong.
    public func validate() throws(PrintingError) {
        func invalid(_ why: String) -> PrintingError {
            PrintingError(.invalidConfiguration, "printer \(name): \(why)")
        }
        // Not starting with '.': `.`, `..` cannot be named in a URL's path (a browser makes them
        // dot segments), and `.hidden` hides from listings (found by a QA run).
        guard !name.isEmpty, name.count <= 64, !name.hasPrefix("."),
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw PrintingError(.invalidConfiguration,
                "printer name \"\(name)\": use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter, digit, '-' or '_'")
        }
        let address = try address
        guard [152, 203, 300, 600].contains(dpi) else { throw invalid("dpi \(dpi) must be 152, 203, 300 or 600") }
        for (label, value) in [("width", widthMillimetres), ("length", lengthMillimetres)] {
            if let value, !(value > 0 && value <= 2000) { throw invalid("\(label) \(value) mm must be above 0 and at most 2000") }
        }
        for (label, value) in [("connect timeout", connectTimeout), ("write timeout", writeTimeout),
                               ("idle timeout", idleTimeout), ("status timeout", statusTimeout),
                               ("print timeout", printTimeout)] where !(value > 0 && value <= 86_400) {
            throw invalid("\(label) \(value) s must be above 0 and at most a day")
        }
        guard (1...100).contains(maxAttempts) else { throw invalid("max attempts \(maxAttempts) must be 1 to 100") }
        if language == .png, case .tcp = address {
            throw invalid("a raw TCP printer reads ZPL or EPL, not PNG; print PNG through a CUPS queue")
        }
        if !statusQuery, !(language == .zpl && { if case .tcp = address { true } else { false } }()) {
            throw invalid("only a raw TCP ZPL printer is asked its status: --no-status-query is for one of those")
        }
    }
}

extension PrinterConfig {
    /// What changes from `old` to this configuration, in words (`203 → 300 dpi`): the address, the
    /// language, the resolution and the label size, else "its settings"; empty when nothing does.
    public func changes(from old: PrinterConfig) -> [String] {
        guard old != self else { return [] }
        var changes: [String] = []
        if old.uri != uri { changes.append("address \(old.uri) → \(uri)") }
        if old.language != language { changes.append("language \(old.language.rawValue) → \(language.rawValue)") }
        if old.dpi != dpi { changes.append("\(old.dpi) → \(dpi) dpi") }
        if old.widthMillimetres != widthMillimetres || old.lengthMillimetres != lengthMillimetres {
            func size(_ c: PrinterConfig) -> String { "\(c.widthMillimetres.map { "\($0)" } ?? "?")×\(c.lengthMillimetres.map { "\($0)" } ?? "?") mm" }
            changes.append("label \(size(old)) → \(size(self))")
        }
        if old.statusQuery != statusQuery { changes.append(statusQuery ? "asked its status again" : "no longer asked its status") }
        return changes.isEmpty ? ["its settings"] : changes
    }
}

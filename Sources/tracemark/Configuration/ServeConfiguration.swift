import Devices
import Labels
import Foundation
import Printing
import Stations
import Yams

/// `tracemark serve`'s configuration file: the database, the HTTP address, printers and stations.
///
/// Loading collects every problem it finds (an unknown key, a missing field, a scanner address
/// that does not parse), each with the file and line, instead of stopping at the first: an
/// operator fixes the file once. Relative paths are taken from the working directory, as on the
/// command line.
struct ServeConfiguration {
    /// One problem in the file.
    struct Problem: Error, CustomStringConvertible, Equatable {
        let file: String
        let line: Int
        let message: String
        /// `FILE:LINE: what`, or `FILE: what` for the file as a whole.
        var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    }

    struct PrinterEntry {
        var config: PrinterConfig
        var line: Int
    }

    struct PalletLabelEntry {
        var series = ""
        var companyPrefix = ""
        var extensionDigit = 0
        var sender = ""
        var template = "pallet-sscc-100x150"
        var mixedTemplate = "pallet-sscc-mixed-100x150"
        var line: Int
    }

    struct StationEntry {
        var name: String
        var kind: StationConfiguration.Kind
        var warehouse: String?
        var scanners: [(address: DeviceAddress, text: String, line: Int)]
        /// A production line's verify scanners.
        var verifyScanners: [(address: DeviceAddress, text: String, line: Int)] = []
        var noRead = "NOREAD"
        /// Picking: the SSCC pallet label printed when an issue posts.
        var palletLabel: PalletLabelEntry?
        var onFailedVerify = StationConfiguration.FailedVerifyPolicy.reprint
        var printer: String?
        var template: String?
        var supplier: String?
        var expiryWarningDays: Int
        /// Seconds within which a label's two barcodes are read as one (``StationConfiguration/partWindow``).
        var partWindow: Double = 60
        var lenient: Bool
        var gsSubstitute: String?
        var layout: String
        var line: Int
        var fields: [String: Int]
    }

    var file: String
    var database: String
    /// The line `database:` is on (0 when the file leaves it to the default).
    var databaseLine = 0
    var httpListen: String
    /// Most clients of the event feed at once (`http.event-clients`).
    var eventClients = 64
    /// About how many seconds a client that vanished keeps its connection (`http.keepalive`; 0 off).
    var keepalive = 25
    /// Seconds a connection may send nothing while its request is unfinished, or between
    /// requests, before it is closed (`http.idle-timeout`).
    var idleTimeout = 60
    var templates: String?

    /// `http.listen` as host and port (port 0: any free port, printed at start).
    var httpAddress: (host: String, port: Int)? {
        guard let colon = httpListen.lastIndex(of: ":"), let port = Int(httpListen[httpListen.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        let written = httpListen[..<colon]
        // An IPv6 address is written in brackets ([::1]:8080); a colon in a host otherwise is a
        // mistake (127.0.0.1:8080:1 read as host 127.0.0.1:8080, a QA run).
        if written.contains(":"), !(written.hasPrefix("[") && written.hasSuffix("]")) { return nil }
        let host = String(written).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    /// Why `host` cannot be listened on by name (it does not resolve), or nil: a numeric address,
    /// or a name this machine resolves.
    static func unresolvable(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &found)
        if let found { freeaddrinfo(found) }
        return status == 0 ? nil : String(cString: gai_strerror(status))
    }
    var printers: [PrinterEntry] = []
    var stations: [StationEntry] = []
    /// The warehouses `accounting.accounts.warehouses` names, each with its line: checked
    /// against the database with the stations' (a typo booked that warehouse's stock on the
    /// default account without a word; found by a QA run).
    var accountingWarehouses: [(code: String, line: Int)] = []

    /// Loads `path`; throws the list of problems when there is any.
    static func load(_ path: String) throws(ProblemList) -> ServeConfiguration {
        let text: String
        let data: Data
        do { data = try InputFile.read(path) } catch {
            throw ProblemList([Problem(file: path, line: 0, message: "cannot read the configuration: \(error)")])
        }
        guard let decoded = String(data: data, encoding: .utf8) else {
            throw ProblemList([Problem(file: path, line: 0, message: "the configuration is not UTF-8 text")])
        }
        text = decoded
        return try parse(text, file: path)
    }

    struct ProblemList: Error, CustomStringConvertible {
        let problems: [Problem]
        init(_ problems: [Problem]) { self.problems = problems }
        var description: String { problems.map(\.description).joined(separator: "\n") }
    }

    static func parse(_ text: String, file: String) throws(ProblemList) -> ServeConfiguration {
        var problems: [Problem] = []
        func problem(_ node: Node?, _ message: String) {
            problems.append(Problem(file: file, line: node?.mark?.line ?? 0, message: message))
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ProblemList([Problem(file: file, line: 1, message: "the configuration is empty: it needs at least database and stations")])
            }
            root = node
        } catch let error as ProblemList {
            throw error
        } catch let error as YamlError {
            // The line to fix, and libyaml's words without the file's first lines after them.
            let (message, line) = YAMLErrors.locate(error, in: text)
            throw ProblemList([Problem(file: file, line: line ?? 0, message: "not valid YAML: \(message)")])
        } catch {
            throw ProblemList([Problem(file: file, line: 0, message: "not valid YAML: \(error)")])
        }
        guard let top = root.mapping else {
            throw ProblemList([Problem(file: file, line: root.mark?.line ?? 1, message: "the configuration must be a mapping of database, http, printers, stations")])
        }
        var configuration = ServeConfiguration(file: file, database: "tracemark.sqlite", httpListen: "127.0.0.1:8080")

        /// The string at `key`, or a problem when it is not a scalar.
        func scalar(_ node: Node, _ what: String) -> String? {
            guard let value = node.scalar?.string else {
                problem(node, "\(what) must be a single value")
                return nil
            }
            return value
        }
        /// A whole number in `range`, else nil with the problem said ("is not a number of `what`").
        func count(_ node: Node, _ key: String, _ range: ClosedRange<Int>, _ what: String) -> Int? {
            guard let text = scalar(node, key) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                problem(node, "\(key) \"\(text)\" is not a number of \(what)")
                return nil
            }
            return value
        }

        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "database":
                if let database = scalar(value, "database"), !database.isEmpty {
                    configuration.database = database
                    configuration.databaseLine = value.mark?.line ?? 0
                }
            case "templates":
                configuration.templates = scalar(value, "templates")
            case "http":
                guard let http = value.mapping else { problem(value, "http must be a mapping, e.g. {listen: \"127.0.0.1:8080\"}"); continue }
                for (field, setting) in http {
                    if field.string == "listen" {
                        if let listen = scalar(setting, "http.listen") {
                            configuration.httpListen = listen
                            if let address = configuration.httpAddress {
                                // Said here, with its line: it passed --check and then ended the
                                // service, its stations started, with the resolver's bare words.
                                if let reason = unresolvable(address.host) {
                                    problem(setting, "http.listen \"\(listen)\": the host \(address.host) does not resolve (\(reason)): use an address of this machine, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
                                }
                            } else {
                                problem(setting, "http.listen \"\(listen)\" is not HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080 (behind a reverse proxy for TLS)")
                            }
                        }
                    } else if field.string == "event-clients" {
                        count(setting, "http.event-clients", 1...10_000, "clients from 1 to 10000").map { configuration.eventClients = $0 }
                    } else if field.string == "keepalive" {
                        count(setting, "http.keepalive", 0...3600, "seconds from 0 (off) to 3600").map { configuration.keepalive = $0 }
                    } else if field.string == "idle-timeout" {
                        count(setting, "http.idle-timeout", 1...3600, "seconds from 1 to 3600").map { configuration.idleTimeout = $0 }
                    } else {
                        problem(field, "unknown key http.\(field.string ?? "?"): http takes listen, event-clients, keepalive and idle-timeout")
                    }
                }
            case "printers":
                guard let printers = value.mapping else { problem(value, "printers must be a mapping of names to printers"); continue }
                for (nameNode, entry) in printers {
                    let name = nameNode.string ?? ""
                    guard let fields = entry.mapping else { problem(entry, "printer \(name) must be a mapping with uri, language, dpi"); continue }
                    var uri: String?, language = PrinterLanguage.zpl, dpi = 203
                    for (field, setting) in fields {
                        switch field.string ?? "" {
                        case "uri": uri = scalar(setting, "printers.\(name).uri")
                        case "language":
                            let text = scalar(setting, "printers.\(name).language") ?? ""
                            if let parsed = PrinterLanguage(rawValue: text) { language = parsed } else {
                                problem(setting, "printer \(name): language \(text) is not one of zpl, epl, png")
                            }
                        case "dpi":
                            let text = scalar(setting, "printers.\(name).dpi") ?? ""
                            if let parsed = Int(text), [152, 203, 300, 600].contains(parsed) { dpi = parsed } else {
                                problem(setting, "printer \(name): dpi \(text) is not 152, 203, 300 or 600")
                            }
                        default:
                            problem(field, "unknown key printers.\(name).\(field.string ?? "?"): a printer takes uri, language, dpi")
                        }
                    }
                    guard let uri else { problem(nameNode, "printer \(name) has no uri (tcp://HOST:9100, cups://QUEUE, file:FOLDER)"); continue }
                    let config = PrinterConfig(name: name, uri: uri, language: language, dpi: dpi)
                    do {
                        _ = try PrinterAddress(parsing: uri)
                        configuration.printers.append(PrinterEntry(config: config.absolute(), line: nameNode.mark?.line ?? 0))
                    } catch {
                        problem(nameNode, "printer \(name): \(error.message)")
                    }
                }
            case "stations":
                guard let stations = value.mapping else { problem(value, "stations must be a mapping of names to stations"); continue }
                for (nameNode, entry) in stations {
                    let name = nameNode.string ?? ""
                    guard let fields = entry.mapping else { problem(entry, "station \(name) must be a mapping"); continue }
                    var station = StationEntry(name: name, kind: .lookup, scanners: [], expiryWarningDays: 30, lenient: false,
                                               layout: "us", line: nameNode.mark?.line ?? 0, fields: [:])
                    var kindGiven = false
                    for (field, setting) in fields {
                        let key = field.string ?? ""
                        station.fields[key] = field.mark?.line ?? 0
                        switch key {
                        case "kind":
                            let text = scalar(setting, "stations.\(name).kind") ?? ""
                            if let kind = StationConfiguration.Kind(rawValue: text) {
                                station.kind = kind
                                kindGiven = true
                            } else {
                                problem(setting, "station \(name): kind \(text) is not one of lookup, receiving, production, picking")
                            }
                        case "warehouse": station.warehouse = scalar(setting, "stations.\(name).warehouse")
                        case "printer": station.printer = scalar(setting, "stations.\(name).printer")
                        case "template": station.template = scalar(setting, "stations.\(name).template")
                        case "supplier": station.supplier = scalar(setting, "stations.\(name).supplier")
                        case "layout":
                            station.layout = scalar(setting, "stations.\(name).layout") ?? "us"
                            // Said with the file's other mistakes, not only once they are mended.
                            if KeyboardLayout.named(station.layout) == nil {
                                problem(setting, "station \(name): unknown keyboard layout \(station.layout)")
                            }
                        case "expiry-warning-days":
                            if let days = Int(scalar(setting, "stations.\(name).expiry-warning-days") ?? ""), days >= 0 {
                                station.expiryWarningDays = days
                            } else {
                                problem(setting, "station \(name): expiry-warning-days must be a whole number of days, 0 or more")
                            }
                        case "part-window":
                            // A label's second barcode comes within seconds; an hour is far
                            // beyond any operator, and a scanner left with a part that long would
                            // join a label to a scan of another day.
                            if let seconds = Double(scalar(setting, "stations.\(name).part-window") ?? ""), seconds > 0, seconds <= 3600 {
                                station.partWindow = seconds
                            } else {
                                problem(setting, "station \(name): part-window must be a number of seconds above 0 and at most 3600 (default 60)")
                            }
                        case "lenient":
                            if let flag = setting.scalar.flatMap({ _ in setting.bool }) { station.lenient = flag } else {
                                problem(setting, "station \(name): lenient must be true or false")
                            }
                        case "scanners", "verify-scanners":
                            // An empty list, or the key left empty, is a station without scanners
                            // (the HTTP API feeds it), as leaving the key out is; both were refused
                            // as not a list, or as a device "" (found by a QA run).
                            let empty = setting.scalar.map { ["", "~", "null", "Null", "NULL"].contains($0.string) } ?? false
                            let items = setting.sequence.map(Array.init) ?? (setting.scalar != nil && !empty ? [setting] : [])
                            if setting.sequence == nil, setting.scalar == nil {
                                problem(setting, "station \(name): \(key) must be a list of device addresses")
                            }
                            for item in items {
                                guard let text = scalar(item, "a scanner address") else { continue }
                                do {
                                    let scanner = (try DeviceAddress(parsing: text), text, item.mark?.line ?? 0)
                                    if key == "scanners" { station.scanners.append(scanner) } else { station.verifyScanners.append(scanner) }
                                } catch {
                                    problem(item, "station \(name): scanner \(text): \(error.message)")
                                }
                            }
                        case "pallet-label":
                            guard let settings = setting.mapping else {
                                problem(setting, "station \(name): pallet-label must be a mapping (series, company-prefix, sender, …)")
                                continue
                            }
                            var pallet = PalletLabelEntry(line: field.mark?.line ?? 0)
                            var given = Set<String>()
                            for (palletKey, palletValue) in settings {
                                given.insert(palletKey.string ?? "")
                                let what = "stations.\(name).pallet-label.\(palletKey.string ?? "")"
                                switch palletKey.string ?? "" {
                                case "series": pallet.series = scalar(palletValue, what) ?? ""
                                case "company-prefix":
                                    let prefix = scalar(palletValue, what) ?? ""
                                    if (7...10).contains(prefix.count), prefix.allSatisfy(\.isASCII), prefix.allSatisfy(\.isNumber) {
                                        pallet.companyPrefix = prefix
                                    } else {
                                        problem(palletValue, "station \(name): company-prefix must be a GS1 company prefix of 7 to 10 digits, in quotes")
                                    }
                                case "extension":
                                    if let digit = Int(scalar(palletValue, what) ?? ""), (0...9).contains(digit) { pallet.extensionDigit = digit } else {
                                        problem(palletValue, "station \(name): extension must be an SSCC extension digit, 0 to 9")
                                    }
                                case "sender": pallet.sender = scalar(palletValue, what) ?? ""
                                case "template": pallet.template = scalar(palletValue, what) ?? pallet.template
                                case "mixed-template": pallet.mixedTemplate = scalar(palletValue, what) ?? pallet.mixedTemplate
                                default:
                                    problem(palletKey, "unknown key \(what): pallet-label takes series, company-prefix, extension, sender, template, mixed-template")
                                }
                            }
                            // A key given with a wrong value was said above: not said to be missing too.
                            for (key, value) in [("series", pallet.series), ("company-prefix", pallet.companyPrefix), ("sender", pallet.sender)]
                            where value.isEmpty && !(key == "company-prefix" && given.contains(key)) {
                                problem(field, "station \(name): pallet-label " + (given.contains(key) ? "has an empty \(key)" : "needs \(key)"))
                            }
                            station.palletLabel = pallet
                        case "gs-substitute":
                            if let text = scalar(setting, "stations.\(name).gs-substitute"), (1...8).contains(text.count),
                               text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) {
                                station.gsSubstitute = text
                            } else {
                                problem(setting, "station \(name): gs-substitute is the 1 to 8 printable characters (no spaces) its scanners send for GS, e.g. \"~\" or \"<GS>\"")
                            }
                        case "no-read":
                            if let text = scalar(setting, "stations.\(name).no-read"), !text.isEmpty { station.noRead = text } else {
                                problem(setting, "station \(name): no-read is the text the verify scanner sends when a label does not read, e.g. NOREAD")
                            }
                        case "on-failed-verify":
                            let text = scalar(setting, "stations.\(name).on-failed-verify") ?? ""
                            if let policy = StationConfiguration.FailedVerifyPolicy(rawValue: text) { station.onFailedVerify = policy } else {
                                problem(setting, "station \(name): on-failed-verify \(text) is not one of reprint, void, alarm")
                            }
                        default:
                            problem(field, "unknown key stations.\(name).\(key): a station takes kind, warehouse, scanners, printer, template, supplier, layout, expiry-warning-days, part-window, lenient, gs-substitute, verify-scanners, no-read, on-failed-verify, pallet-label")
                        }
                    }
                    if !kindGiven, station.fields["kind"] == nil {
                        problem(nameNode, "station \(name) has no kind (lookup, receiving, production, picking)")
                    }
                    if station.kind == .receiving {
                        if station.warehouse == nil { problem(nameNode, "receiving station \(name) needs a warehouse to receive into") }
                        if station.supplier == nil { problem(nameNode, "receiving station \(name) needs the supplier of its receipts") }
                    }
                    if station.kind == .production {
                        if station.warehouse == nil { problem(nameNode, "production line \(name) needs the warehouse its units are posted into") }
                        if station.printer == nil { problem(nameNode, "production line \(name) needs a printer and a template for its units' labels") }
                    } else if kindGiven {
                        // (Without a kind given, that is the one problem: the keys may well be right.)
                        for key in ["verify-scanners", "no-read", "on-failed-verify"] {
                            if let line = station.fields[key] {
                                problems.append(Problem(file: file, line: line, message: "station \(name): \(key) is for production lines; this station is \(station.kind.rawValue)"))
                            }
                        }
                    }
                    if let line = station.fields["pallet-label"] {
                        if station.kind != .picking {
                            problems.append(Problem(file: file, line: line, message: "station \(name): pallet-label is for picking stations; this station is \(station.kind.rawValue)"))
                        } else if station.printer == nil {
                            problems.append(Problem(file: file, line: line, message: "station \(name): pallet-label needs the station's printer (and a template)"))
                        }
                    }
                    if station.kind == .picking, station.warehouse == nil {
                        problem(nameNode, "picking station \(name) needs the warehouse it picks from")
                    }
                    // A picking station's printer may print only its pallet labels.
                    if (station.printer == nil) != (station.template == nil), !(station.printer != nil && station.palletLabel != nil) {
                        problem(nameNode, "station \(name) needs both printer and template to print labels, or neither")
                    }
                    configuration.stations.append(station)
                }
            case "accounting":
                // Read by `export sie`; checked here too, so that a typo shows when the service starts.
                _ = AccountingConfiguration.parse(value, problem: problem)
                configuration.accountingWarehouses = AccountingConfiguration.warehouses(value)
            default:
                problem(keyNode, "unknown key \(key): the configuration takes database, http, templates, printers, stations, accounting")
            }
        }
        if configuration.stations.isEmpty, !problems.contains(where: { $0.message.hasPrefix("stations") }) {
            problems.append(Problem(file: file, line: 1, message: "no stations: add at least one under stations"))
        }
        // One reader per scanner, whatever its address says: a serial port by the device its path
        // or link names (options apart), a listening port once on any address, and never the
        // HTTP API's port.
        var seen: [String: Int] = [:]
        var listening: [(host: String, port: UInt16, line: Int)] = []
        let wildcard: Set<String> = ["0.0.0.0", "::", "*", ""]
        func overlap(_ a: String, _ b: String) -> Bool { a == b || wildcard.contains(a) || wildcard.contains(b) }
        for station in configuration.stations {
            for scanner in station.scanners + station.verifyScanners {
                let identity: String
                switch scanner.address {
                case .serial(let serial):
                    identity = "serial:" + URL(fileURLWithPath: serial.path).resolvingSymlinksInPath().standardizedFileURL.path
                case .tcpListen(let host, let port, _, _):
                    identity = scanner.text
                    if let other = listening.first(where: { $0.port == port && overlap($0.host, host) }) {
                        problems.append(Problem(file: file, line: scanner.line,
                                                message: "scanner \(scanner.text) listens on port \(port), as the scanner on line \(other.line) does: give each listening scanner a port of its own"))
                    }
                    if let http = configuration.httpAddress, http.port == Int(port), overlap(http.host, host) {
                        problems.append(Problem(file: file, line: scanner.line,
                                                message: "scanner \(scanner.text) listens on the HTTP API's port (http.listen \(configuration.httpListen)): give it another port"))
                    }
                    listening.append((host, port, scanner.line))
                default:
                    identity = scanner.text
                }
                if let other = seen[identity] {
                    problems.append(Problem(file: file, line: scanner.line,
                                            message: "scanner \(scanner.text) is also given on line \(other): one station reads a scanner"))
                }
                seen[identity] = scanner.line
            }
        }
        guard problems.isEmpty else { throw ProblemList(problems.sorted { $0.line < $1.line }) }
        return configuration
    }

    /// `FILE:LINE` of `database:`, as every other problem of the file is placed (`FILE` alone
    /// when the file does not name one).
    var placeOfDatabase: String { databaseLine > 0 ? "\(file):\(databaseLine)" : file }

    /// The database location with the password from `TRACEMARK_DB_PASSWORD` (or the file named by
    /// `TRACEMARK_DB_PASSWORD_FILE`) put into a `postgres://` URL that has none.
    func databaseLocation(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ProblemList) -> String {
        guard database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") else { return database }
        var password = environment["TRACEMARK_DB_PASSWORD"]
        if password == nil, let path = environment["TRACEMARK_DB_PASSWORD_FILE"] {
            do {
                password = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
            } catch {
                // A configuration problem (78), as the file's are: it exited 1, a registry refusal (a QA run).
                throw ProblemList([Problem(file: file, line: 0, message: "cannot read TRACEMARK_DB_PASSWORD_FILE \(path): \(error.localizedDescription)")])
            }
        }
        guard let password, var components = URLComponents(string: database), components.password == nil else { return database }
        components.password = password
        return components.string ?? database
    }
}

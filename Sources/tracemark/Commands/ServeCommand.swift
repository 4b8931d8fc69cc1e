import ArgumentParser
import Devices
import Foundation
import Labels
import Logging
import Printing
import Registry
import Server
import ServiceLifecycle
import Stations
import Store
import TracemarkSystem
import UnixSignals

/// `tracemark serve`: the stations of a configuration file, their scanners and printers, running
/// unattended until TERM, HUP or Ctrl+C.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the stations of a configuration file: scanners in, registry actions, labels out.",
        discussion: """
            Each station reads its scanners, resolves every scan, acts on the registry in one \
            transaction with its entry in the scan log (station_scans), and queues its label through \
            the spool; one worker per printer sends the labels. A failing scanner or printer never \
            stops the others. TERM, HUP or Ctrl+C drains: scanners stop taking scans, the scan in hand is \
            finished, each printer's job in hand is finished, the devices are given back, exit 0. \
            --check validates the file against the database and says which scanners and printers \
            answer now, then exits: 0 good, 78 a problem (each as FILE:LINE: what).
            """)

    @Option(help: "The configuration file (YAML).") var config: String = "tracemark.yaml"
    @Flag(help: "Validate the configuration and say what can be reached, then exit.") var check = false
    @Flag(help: "Log every scan and what the workers do.") var verbose = false

    func run() async throws {
        let configuration: ServeConfiguration
        let location: String
        do {
            configuration = try ServeConfiguration.load(config)
            // A password file that cannot be read is the configuration's problem (78), as the
            // file's are: it exited 1, a registry refusal (found by a QA run).
            location = try configuration.databaseLocation()
        } catch {
            FileHandle.standardError.write(Data((error.problems.map { "tracemark: \($0)" }.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(78)
        }
        Tracemark.startLogging(verbose ? .info : .notice)
        let logger = Logger(label: "tracemark.serve")
        // An SQLite file that is not there would be made, empty: a typo in `database:` would then
        // read as missing warehouses and printers. A check makes nothing; serve says it made it.
        let made = !SQLStores.isPostgres(location) && !FileManager.default.fileExists(atPath: location)
        if made, check {
            FileHandle.standardError.write(Data("tracemark: \(configuration.placeOfDatabase): database \(location) does not exist (serve would create it, empty): check the path, or run serve once to create it\n".utf8))
            throw ExitCode(78)
        }
        // A PostgreSQL schema without Tracemark's tables likewise: a check does not create them.
        if check, SQLStores.isPostgres(location) {
            let store = try await SQLStores.open(location)
            let plan: MigrationPlan
            do { plan = try await store.plan(Registry.schema) } catch {
                await store.close()
                throw error
            }
            await store.close()
            if plan.applied.isEmpty {
                FileHandle.standardError.write(Data("tracemark: \(configuration.placeOfDatabase): database \(SQLStores.redacted(location)) has no Tracemark tables (serve would create them, empty): check the URL, or run serve once to create them\n".utf8))
                throw ExitCode(78)
            }
        }
        // A file this user cannot write would open to read only (for reports), and every scan
        // would then fail: the service refuses to start on it instead.
        if !made, !SQLStores.isPostgres(location), access(location, W_OK) != 0 {
            throw StoreError(.unavailable, "SQLite database \(location) cannot be written by this user: serve writes every scan; check the file's and folder's permissions")
        }
        let registry = try await Registry.open(location)
        if made { say("database \(location) did not exist: created, empty") }
        do {
            let spool = try await Spool(store: registry.store)
            let (stations, found) = try await prepare(configuration, registry: registry, spool: spool)
            var problems = found
            if made, !problems.isEmpty {
                problems.append(.init(file: configuration.file, line: 0,
                                      message: "the database \(location) did not exist and was created empty: is database: the one meant?"))
            }
            if !problems.isEmpty {
                FileHandle.standardError.write(Data((problems.map { "tracemark: \($0)" }.joined(separator: "\n") + "\n").utf8))
                await registry.close()
                throw ExitCode(78)
            }
            if check {
                try await report(configuration, spool: spool)
                await registry.close()
                return
            }
            // Before any station starts: a taken HTTP address would otherwise end the service
            // after its stations had begun, with the system's bare words.
            if let address = configuration.httpAddress, let problem = Self.listenProblem(address) {
                FileHandle.standardError.write(Data("tracemark: \(configuration.file): http.listen \(configuration.httpListen): \(problem); nothing was started\n".utf8))
                await registry.close()
                throw ExitCode(69)
            }
            try await serve(configuration, stations: stations, registry: registry, spool: spool, logger: logger)
        } catch {
            await registry.close()
            throw error
        }
        await registry.close()
    }

    /// Writes the configuration's printers to the spool and builds the stations, checking what
    /// the file names against the database: every problem, with its line.
    private func prepare(_ configuration: ServeConfiguration, registry: Registry,
                         spool: Spool) async throws -> ([StationConfiguration], [ServeConfiguration.Problem]) {
        var problems: [ServeConfiguration.Problem] = []
        func problem(_ line: Int, _ message: String) {
            problems.append(.init(file: configuration.file, line: line, message: message))
        }
        if !check {
            // A printer the database has otherwise is changed for every station that prints on it
            // (another serve's configuration too): said, not done in silence (found by a QA run,
            // where one machine's file set a shared printer's resolution for all).
            for (name, changes) in try await Self.printerChanges(configuration, spool: spool) {
                Logger(label: "tracemark.serve").notice(
                    "printer \(name) configured anew from \(configuration.file) (\(changes.joined(separator: ", "))): every station and process that prints on it sends with this")
            }
            for printer in configuration.printers { try await spool.addPrinter(printer.config, replace: true) }
        }
        var printerConfigs = Dictionary(try await spool.printers().map { ($0.config.name, $0.config) }) { first, _ in first }
        for printer in configuration.printers { printerConfigs[printer.config.name] = printer.config }
        let printers = Set(printerConfigs.keys)
        let warehouses = Set(try await registry.warehouses().map(\.code))
        let partners = Dictionary(try await registry.partners().map { ($0.code, $0.role) }) { first, _ in first }
        let series = Set(try await registry.allSeries().map(\.code))
        let folder = configuration.templates.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? TemplateLocation.folder
        try await Station.prepare(registry.store)
        for (line, message) in AccountingConfiguration.unknownWarehouses(configuration.accountingWarehouses, known: warehouses) {
            problem(line, message)
        }
        var stations: [StationConfiguration] = []
        for entry in configuration.stations {
            if let warehouse = entry.warehouse, !warehouses.contains(warehouse) {
                problem(entry.fields["warehouse"] ?? entry.line, "station \(entry.name): no warehouse \(warehouse) (known: \(warehouses.sorted().joined(separator: ", ")))")
            }
            if let supplier = entry.supplier {
                if partners[supplier] == nil {
                    problem(entry.fields["supplier"] ?? entry.line, "station \(entry.name): no partner \(supplier) (add it: tracemark partner add \(supplier) --role supplier)")
                } else if partners[supplier] == .customer {
                    // Its receipts would be refused at every TM:DONE, after the labels were printed.
                    problem(entry.fields["supplier"] ?? entry.line,
                            "station \(entry.name): partner \(supplier) is a customer, not a supplier: its receipts would be refused; name a supplier (tracemark partner list)")
                }
            }
            if let printer = entry.printer, !printers.contains(printer) {
                problem(entry.fields["printer"] ?? entry.line, "station \(entry.name): no printer \(printer) (known: \(printers.sorted().joined(separator: ", ")))")
            }
            if let pallet = entry.palletLabel, !series.contains(pallet.series) {
                problem(pallet.line, "station \(entry.name): no number series \(pallet.series) for SSCC serial references (add it: tracemark series add \(pallet.series) --format \"{counter}\")")
            }
            do {
                let station = try Self.stationConfiguration(entry, templates: folder)
                if let why = station.labelFieldProblem() {
                    problem(entry.fields["template"] ?? entry.line, "station \(entry.name): template \(station.template?.name ?? ""): \(why)")
                }
                if let name = entry.printer, let printer = printerConfigs[name] {
                    for template in [station.template, station.palletLabel?.template, station.palletLabel?.mixedTemplate].compactMap({ $0 }) {
                        if let why = Self.cannotPrint(template, on: printer) {
                            problem(entry.fields["template"] ?? entry.line, "station \(entry.name): template \(template.name) cannot print on printer \(name): \(why)")
                        }
                    }
                }
                stations.append(station)
            } catch {
                problem(entry.fields["template"] ?? entry.line, "station \(entry.name): template: \(error)")
                stations.append(StationConfiguration(name: entry.name, kind: entry.kind))
            }
        }
        return (stations, problems)
    }

    /// Why `template` cannot print on `printer` as it is configured, or nil: a raw template of
    /// another language (every scan would then block on its label), or a sample that does not
    /// lay out at the printer's language and resolution (a barcode off the label at 300 dpi).
    static func cannotPrint(_ template: Template, on printer: PrinterConfig) -> String? {
        if let problem = LabelRendering.languageProblem(template, printer.language) ?? LabelRendering.mediaProblem(template, printer) {
            return problem
        }
        if template.rawLanguage != nil { return nil }
        guard template.sample != .object([:]) else { return nil }
        do {
            _ = try LabelRendering.render(template, template.sample, language: printer.language, dpi: printer.dpi, verify: false)
            return nil
        } catch {
            return "its sample at \(printer.dpi) dpi in \(printer.language.rawValue): \(error)"
        }
    }

    /// A station of the file as the station core takes it, with its template loaded from `templates`.
    static func stationConfiguration(_ entry: ServeConfiguration.StationEntry, templates folder: URL) throws -> StationConfiguration {
        func load(_ name: String) throws -> Template { try TemplateLoader().load(contentsOf: TemplateLocation.resolve(name, in: folder)) }
        let template = try entry.template.map(load)
        let pallet = try entry.palletLabel.map {
            StationConfiguration.PalletLabel(series: $0.series, companyPrefix: $0.companyPrefix, extensionDigit: $0.extensionDigit,
                                             sender: $0.sender, template: try load($0.template), mixedTemplate: try load($0.mixedTemplate))
        }
        var configuration = StationConfiguration(name: entry.name, kind: entry.kind, warehouse: entry.warehouse, printer: entry.printer,
                                                 template: template, supplier: entry.supplier,
                                                 expiryWarningDays: entry.expiryWarningDays, lenient: entry.lenient,
                                                 noRead: entry.noRead, onFailedVerify: entry.onFailedVerify, palletLabel: pallet,
                                                 gsSubstitute: entry.gsSubstitute, templateName: entry.template)
        configuration.partWindow = entry.partWindow
        return configuration
    }

    /// `--check`: what answers now.
    private func report(_ configuration: ServeConfiguration, spool: Spool) async throws {
        say("configuration \(configuration.file): good")
        if let address = configuration.httpAddress {
            // In use is what a running service's own address is: told, not refused.
            say("HTTP API \(configuration.httpListen): " + (Self.listenProblem(address).map { "cannot listen now: \($0)" } ?? "can listen"))
        }
        for station in configuration.stations {
            say("station \(station.name) (\(station.kind.rawValue)\(station.warehouse.map { ", \($0)" } ?? ""))")
            for scanner in station.scanners {
                say("  scanner \(scanner.text): \(Self.reachability(scanner.address))")
            }
            for scanner in station.verifyScanners {
                say("  verify scanner \(scanner.text): \(Self.reachability(scanner.address))")
            }
        }
        let used = Set(configuration.stations.compactMap(\.printer))
        for (name, changes) in try await Self.printerChanges(configuration, spool: spool) {
            say("printer \(name): this configuration changes it (\(changes.joined(separator: ", "))) for every station and process that prints on it")
        }
        // Every printer the file names, and those its stations print on from the database: a
        // printer no station uses (one the API prints on) was left out (found by a QA run).
        for name in used.union(configuration.printers.map(\.config.name)).sorted() {
            var config = configuration.printers.first { $0.config.name == name }?.config
            if config == nil { config = try await spool.printer(name) }
            guard let config else { continue }
            let transport = try Transports.make(config)
            let status = await transport.status()
            await transport.close()
            say("printer \(name) \(config.uri): \(status.answered ? (status.conditions.isEmpty ? "ready" : status.message) : "not reachable now: \(status.message)")"
                + (used.contains(name) ? "" : " (no station prints on it)"))
        }
    }

    /// The configuration's printers that the database has otherwise, each with what it changes:
    /// what serve would change for every station and process that prints on them.
    static func printerChanges(_ configuration: ServeConfiguration, spool: Spool) async throws -> [(name: String, changes: [String])] {
        let current = Dictionary(try await spool.printers().map { ($0.config.name, $0.config) }) { first, _ in first }
        return configuration.printers.compactMap { printer in
            guard let before = current[printer.config.name] else { return nil }
            let changes = printer.config.absolute().changes(from: before)
            return changes.isEmpty ? nil : (printer.config.name, changes)
        }
    }

    /// Why the HTTP API could not listen on `address` now (in use, no permission), or nil when it
    /// can or when that cannot be told here (port 0, a host name or an IPv6 address).
    static func listenProblem(_ address: (host: String, port: Int)) -> String? {
        guard address.port != 0, let port = UInt16(exactly: address.port) else { return nil }
        do {
            _ = try TCPListener(host: address.host, port: port)  // closed again at once
            return nil
        } catch where error.code == .invalidAddress {
            return nil
        } catch {
            return error.message
        }
    }

    private static func reachability(_ address: DeviceAddress) -> String {
        switch address {
        case .tcpListen(let host, let port, _, _):
            do {
                _ = try address.makeSource(waitsForDevice: false)
                return "can listen on \(host):\(port)"
            } catch {
                return "cannot listen now: \(error.message)"
            }
        case .serial(let configuration):
            return FileManager.default.fileExists(atPath: configuration.path) ? "present" : "not present now (the station waits for it)"
        case .usb, .tcp, .standardInput:
            return "address good (the station connects and waits for it)"
        }
    }

    private func serve(_ configuration: ServeConfiguration, stations: [StationConfiguration], registry: Registry, spool: Spool,
                       logger: Logger) async throws {
        // Started in this order and stopped in the reverse: at TERM the stations' scanners stop
        // taking scans first, then the HTTP API, and the printers last, printing what the last
        // scans queued. The printers stopped before the scanners, and the HTTP API too: a scan
        // taken after TERM waited for the next start to print, and the station page went dark
        // while the scanners still read (found by a QA run).
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var stationServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var running: [Station] = []
        for (entry, stationConfiguration) in zip(configuration.stations, stations) {
            let station = try await Station(stationConfiguration, registry: registry, spool: spool)
            running.append(station)
            var deviceLogger = Logger(label: "tracemark.devices")
            deviceLogger[metadataKey: "station"] = .string(entry.name)
            let keyboard = KeyboardDecoder.Options(layout: KeyboardLayout.named(entry.layout) ?? .us, groupSeparatorSubstitute: entry.gsSubstitute)
            let addresses = entry.scanners.map(\.address), verifiers = entry.verifyScanners.map(\.address), scannerLogger = deviceLogger
            // One journal line per scan, a scanner's or an HTTP client's.
            await station.observe { outcome, scan in
                let reasons = outcome.reasons.map { "\($0.code): \($0.message)" }.joined(separator: "; ")
                let line = "\(outcome.station) \(scan.device) \(outcome.scan.map { "#\($0) " } ?? "")\(outcome.verdict.rawValue) \(outcome.action)"
                    + (outcome.document.map { " \($0)" } ?? "") + (outcome.jobs.isEmpty ? "" : " job \(outcome.jobs.map(String.init).joined(separator: ","))")
                    + (reasons.isEmpty ? "" : " — \(reasons)") + " → \(outcome.next)"
                say(Terminal.visible(line))
            }
            let service = StationService(station: station, onHeld: { message in
                say(Terminal.visible(message))
            }, verifiers: {
                try verifiers.map { try $0.makeSource(keyboard: keyboard, waitsForDevice: true, logger: scannerLogger) }
            }, scanners: {
                try addresses.map { try $0.makeSource(keyboard: keyboard, waitsForDevice: true, logger: scannerLogger) }
            })
            stationServices.append(.init(service: service))
            say("station \(entry.name) (\(entry.kind.rawValue)) "
                  + (entry.scanners.isEmpty ? "has no scanner (the HTTP API feeds it)" : "reads \(entry.scanners.map(\.text).joined(separator: ", "))")
                  + (entry.verifyScanners.isEmpty ? "" : ", verifies with \(entry.verifyScanners.map(\.text).joined(separator: ", "))")
                  + (entry.printer.map { ", prints on \($0)" } ?? ""))
        }
        // The file's printers and the stations' start at once; printers in the database (added with
        // `tracemark printers` or the HTTP API, now or while running) within seconds.
        let printers = Array(Set(stations.compactMap(\.printer)).union(configuration.printers.map(\.config.name))).sorted()
        var options = PrinterWorker.Options()
        options.pollInterval = .milliseconds(200)
        services.append(.init(service: PrinterWorkers(spool: spool, printers: printers, options: options, discovery: .seconds(2),
                                                      logger: Logger(label: "tracemark.printing"))))
        if let address = configuration.httpAddress {
            let templates = configuration.templates.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? TemplateLocation.folder
            // What stations and printer workers measure goes to the API's /metrics.
            let metrics = APIMetrics()
            metrics.bootstrap()
            var limits = APILimits()
            limits.eventClients = configuration.eventClients
            limits.keepalive = TCPKeepalive(seconds: configuration.keepalive)
            limits.idleTimeout = .seconds(configuration.idleTimeout)
            let environment = APIEnvironment(registry: registry, spool: spool, stations: running, templates: templates,
                                             tokens: try await APITokens(store: registry.store), limits: limits, metrics: metrics)
            services.append(.init(service: APIServer(environment: environment, host: address.host, port: address.port) { port in
                // An IPv6 address in brackets, as a URL writes it (http://[::1]:8080).
                let host = address.host.contains(":") ? "[\(address.host)]" : address.host
                say("HTTP API on http://\(host):\(port)/api/v1 (tokens: tracemark token create)")
            }))
        }
        services += stationServices
        // HUP (the terminal that started it closed) stops it as TERM does, draining the scans in
        // hand: its default action ended the process at once, and a QA run lost 264 scans so.
        say("serving; TERM, HUP or Ctrl+C stops")
        // The group says which service it waits for at debug level: shown with --verbose.
        var groupLogger = logger
        if verbose { groupLogger.logLevel = .debug }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint, .sighup],
                                                           logger: groupLogger)
        // A drain that has not ended in 30 s (a service waiting on something that does not come
        // back) is cancelled: what was in hand is settled at the next start. No bound on the
        // cancellation itself: the group would end the process with a crash.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        groupConfiguration.services.append(.init(service: StopWatchdog(after: .seconds(45), logger: logger)))
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        say("stopped")
    }
}

/// Writes `line` to standard output at once. `print` is fully buffered when standard output is
/// not a terminal (systemd's journal, a log file): the service's own lines ("serving", each
/// station) would come out only at exit, after the scan lines written straight to it.
private func say(_ line: String) {
    Terminal.writeOut((line + "\n").utf8)
}

/// TERM always ends the process: if the drain (30 s) and the cancellation after it have not ended
/// the service group 45 s after the signal (a task that ignores cancellation while the database
/// does not answer), a plain thread, outside the task pool, logs it and exits with status 70.
/// What was in hand is settled at the next start, as after a crash.
struct StopWatchdog: Service, CustomStringConvertible {
    var description: String { "stop watchdog" }

    let after: Duration
    let logger: Logger

    func run() async throws {
        // Returns on TERM (or when the group is cancelled): the service is stopping either way.
        try? await gracefulShutdown()
        let limit = after, logger = logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(limit.components.seconds))
            logger.critical("the service did not stop within \(limit) of TERM; exiting")
            exit(70)
        }
    }
}

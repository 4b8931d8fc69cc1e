import Foundation
import Registry
import SQLKit
import Store
import Testing

/// `tracemark serve` as it runs at a dock: a real process, a configuration file, a scanner on
/// loopback TCP, a folder printer, the database on both backends.
@Suite struct ServeTests {
    /// A configuration for one receiving station on `port` printing into `folder`/labels.
    func configuration(database: String, port: Int, folder: URL) -> String {
        """
        database: "\(database)"
        http: {listen: "127.0.0.1:0"}
        printers:
          dock-label: {uri: "file://\(folder.appendingPathComponent("labels").path)", language: zpl, dpi: 203}
        stations:
          dock-1:
            kind: receiving
            warehouse: MAIN
            scanners: ["tcp-listen://127.0.0.1:\(port)"]
            printer: dock-label
            template: gs1-lot-100x50
            supplier: ACME
        """
    }

    /// A GS1 date `days` from now (the demo's data and the service use the real clock).
    func expiry(in days: Int) -> String { relativeDate(days: days, format: "yyMMdd") }

    /// The ZPL labels a folder printer wrote in `folder`: its files hold one delivery each, which
    /// may be several jobs sent together (when the worker found both queued), so labels are
    /// counted by their `^XA`, not by file.
    func labels(in folder: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.reduce(0) { total, name in
            total + (((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))?.components(separatedBy: "^XA").count ?? 1) - 1)
        }
    }

    func count(_ sql: String, in location: String) async throws -> Int {
        let store = try await SQLStores.open(location)
        defer { Task { await store.close() } }
        return try await store.read { db in
            try await db.raw(SQLQueryString(sql)).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// `serve` started on the demo's registry in `database` with one lookup station reading a TCP
    /// port of its own; its output goes to serve.out.
    func startLookupService(_ database: TestDatabase, verbose: Bool = false) async throws -> (serve: TracemarkProcess, port: Int, output: URL) {
        let port = try LoopbackSocket.freePort()
        let file = try await demoService(database, stations: """
            lookup-1: {kind: lookup, warehouse: MAIN, scanners: ["tcp-listen://127.0.0.1:\(port)"]}
            """)
        let output = database.folder.appendingPathComponent("serve.out")
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path] + (verbose ? ["--verbose"] : []),
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path], output: output)
        return (serve, port, output)
    }

    /// The demo's registry in `database`, and a `serve` configuration on it with `stations` (YAML
    /// lines, one per station) and the HTTP API on any free port.
    func demoService(_ database: TestDatabase, stations: String) async throws -> URL {
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let file = database.folder.appendingPathComponent("serve.yaml")
        let indented = stations.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        try """
            database: "\(database.location)"
            http: {listen: "127.0.0.1:0"}
            stations:
            \(indented)
            """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Scans a network scanner sent before the service was told to stop are handled, not
    /// dropped with its connection: TERM right after 30 scans written on a connection the station
    /// has taken, and all 30 are in the scan log.
    @Test func scansSentBeforeTERMAreHandled() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let (serve, port, _) = try await startLookupService(database)
        defer { serve.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        let scanner = try #require(LoopbackSocket.connection(to: port))
        defer { close(scanner) }
        // The station has taken the connection once its first scan is logged.
        #expect(LoopbackSocket.write(Array("(01)09501101530003(10)DRAIN-0\n".utf8), to: scanner))
        let logged = "SELECT COUNT(*) AS n FROM station_scans WHERE station = 'lookup-1'"
        #expect(try await eventually { try await count(logged, in: database.location) == 1 })
        let burst = (1...30).map { "(01)09501101530003(10)DRAIN-\($0)\n" }.joined()
        #expect(LoopbackSocket.write(Array(burst.utf8), to: scanner))
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.ended.value == 0)
        #expect(try await count(logged, in: database.location) == 31)
    }

    /// A station reading stdin whose input ends (a pipe closed; `< /dev/null` as systemd gives it)
    /// stops nothing: the end used to stop the service with an error, and every other station,
    /// the API and the printers with it. The last line the end cut off is not a scan (a QA run's
    /// receipt took a truncated lot so). HUP drains the scans in hand as TERM does: it ended the
    /// process at once, and a QA run lost 264 scans so.
    @Test func theEndOfStandardInputStopsNothingAndHUPDrains() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let port = try LoopbackSocket.freePort()
        let file = try await demoService(database, stations: """
            lookup-in: {kind: lookup, warehouse: MAIN, scanners: ["stdin"]}
            lookup-tcp: {kind: lookup, warehouse: MAIN, scanners: ["tcp-listen://127.0.0.1:\(port)"]}
            """)
        let input = Pipe()
        let output = database.folder.appendingPathComponent("serve.out")
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path], environment: ["TRACEMARK_TEMPLATES": Repository.templates.path],
                                                output: output, input: input.fileHandleForReading)
        defer { serve.killIfRunning() }
        let said = { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        try input.fileHandleForWriting.write(contentsOf: Data("(01)09501101530003(10)IN-1\n(01)0950110153".utf8))
        try input.fileHandleForWriting.close()
        // Up once the other station's scanner takes a connection (an empty one is no scan).
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        let fromStdin = "SELECT COUNT(*) AS n FROM station_scans WHERE station = 'lookup-in'"
        #expect(try await eventually { try await count(fromStdin, in: database.location) == 1 })
        #expect(try await eventually { said().contains("the input ended in the middle of a scan (14 bytes with no end of line): it was not read; scan it again") },
                "\(said())")
        // Still serving: the other station takes its scans, and a burst is drained on HUP.
        let scanner = try #require(LoopbackSocket.connection(to: port))
        defer { close(scanner) }
        #expect(LoopbackSocket.write(Array("(01)09501101530003(10)TCP-0\n".utf8), to: scanner))
        let fromTCP = "SELECT COUNT(*) AS n FROM station_scans WHERE station = 'lookup-tcp'"
        #expect(try await eventually { try await count(fromTCP, in: database.location) == 1 }, "\(said())")
        #expect(serve.process.isRunning, "\(said())")
        let burst = (1...30).map { "(01)09501101530003(10)TCP-\($0)\n" }.joined()
        #expect(LoopbackSocket.write(Array(burst.utf8), to: scanner))
        kill(serve.process.processIdentifier, SIGHUP)
        #expect(await serve.ended.value == 0, "\(said())")
        #expect(try await count(fromTCP, in: database.location) == 31)
        #expect(try await count(fromStdin, in: database.location) == 1)
    }

    @Test(arguments: Backend.available)
    func aReceivingStationTakesScansOverTCPPostsOnDoneAndDrainsOnTERM(backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        defer { Task { await database.drop() } }
        let demo = try await Command.tracemark(["demo", "--db", database.location])
        #expect(demo.status == 0, "\(demo.stderr)")
        let port = try LoopbackSocket.freePort()
        let file = database.folder.appendingPathComponent("serve.yaml")
        try configuration(database: database.location, port: port, folder: database.folder).write(to: file, atomically: true, encoding: .utf8)
        let check = try await Command.tracemark(["serve", "--check", "--config", file.path],
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("can listen on 127.0.0.1:\(port)"))

        let output = database.folder.appendingPathComponent("serve.out")
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path],
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path], output: output)
        defer { serve.killIfRunning() }
        // The station is up once its scanner accepts a connection (an empty one is no scan).
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        // What it says goes out as it says it, into a file as into the journal: not at exit.
        let said = { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        #expect(said().contains("station dock-1 (receiving) reads tcp-listen://127.0.0.1:\(port)"), "\(said())")
        #expect(said().contains("serving; TERM, HUP or Ctrl+C stops"), "\(said())")
        let scans = "(01)09501101530003(17)\(expiry(in: 300))(10)DOCK-A(30)12\nTM:QTY:3\n(01)09501101530003(17)\(expiry(in: 300))(10)DOCK-B\n"
        #expect(LoopbackSocket.send(Array(scans.utf8), to: port))
        func logged() async throws -> Int { try await count("SELECT COUNT(*) AS n FROM station_scans WHERE station = 'dock-1'", in: database.location) }
        #expect(try await eventually { try await logged() == 3 })
        // A label whose lot is in its second barcode, each scan over a connection of its own (a
        // handheld that connects for each scan comes from another port each time): read as one.
        #expect(LoopbackSocket.send(Array("(01)09501101530003(17)\(expiry(in: 300))\n".utf8), to: port))
        #expect(try await eventually { try await logged() == 4 })
        #expect(LoopbackSocket.send(Array("(10)DOCK-LONG-LOT-000001(30)5\n".utf8), to: port))
        #expect(try await eventually { try await logged() == 5 })
        #expect(LoopbackSocket.send(Array("TM:DONE\n".utf8), to: port))
        let posted = try await eventually { try await count("SELECT COUNT(*) AS n FROM station_tasks WHERE state = 'posted'", in: database.location) == 1 }
        #expect(posted)
        let labels = database.folder.appendingPathComponent("labels")
        #expect(try await eventually { self.labels(in: labels) == 3 })
        let registry = try await Registry.open(database.location)
        let stock = try await registry.stock(product: "PAINT-5L", warehouse: "MAIN").filter { $0.number?.hasPrefix("DOCK-") == true }
        await registry.close()
        #expect(stock.map(\.quantity).sorted() == [3, 5, 12])
        #expect(try await count("SELECT COUNT(*) AS n FROM station_scans WHERE station = 'dock-1' AND verdict = 'ok'", in: database.location) == 5)

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.ended.value == 0)
        // In the order it happened: the service's lines, each scan's outcome, then its stop.
        let lines = said().split(separator: "\n").map(String.init)
        let serving = lines.firstIndex { $0.hasPrefix("serving;") }, receipt = lines.firstIndex { $0.contains("receipt-posted") }
        let stopped = lines.lastIndex { $0 == "stopped" }
        #expect(serving != nil && receipt != nil && stopped != nil && serving! < receipt! && receipt! < stopped!, "\(said())")

        // A configuration that would change the printer for everyone says so (found by a QA run,
        // where another machine's file set a shared printer's resolution in silence).
        #expect(try await Command.tracemark(["serve", "--check", "--config", file.path],
                                            environment: ["TRACEMARK_TEMPLATES": Repository.templates.path]).stdout.contains("changes it") == false)
        let other = database.folder.appendingPathComponent("other.yaml")
        try configuration(database: database.location, port: port, folder: database.folder).replacingOccurrences(of: "dpi: 203", with: "dpi: 300")
            .write(to: other, atomically: true, encoding: .utf8)
        let changed = try await Command.tracemark(["serve", "--check", "--config", other.path],
                                                  environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        #expect(changed.stdout.contains("printer dock-label: this configuration changes it (203 → 300 dpi) for every station and process that prints on it"),
                "\(changed.stdout)")
    }

    /// SIGKILL in the middle of a stream of scans: each scan acted fully or not at all, and the
    /// scan log says which: every logged line has its receipt line and its label, and nothing
    /// else was written.
    @Test(arguments: Backend.available)
    func killedMidStreamEachScanActedFullyOrNotAtAll(backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let port = try LoopbackSocket.freePort()
        let file = database.folder.appendingPathComponent("serve.yaml")
        try configuration(database: database.location, port: port, folder: database.folder).write(to: file, atomically: true, encoding: .utf8)
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path],
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        defer { serve.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        let stream = (1...1000).map { "(01)09501101530003(17)\(expiry(in: 300))(10)K\($0)(30)1\n" }.joined()
        #expect(LoopbackSocket.send(Array(stream.utf8), to: port))
        _ = try await eventually(every: .milliseconds(5)) {
            try await count("SELECT COUNT(*) AS n FROM station_scans", in: database.location) >= 20
        }
        kill(serve.process.processIdentifier, SIGKILL)
        _ = await serve.ended.value

        let logged = try await count("SELECT COUNT(*) AS n FROM station_scans WHERE action = 'added-to-receipt'", in: database.location)
        let lines = try await count("SELECT COUNT(*) AS n FROM station_task_lines", in: database.location)
        let jobs = try await count("SELECT COUNT(*) AS n FROM print_jobs WHERE reason = 'received at station dock-1'", in: database.location)
        let unmatched = try await count("""
            SELECT COUNT(*) AS n FROM station_task_lines l
            WHERE NOT EXISTS (SELECT 1 FROM print_jobs j WHERE j.id = l.job_id)
            """, in: database.location)
        #expect(logged >= 20)
        #expect(lines == logged)
        #expect(jobs == logged)
        #expect(unmatched == 0)
    }

    /// `serve --check` names every problem of the file with its line, and exits 78.
    @Test func checkReportsEveryProblemWithItsLine() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let file = database.folder.appendingPathComponent("bad.yaml")
        try """
            database: "\(database.location)"
            printers:
              dock-label: {uri: "file:labels", language: zpl}
            stations:
              dock-1:
                kind: receiving
                warehouse: NOWHERE
                scanners: ["tcp-listen://127.0.0.1:7001", "usb:nothex"]
                printer: dock-label
                template: gs1-lot-100x50
                supplier: ACME
                colour: blue
              dock-2:
                kind: lookup
                printer: gone
                gs-substitute: "G S"
              dock-3:
                kind: lookup
                scanners: ["tcp-listen://0.0.0.0:7001", "tcp-listen://127.0.0.1:9999"]
            http: {listen: "127.0.0.1:9999", keepalive: soon}
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try await Command.tracemark(["serve", "--check", "--config", file.path],
                                              environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        #expect(run.status == 78)
        #expect(run.stderr.contains("bad.yaml:8: station dock-1: scanner usb:nothex"), "\(run.stderr)")
        #expect(run.stderr.contains("bad.yaml:12: unknown key stations.dock-1.colour"), "\(run.stderr)")
        #expect(run.stderr.contains("bad.yaml:13: station dock-2 needs both printer and template"), "\(run.stderr)")
        #expect(run.stderr.contains("bad.yaml:16: station dock-2: gs-substitute is the 1 to 8 printable characters"), "\(run.stderr)")
        #expect(run.stderr.contains("bad.yaml:20: http.keepalive \"soon\" is not a number of seconds from 0 (off) to 3600"), "\(run.stderr)")
        // A listening port once, on any address, and never the HTTP API's.
        #expect(run.stderr.contains("bad.yaml:19: scanner tcp-listen://0.0.0.0:7001 listens on port 7001, as the scanner on line 8 does"), "\(run.stderr)")
        #expect(run.stderr.contains("bad.yaml:19: scanner tcp-listen://127.0.0.1:9999 listens on the HTTP API's port"), "\(run.stderr)")

        // A pallet label's wrong company prefix is said once (not as missing too); an empty series
        // as empty; an unknown keyboard layout beside them.
        let pallet = database.folder.appendingPathComponent("pallet.yaml")
        try """
            database: "\(database.location)"
            printers:
              dock-label: {uri: "file:labels", language: zpl}
            stations:
              pick-1:
                kind: picking
                warehouse: MAIN
                printer: dock-label
                layout: xx
                pallet-label: {series: "", company-prefix: "12", template: pallet-sscc-100x150, mixed-template: pallet-sscc-mixed-100x150}
                part-window: a minute
            """.write(to: pallet, atomically: true, encoding: .utf8)
        let palletRun = try await Command.tracemark(["serve", "--check", "--config", pallet.path],
                                                    environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        #expect(palletRun.status == 78)
        for (said, expected) in [("company-prefix must be a GS1 company prefix", true), ("pallet-label needs company-prefix", false),
                                 ("pallet-label has an empty series", true), ("pallet-label needs sender", true),
                                 // With the file's other mistakes, not only once they are mended.
                                 ("pallet.yaml:9: station pick-1: unknown keyboard layout xx", true),
                                 ("pallet.yaml:11: station pick-1: part-window must be a number of seconds above 0 and at most 3600", true)] {
            #expect(palletRun.stderr.contains(said) == expected, "\(said): \(palletRun.stderr)")
        }

        // With the file's syntax right, the database is consulted: the warehouse does not exist.
        let fixed = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: ", \"usb:nothex\"", with: "").replacingOccurrences(of: "    colour: blue\n", with: "")
            .replacingOccurrences(of: "\n    printer: gone", with: "").replacingOccurrences(of: "\n    gs-substitute: \"G S\"", with: "")
            .replacingOccurrences(of: "  dock-3:\n    kind: lookup\n    scanners: [\"tcp-listen://0.0.0.0:7001\", \"tcp-listen://127.0.0.1:9999\"]\n", with: "")
            .replacingOccurrences(of: "127.0.0.1:9999", with: "127.0.0.1:0")
            .replacingOccurrences(of: "keepalive: soon", with: "keepalive: 0").replacingOccurrences(of: "supplier: ACME", with: "supplier: BUILDCO")
            // A raw EPL template for a ZPL printer: every scan's label would be refused.
            .replacingOccurrences(of: "http: {listen", with: "  dock-4:\n    kind: lookup\n    printer: dock-label\n    template: raw/lot-label.epl\nhttp: {listen")
            // A receiving station with the pallet label: no scan there has a sender or an SSCC.
            .replacingOccurrences(of: "http: {listen", with: "  dock-5:\n    kind: receiving\n    warehouse: MAIN\n    supplier: ACME\n    printer: dock-label\n    template: pallet-sscc-100x150\nhttp: {listen")
            // A stock account for a warehouse there is not (found by a QA run: booked on the default one).
            + "\naccounting:\n  accounts: {warehouses: {MAINN: 1461}}\n"
        try fixed.write(to: file, atomically: true, encoding: .utf8)
        let again = try await Command.tracemark(["serve", "--check", "--config", file.path],
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        #expect(again.status == 78)
        #expect(again.stderr.contains("bad.yaml:7: station dock-1: no warehouse NOWHERE"), "\(again.stderr)")
        #expect(again.stderr.contains("bad.yaml:11: station dock-1: partner BUILDCO is a customer, not a supplier: its receipts would be refused"),
                "\(again.stderr)")
        #expect(again.stderr.contains("bad.yaml:17: station dock-4: template "), "\(again.stderr)")
        #expect(again.stderr.contains("cannot print on printer dock-label: lot-label is a raw EPL template: it prints only on an EPL printer, not ZPL"), "\(again.stderr)")
        #expect(again.stderr.contains("station dock-5: template Pallet label SSCC 100 x 150 mm: it prints partner.sender (text 'sender', line 7), pallet.sscc")
                && again.stderr.contains("which a receiving station's label never has"), "\(again.stderr)")
        #expect(again.stderr.contains("accounting.accounts.warehouses: no warehouse MAINN (known: "), "\(again.stderr)")
    }

    /// What would half-start the service, or start it on the wrong database, is said at once:
    /// an SQLite file that is not there (a check does not create it), an HTTP address another
    /// process listens on (refused before any station starts), a key given twice (its second
    /// line), a `lenient` that is not true or false.
    @Test func checkAndServeRefuseWhatWouldStartTheWrongService() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let environment = ["TRACEMARK_TEMPLATES": Repository.templates.path]
        let file = database.folder.appendingPathComponent("serve.yaml")
        func write(_ text: String) throws { try text.write(to: file, atomically: true, encoding: .utf8) }
        let typo = database.folder.appendingPathComponent("typo.sqlite").path
        try write("database: \"\(typo)\"\nstations:\n  look-1: {kind: lookup, warehouse: MAIN}\n")
        let missing = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(missing.status == 78 && missing.stderr.contains("serve.yaml:1: database \(typo) does not exist (serve would create it, empty): check the path"),
                "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo))
        // A PostgreSQL schema without Tracemark's tables likewise, and the check creates none.
        if Backend.available.contains(.postgres) {
            let empty = try await TestDatabase.make(.postgres)
            defer { Task { await empty.drop() } }
            try write("database: \"\(empty.location)\"\nstations:\n  look-1: {kind: lookup, warehouse: MAIN}\n")
            let bare = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
            #expect(bare.status == 78 && bare.stderr.contains("has no Tracemark tables (serve would create them, empty)"), "\(bare.stderr)")
            let plan = try await Command.tracemark(["migrate", "--check", "--db", empty.location])
            #expect(plan.stdout.contains("registry: no tables yet"), "\(plan.stdout)")
        }
        // A password file that cannot be read is the configuration's problem (it exited 1).
        try write("database: \"postgres://tracemark@127.0.0.1:1/x\"\nstations:\n  look-1: {kind: lookup, warehouse: MAIN}\n")
        var unreadable = environment
        unreadable["TRACEMARK_DB_PASSWORD_FILE"] = database.folder.appendingPathComponent("no-such-password").path
        let password = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: unreadable)
        #expect(password.status == 78 && password.stderr.contains("cannot read TRACEMARK_DB_PASSWORD_FILE"), "\(password.stderr)")

        let taken = try LoopbackSocket.bind(listening: 4)
        defer { close(taken.descriptor) }
        try write("database: \"\(database.location)\"\nhttp: {listen: \"127.0.0.1:\(taken.port)\"}\nstations:\n  look-1: {kind: lookup, warehouse: MAIN}\n")
        let busy = try await Command.tracemark(["serve", "--config", file.path], environment: environment)
        #expect(busy.status == 69 && busy.stderr.contains("http.listen 127.0.0.1:\(taken.port): cannot listen on 127.0.0.1:\(taken.port)")
                && busy.stderr.contains("nothing was started") && !busy.stdout.contains("serving"), "\(busy.stdout) \(busy.stderr)")
        let told = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(told.status == 0 && told.stdout.contains("HTTP API 127.0.0.1:\(taken.port): cannot listen now"), "\(told.stdout) \(told.stderr)")

        try write("database: \"\(database.location)\"\nstations:\n  look-1: {kind: lookup, warehouse: MAIN}\n  look-1: {kind: lookup, warehouse: MAIN}\n")
        let twice = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(twice.status == 78 && twice.stderr.contains("serve.yaml:4: not valid YAML: the key look-1 is given twice, here and on line 3"),
                "\(twice.stderr)")
        // A tab where YAML indents is said as a tab, not in libyaml's words alone (a QA run).
        try write("database: \"\(database.location)\"\nstations:\n\tlook-1: {kind: lookup, warehouse: MAIN}\n")
        let tab = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(tab.status == 78 && tab.stderr.contains("serve.yaml:3: not valid YAML: a tab character at column 1: YAML indents with spaces only"),
                "\(tab.stderr)")
        try write("database: \"\(database.location)\"\nstations:\n  look-1: {kind: lookup, warehouse: MAIN, lenient: maybe}\n")
        let lenient = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(lenient.status == 78 && lenient.stderr.contains("serve.yaml:3: station look-1: lenient must be true or false"), "\(lenient.stderr)")

        // An HTTP host that does not resolve, or a colon too many, is the file's mistake, with its
        // line (78): it passed the check and then ended the service, its stations started, with
        // the resolver's bare words (found by a QA run).
        for (listen, said) in [("nosuchhost.invalid:0", "serve.yaml:2: http.listen \"nosuchhost.invalid:0\": the host nosuchhost.invalid does not resolve"),
                               ("127.0.0.1:8080:1", "serve.yaml:2: http.listen \"127.0.0.1:8080:1\" is not HOST:PORT")] {
            try write("database: \"\(database.location)\"\nhttp: {listen: \"\(listen)\"}\nstations:\n  look-1: {kind: lookup, warehouse: MAIN}\n")
            for command in [["serve", "--check"], ["serve"]] {
                let run = try await Command.tracemark(command + ["--config", file.path], environment: environment)
                #expect(run.status == 78 && run.stderr.contains(said) && !run.stdout.contains("serving"), "\(command): \(run.stdout) \(run.stderr)")
            }
        }
        // A station without scanners, said as an empty list or an empty key as well as by leaving
        // it out: both were refused, as not a list or as a device "" (a QA run).
        try write("database: \"\(database.location)\"\nhttp: {listen: \"[::1]:0\"}\nstations:\n  look-1: {kind: lookup, warehouse: MAIN, scanners: []}\n  look-2:\n    kind: lookup\n    warehouse: MAIN\n    scanners:\n")
        let none = try await Command.tracemark(["serve", "--check", "--config", file.path], environment: environment)
        #expect(none.status == 0, "\(none.stdout) \(none.stderr)")
    }
}

extension ServeTests {
    /// Two `serve` processes on one database configured with the same station (each with its own
    /// scanner address): one runs it, the other says which process holds it and stands by, and
    /// takes it over when the first stops. The labels of both print once each.
    @Test(arguments: Backend.available)
    func aStationRunsInOneProcessAndTheOtherStandsBy(backend: Backend) async throws {
        let database = try await TestDatabase.make(backend)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let environment = ["TRACEMARK_TEMPLATES": Repository.templates.path]
        let first = try LoopbackSocket.freePort(), second = try LoopbackSocket.freePort()
        let fileA = database.folder.appendingPathComponent("a.yaml"), fileB = database.folder.appendingPathComponent("b.yaml")
        try configuration(database: database.location, port: first, folder: database.folder).write(to: fileA, atomically: true, encoding: .utf8)
        try configuration(database: database.location, port: second, folder: database.folder).write(to: fileB, atomically: true, encoding: .utf8)
        let a = try TracemarkProcess.launch(["serve", "--config", fileA.path], environment: environment)
        defer { a.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: first) })
        let outputB = database.folder.appendingPathComponent("b.out")
        let b = try TracemarkProcess.launch(["serve", "--config", fileB.path], environment: environment, output: outputB)
        defer { b.killIfRunning() }
        let standing = try await eventually {
            ((try? String(contentsOf: outputB, encoding: .utf8)) ?? "").contains("station dock-1 is run by another process: pid \(a.process.processIdentifier)")
        }
        #expect(standing)
        #expect(!LoopbackSocket.send([], to: second))
        // Signing in at the station goes to the process that runs it: a standby keeps no
        // throttle of its own for it (five more free guesses per process).
        var portB: String?
        #expect(try await eventually {
            portB = ((try? String(contentsOf: outputB, encoding: .utf8)) ?? "").firstMatch(of: /http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/).map { String($0.1) }
            return portB != nil
        })
        let port = try #require(portB)
        let signIn = try await Command.run("curl", ["-s", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
                                                    "-d", #"{"station":"dock-1","pin":"0000"}"#, "http://127.0.0.1:\(port)/api/v1/sessions"])
        #expect(signIn.stdout.hasSuffix("\n409") && signIn.stdout.contains("station-elsewhere"), "\(signIn.stdout)")
        // The answer names the process that runs the station.
        #expect(signIn.stdout.contains("(pid \(a.process.processIdentifier) on "), "\(signIn.stdout)")
        #expect(LoopbackSocket.send(Array("(01)09501101530003(17)\(expiry(in: 300))(10)TWO-A\n".utf8), to: first))
        #expect(try await eventually { try await count("SELECT COUNT(*) AS n FROM station_task_lines", in: database.location) == 1 })

        kill(a.process.processIdentifier, SIGTERM)
        #expect(await a.ended.value == 0)
        #expect(try await eventually { LoopbackSocket.send([], to: second) })
        let takenOver = ((try? String(contentsOf: outputB, encoding: .utf8)) ?? "")
        #expect(takenOver.contains("station dock-1 taken over from pid \(a.process.processIdentifier)"), "\(takenOver)")
        #expect(LoopbackSocket.send(Array("(01)09501101530003(17)\(expiry(in: 300))(10)TWO-B\nTM:DONE\n".utf8), to: second))
        #expect(try await eventually { try await count("SELECT COUNT(*) AS n FROM station_tasks WHERE state = 'posted'", in: database.location) == 1 })
        let labels = database.folder.appendingPathComponent("labels")
        #expect(try await eventually {
            try await count("SELECT COUNT(*) AS n FROM print_jobs WHERE state = 'done' AND reason = 'received at station dock-1'", in: database.location) == 2
        })
        #expect(self.labels(in: labels) == 2)
        kill(b.process.processIdentifier, SIGTERM)
        #expect(await b.ended.value == 0)
    }
}

extension ServeTests {
    /// The database server goes from the network under a running service: its address still
    /// takes connections but never answers (a listener that never accepts, as a port another
    /// program took over). The service rides it out (workers and listeners retry), and TERM still
    /// stops it within its drain: steps that only start work are cancelled, and the drain's last
    /// writes do not wait out another connect timeout each.
    @Test(.enabled(if: Backend.postgresURL != nil, "needs the PostgreSQL server binaries"))
    func termStopsTheServiceWhileTheDatabaseIsDown() async throws {
        let server = try await PrivatePostgres.start()
        var stopped = false
        defer { if !stopped { Task { await server.stop() } } }
        #expect(try await Command.tracemark(["demo", "--db", server.url]).status == 0)
        let folder = server.folder.deletingLastPathComponent()
        let port = try LoopbackSocket.freePort()
        let file = folder.appendingPathComponent("serve.yaml")
        try configuration(database: server.url, port: port, folder: folder).write(to: file, atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("serve.log")
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path, "--verbose"],
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path], output: log)
        defer { serve.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: port) })

        await server.stop()
        stopped = true
        let databasePort = try #require(URLComponents(string: server.url)?.port)
        // Taken by another listener already (as in a busy run), the port is as silent.
        let silent = try? SilentListener(port: databasePort)
        defer { withExtendedLifetime(silent) {} }
        // A scan while the database is away is refused, and the station goes on reading.
        #expect(LoopbackSocket.send(Array("(01)09501101530003(17)\(expiry(in: 300))(10)AWAY-1\n".utf8), to: port))
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        #expect(serve.isRunning)
        let status = try await serve.stop()
        let said = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { !$0.hasPrefix(" ") }
            .suffix(60).joined(separator: "\n")
        #expect(status == 0, "serve did not stop on TERM with its database down; its log ends:\n\(said)")
        #expect(!said.contains("Graceful shutdown took longer"), "the drain waited for a service:\n\(said)")
    }

    /// A look-up station fed by a serial scanner (a real pseudo-terminal): each scan is resolved
    /// and logged with its device, and nothing else is written.
    @Test func aSerialScannerFeedsALookUpStation() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let terminal = try PseudoTerminal()
        let file = database.folder.appendingPathComponent("serial.yaml")
        try """
            database: "\(database.location)"
            http: {listen: "127.0.0.1:0"}
            stations:
              look-1:
                kind: lookup
                warehouse: MAIN
                scanners: ["serial:\(terminal.slavePath)?baud=9600&end=cr"]
            """.write(to: file, atomically: true, encoding: .utf8)
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path])
        defer { serve.killIfRunning() }
        // The station has the port once it has made it raw.
        #expect(try await eventually { terminal.isRaw })
        terminal.write("(01)09501101530003(10)NOT-THERE\r")
        #expect(try await eventually {
            try await count("SELECT COUNT(*) AS n FROM station_scans WHERE device = 'serial:\(terminal.slavePath)' AND verdict = 'block'",
                            in: database.location) == 1
        })
        #expect(try await count("SELECT COUNT(*) AS n FROM station_tasks", in: database.location) == 0)
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.ended.value == 0)
    }

    /// TERM stops the services in the order that loses nothing: the stations first (no scan is
    /// taken that nothing would handle), then the HTTP API (its requests may still queue labels),
    /// and the printers last (they send what the others queued). Read from ServiceLifecycle's
    /// own lines under --verbose, which name each service as it is told to stop; it was checked by
    /// hand only.
    @Test func TERMStopsTheStationsThenTheAPIThenThePrinters() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let (serve, port, output) = try await startLookupService(database, verbose: true)
        defer { serve.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.ended.value == 0)
        let told = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("Triggering graceful shutdown for service") }
            .compactMap { line in line.range(of: "sl-service=").map { String(line[$0.upperBound...].prefix { $0 != "[" }).trimmingCharacters(in: .whitespaces) } }
        let order = ["station lookup-1", "HTTP API", "printer workers"].map { name in told.firstIndex { $0.hasPrefix(name) } }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { ($0 ?? 0) < ($1 ?? 0) }, "\(told)")
    }
}

extension ServeTests {
    /// Expired goods scanned at a receiving station wait for a supervisor: `tracemark station
    /// confirm` gives the reason, and the receipt then posts them quarantined.
    @Test func aSupervisorConfirmsExpiredGoodsFromTheCommandLine() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let port = try LoopbackSocket.freePort()
        let file = database.folder.appendingPathComponent("serve.yaml")
        try configuration(database: database.location, port: port, folder: database.folder).write(to: file, atomically: true, encoding: .utf8)
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path], environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        defer { serve.killIfRunning() }
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        #expect(LoopbackSocket.send(Array("(01)09501101530003(17)\(expiry(in: -5))(10)OLD-7(30)3\nTM:DONE\n".utf8), to: port))
        #expect(try await eventually {
            try await count("SELECT COUNT(*) AS n FROM station_scans WHERE reasons LIKE '%confirmation-needed%'", in: database.location) == 1
        })
        let scan = try await count("SELECT id AS n FROM station_scans WHERE reasons LIKE '%\"expired\"%'", in: database.location)
        // Where badges are registered, a supervisor's confirms, as TM:OK and the API require
        // (a QA run confirmed as an operator, and as a name nobody has).
        #expect(try await Command.tracemark(["operator", "add", "OP-1", "--name", "Olle", "--role", "operator", "--db", database.location]).status == 0)
        for (user, refusal) in [("OP-1", "Olle (OP-1) is an operator: a supervisor confirms"), ("eva", "no badge eva is registered")] {
            let refused = try await Command.tracemark(["station", "confirm", "dock-1", String(scan), "--reason", "returned for destruction",
                                                       "--user", user, "--db", database.location])
            #expect(refused.status == 1 && refused.stderr.contains(refusal), "\(refused.stderr)")
        }
        #expect(try await Command.tracemark(["operator", "add", "SUP-1", "--name", "Eva", "--role", "supervisor", "--db", database.location]).status == 0)
        // The scan as serve prints it, #N.
        let confirmed = try await Command.tracemark(["station", "confirm", "dock-1", "#\(scan)", "--reason", "returned for destruction",
                                                     "--user", "SUP-1", "--db", database.location])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(confirmed.stdout.contains("expired confirmed by Eva (SUP-1): returned for destruction"), "\(confirmed.stdout)")
        #expect(LoopbackSocket.send(Array("TM:DONE\n".utf8), to: port))
        #expect(try await eventually { try await count("SELECT COUNT(*) AS n FROM station_tasks WHERE state = 'posted'", in: database.location) == 1 })
        let lot = try await Command.tracemark(["lot", "show", "PAINT-5L", "OLD-7", "--db", database.location])
        #expect(lot.stdout.contains("quarantined"), "\(lot.stdout)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(await serve.ended.value == 0)
    }
}

extension ServeTests {
    /// A service whose parent dies (a test run killed midway, a supervisor that crashed) stops by
    /// itself when it was started with `TRACEMARK_EXIT_WITH_PARENT`, and stops as TERM stops it:
    /// drained, saying so. Here the parent is a shell, killed with SIGKILL.
    @Test func aServiceStartedToEndWithItsParentStopsWhenTheParentDies() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        #expect(try await Command.tracemark(["demo", "--db", database.location]).status == 0)
        let file = database.folder.appendingPathComponent("orphan.yaml")
        let port = try LoopbackSocket.freePort()
        try """
            database: "\(database.location)"
            http: {listen: "127.0.0.1:0"}
            stations:
              look-1: {kind: lookup, warehouse: MAIN, scanners: ["tcp-listen://127.0.0.1:\(port)"]}
            """.write(to: file, atomically: true, encoding: .utf8)
        let log = database.folder.appendingPathComponent("orphan.log")
        // The shell starts the service as its own child, naming itself as the parent to outlive,
        // then waits for its input to end: if this test's process dies, the shell ends too.
        let said = Pipe(), input = Pipe()
        let shell = try ChildProcess("/bin/sh", ["-c", "TRACEMARK_EXIT_WITH_PARENT=$$ \"$1\" serve --config \"$2\" > \"$3\" 2>&1 < /dev/null & echo $!; read line",
                                                 "sh", Repository.tracemark.path, file.path, log.path],
                                     stdin: .pipe(input), stdout: .pipe(said))
        defer { shell.send(SIGKILL) }
        let line = String(decoding: said.fileHandleForReading.availableData, as: UTF8.self)
        let service = try #require(pid_t(line.trimmingCharacters(in: .whitespacesAndNewlines)), "the shell said \(line)")
        defer { kill(service, SIGKILL) }
        func logged(_ text: String) -> Bool { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(text) }
        #expect(try await eventually { LoopbackSocket.send([], to: port) })
        // Still running while its parent lives.
        #expect(Self.isRunning(service))

        shell.send(SIGKILL)
        #expect(try await eventually { !Self.isRunning(service) }, "the service outlived its parent")
        #expect(logged("stopped"), "the service did not stop as TERM stops it")
    }

    /// Whether `pid` is a process that has not ended (a zombie nobody reaped has).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}

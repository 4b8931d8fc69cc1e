import Foundation
import Testing

/// `tracemark print`, `jobs` and `printers` as an operator runs them: a real process, a real
/// database, a folder printer and a printer that is off.
@Suite struct PrintCommandTests {
    let templates = TestCUPS.repository.appendingPathComponent("Templates")

    func tracemark(_ arguments: String...) async throws -> Tools.Run {
        try await Tools.run(Tools.tracemark.path, arguments)
    }

    @Test(arguments: Backend.available)
    func anOperatorPrintsALabelAndAProductionRunWhoseBarcodesScan(backend: Backend) async throws {
        let database = try await SpoolDatabase.make(backend)
        let db = database.location
        let out = database.folder.appendingPathComponent("out")
        do {
            #expect(try await tracemark("printers", "add", "out", "--uri", "file://\(out.path)", "--db", db).status == 0)
            let printed = try await tracemark("print", templates.appendingPathComponent("serial-50x25.yaml").path,
                                              "--printer", "out", "--db", db)
            #expect(printed.status == 0, "\(printed.stderr)")
            #expect(printed.stdout.contains("job 1 done on out"))
            // Files are named by the database and the job: job-<database>-1.zpl.
            let firstName = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix("-1.zpl") })
            let first = try Data(contentsOf: out.appendingPathComponent(firstName))
            #expect(try await Tools.decodeBarcodes(first, extension: "zpl") == ["(01)09501101530003(21)SN000123"])

            // A production run from the shell: three new serials, three labels, each scanning to its serial.
            #expect(try await tracemark("class", "add", "SN", "--tracking", "serial", "--format", "PS{counter:5}", "--db", db).status == 0)
            #expect(try await tracemark("product", "add", "PS-200", "--gtin", "09501101530003", "--class", "SN",
                                        "--description", "Pressure sensor", "--db", db).status == 0)
            let run = try await tracemark("print", templates.appendingPathComponent("serial-50x25.yaml").path, "--run",
                                          "--product", "PS-200", "--count", "3", "--printer", "out", "--db", db)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("registered 3 numbers: PS00001…PS00003"))
            var scanned: [String] = []
            for file in try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() where file != firstName {
                scanned += try await Tools.decodeBarcodes(try Data(contentsOf: out.appendingPathComponent(file)), extension: "zpl")
            }
            #expect(scanned.sorted() == (1...3).map { "(01)09501101530003(21)PS0000\($0)" })
            let listed = try await tracemark("jobs", "--json", "--db", db)
            let jobs = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
            #expect(jobs?.count == 4)
            #expect(jobs?.allSatisfy { $0["state"] as? String == "done" } == true)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    @Test func aPrinterThatIsOffKeepsTheJobAndTheCommandSaysSo() async throws {
        let database = try await SpoolDatabase.make(.sqlite)
        let db = database.location
        // Nothing listens on a port we just closed.
        let port = try freePort()
        #expect(try await tracemark("printers", "add", "dock", "--uri", "tcp://127.0.0.1:\(port)", "--connect-timeout", "1",
                                    "--db", db).status == 0)
        let printed = try await tracemark("print", templates.appendingPathComponent("gs1-lot-100x50.yaml").path,
                                          "--printer", "dock", "--wait", "1.5", "--db", db)
        #expect(printed.status == 2)
        #expect(printed.stdout.contains("job 1 queued on dock"))
        #expect(printed.stderr.contains("not printed yet; the jobs stay queued"))
        let printers = try await tracemark("printers", "--db", db)
        #expect(printers.stdout.contains("offline"))
        let cancelled = try await tracemark("jobs", "cancel", "1", "--db", db)
        #expect(cancelled.status == 0)
        let again = try await tracemark("jobs", "cancel", "1", "--db", db)
        #expect(again.status == 1)
        #expect(again.stderr.contains("job 1 is cancelled"))
        await database.drop()
    }

    /// A loopback port that was free a moment ago.
    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

import Foundation
import PrinterSimulator
import TracemarkTesting
import Testing

/// The station web page at `/`, in a real headless Chromium (Tests/browser/station_page.py, with
/// selenium): sign-in, wedge scans with GS as Ctrl+], the green, amber and red cards (also for a
/// scan of the station's own network scanner), a reason
/// for the amber one in the scan log, a label that waits for paper and then prints, scans queued
/// while the link is down and sent once after, every page at a phone's and a desk screen's size
/// (screenshots kept in .build/test-artefacts/station-page), and the time from Enter to verdict.
@Suite struct StationPageTests {
    /// The API tests' dock and look-up stations, and a picking station whose scanners send ~ for GS,
    /// with a network scanner of its own beside the screen.
    static func stations(scannerPort: Int) -> String {
        APIService.dock + "\n" + """
          pick-1:
            kind: picking
            warehouse: MAIN
            gs-substitute: "~"
            scanners: ["tcp-listen://127.0.0.1:\(scannerPort)"]
        """
    }

    /// The page's three files, each with its type, a validator, and a policy that lets nothing
    /// but this server's own script run.
    @Test func thePageIsServedFromTheBinaryWithItsSecurityHeaders() async throws {
        let service = try await APIService.start(.sqlite)
        defer { service.serve.killIfRunning() }
        let page = try await service.request("GET", "/", role: nil)
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("<script src=\"app.js\" defer></script>"))
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(page.headers["x-content-type-options"] == "nosniff")
        let etag = try #require(page.headers["etag"])
        #expect(try await service.request("GET", "/", role: nil, headers: ["If-None-Match": etag]).status == 304)
        let script = try await service.request("GET", "/app.js", role: nil)
        #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.text.contains("/api/v1/events"))
        // Field values reach the page only as text: the script never writes markup.
        #expect(!script.text.contains("innerHTML") && !script.text.contains("insertAdjacentHTML") && !script.text.contains("document.write"))
        #expect(try await service.request("GET", "/app.css", role: nil).headers["content-type"] == "text/css; charset=utf-8")
        #expect(try await service.request("GET", "/nothing.js", role: nil).status == 404)
        try await service.stop()
    }

    @Test func anOperatorScansSeesTheVerdictAndPrintsInARealBrowser() async throws {
        _ = try #require(Command.which("chromium"), "chromium is not installed: scripts/install-deps.sh installs it")
        _ = try #require(Command.which("chromedriver"), "chromium-driver is not installed: scripts/install-deps.sh installs it")
        // The printer starts out of paper, so that the page shows the label waiting before it prints.
        let printer = try await SimulatedPrinter.start()
        printer.setState(.paperOut)
        let scannerPort = try LoopbackSocket.freePort()
        let service = try await APIService.start(.sqlite, stations: Self.stations(scannerPort: scannerPort),
                                                 printers: "{uri: \"tcp://127.0.0.1:\(printer.port)\", language: zpl, dpi: 203}")
        defer { service.serve.killIfRunning() }
        let db = service.database.location
        #expect(try await Command.tracemark(["operator", "add", "B-100", "--name", "Anna", "--db", db]).status == 0)
        #expect(try await Command.tracemark(["operator", "add", "B-900", "--name", "Bo", "--role", "supervisor", "--pin-from-stdin",
                                             "--db", db], stdin: "4711\n").status == 0)
        let product = try await Command.tracemark(["product", "add", "GLUE-1", "--gtin", "09501101530010", "--class", "PAINT",
                                                   "--unit", "pcs", "--description", "Tile glue", "--db", db])
        #expect(product.status == 0, "\(product.stderr)")
        let expired = try await Command.tracemark(["receive", "--warehouse", "MAIN", "--supplier", "ACME", "--product", "GLUE-1",
                                                   "--lot", "WEB-OLD", "--quantity", "5", "--accept-expired",
                                                   "--expiry", relativeDate(days: -10, format: "yyyy-MM-dd"), "--db", db])
        #expect(expired.status == 0, "\(expired.stderr)")

        let artefacts = Repository.root.appendingPathComponent(".build/test-artefacts/station-page", isDirectory: true)
        try? FileManager.default.removeItem(at: artefacts)
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let folder = try Command.temporaryFolder("station-page")
        let release = folder.appendingPathComponent("release-printer")
        // The script says when the printer may have its paper back.
        let releaser = Task {
            while !FileManager.default.fileExists(atPath: release.path) {
                try await Task.sleep(for: .milliseconds(50))
            }
            printer.setState(.ready)
        }
        defer { releaser.cancel() }
        let result = try await Command.run("python3", [Repository.root.appendingPathComponent("Tests/browser/station_page.py").path],
                                           in: folder, environment: [
            "TRACEMARK_URL": service.base, "TRACEMARK_ADMIN_TOKEN": service.tokens["admin"]!,
            "TRACEMARK_ARTEFACTS": artefacts.path, "TRACEMARK_RELEASE_PRINTER": release.path,
            "TRACEMARK_GTIN": "09501101530010", "TRACEMARK_SCANNER_PORT": String(scannerPort),
            "TRACEMARK_LOT_A": "WEB-A", "TRACEMARK_EXPIRY_A": relativeDate(days: 200, format: "yyMMdd"),
            "TRACEMARK_LOT_B": "WEB-B", "TRACEMARK_EXPIRY_B": relativeDate(days: 400, format: "yyMMdd"),
            "TRACEMARK_LOT_OLD": "WEB-OLD",
        ])
        #expect(result.status == 0, "the browser test failed:\n\(result.stdout.suffix(6000))\n\(result.stderr.suffix(3000))")
        if let figures = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("figures: ") }) {
            print("station page, Enter to verdict on screen: \(figures.dropFirst("figures: ".count))")
        }
        try await service.stop()
        await printer.stop()
    }
}

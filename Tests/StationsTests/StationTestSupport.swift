import Foundation
import GS1
import Labels
import Printing
import Registry
import Stations
import Testing
@_exported import TracemarkTesting

/// The day the tests' registry believes it is: every date in the station tests is relative to it.
let today = CalendarDate(year: 2026, month: 11, day: 23)!
let todayInstant = Date(timeIntervalSince1970: Double(today.daysSinceEpoch) * 86_400 + 36_000)

/// A date as GS1's (17) writes it.
func yymmdd(_ date: CalendarDate) -> String {
    let text = date.description.replacingOccurrences(of: "-", with: "")
    return String(text.dropFirst(2))
}

/// A receiving dock on a fresh database: a lot-tracked product (paint, by GTIN) and a
/// serial-tracked one (a pump), a warehouse, a supplier, a folder printer in the test's folder.
struct Dock {
    let database: TestDatabase
    let registry: Registry
    let spool: Spool
    let printer: PrinterConfig

    static let paintGTIN = "09501101530003"
    static let pumpGTIN = "09501101530010"

    static func make(_ backend: Backend) async throws -> Dock {
        let database = try await TestDatabase.make(backend)
        let registry = try await Registry(store: try await database.openStore(), clock: { todayInstant })
        _ = try await registry.addWarehouse(Warehouse(code: "MAIN"))
        _ = try await registry.addPartner(Partner(code: "ACME", name: "Acme Paints", role: .supplier))
        _ = try await registry.addClass(LotSerialClass(code: "PAINT", tracking: .lot, tracksExpiry: true, issueMethod: .expiration,
                                                       format: "L{counter:4}"))
        _ = try await registry.addClass(LotSerialClass(code: "DEVICE", tracking: .serial, format: "SN{counter:5}"))
        _ = try await registry.addProduct(Product(article: "PAINT-5L", gtin: try GTIN(paintGTIN), description: "Paint 5 l",
                                                  unit: "pcs", lotSerialClass: "PAINT"))
        _ = try await registry.addProduct(Product(article: "PUMP-200", gtin: try GTIN(pumpGTIN), description: "Pump 200 W",
                                                  lotSerialClass: "DEVICE", allowsUnknownSerials: true))
        let spool = try await Spool(store: registry.store)
        let printer = PrinterConfig(name: "dock-label", uri: "file://\(database.folder.appendingPathComponent("labels").path)",
                                    language: .zpl)
        try await spool.addPrinter(printer)
        return Dock(database: database, registry: registry, spool: spool, printer: printer)
    }

    /// A station of `kind` at MAIN for ACME, printing `template` (a shipped one) on the dock's printer.
    func station(_ name: String = "dock-1", kind: StationConfiguration.Kind = .receiving,
                 template: String? = "gs1-lot-100x50") async throws -> Station {
        let loaded = try template.map { try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("\($0).yaml")) }
        return try await Station(StationConfiguration(name: name, kind: kind, warehouse: "MAIN",
                                                      printer: loaded == nil ? nil : printer.name, template: loaded,
                                                      supplier: kind == .receiving ? "ACME" : nil),
                                 registry: registry, spool: spool)
    }

    func close() async {
        await registry.close()
        await database.drop()
    }
}

/// Runs `body` on a fresh dock and removes it after.
func withDock(_ backend: Backend, _ body: (Dock) async throws -> Void) async throws {
    let dock = try await Dock.make(backend)
    do {
        try await body(dock)
    } catch {
        await dock.close()
        throw error
    }
    await dock.close()
}

extension Station {
    /// Handles `text` as a scanner would send it.
    func scan(_ text: String, id: String? = nil, device: String = "test") async -> ScanOutcome {
        await handle(StationScan(data: Array(text.utf8), device: device, scanID: id, time: todayInstant))
    }
}

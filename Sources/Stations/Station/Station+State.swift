public import Foundation
import Labels
import Registry
import SQLKit
import Store

/// What a station is doing now: its configuration, whether this process runs it, and its open
/// task with the lines scanned so far. The same shape for the HTTP API and the page.
public struct StationState: Codable, Sendable {
    public struct Task: Codable, Sendable {
        public var id: Int64
        /// `receipt`, `issue` or `run`.
        public var kind: String
        public var partner: String?
        /// Who signed in at the station for it: the operator's name and badge, else the badge
        /// (empty when nobody signed in).
        public var operatorName: String
        /// The badge of who signed in for it, if anyone.
        public var operatorBadge: String?
        public var openedAt: String
        /// What was scanned: a receipt's or issue's lines; a run's component lots.
        public var lines: [Line]
        /// A production run: its labels and what became of each.
        public var run: RunReport?
    }

    public struct Line: Codable, Sendable {
        /// The line's id (the HTTP API removes a line by it).
        public var id: Int64
        public var product: String
        public var number: String?
        public var serial: Bool
        public var quantity: Decimal
        public var expiry: String?
        public var job: Int64?
        public var scan: Int64?
        /// The reason code waiting for a supervisor's confirmation, if any.
        public var pending: String?
        public var confirmation: String?
    }

    public var name: String
    public var kind: String
    public var warehouse: String?
    public var printer: String?
    /// The station's template by the name it was configured with (as `templates/{name}` takes it).
    public var template: String?
    /// The template's title, as its file gives it.
    public var templateTitle: String?
    public var supplier: String?
    /// What its keyboard-wedge scanners send for GS, if not Ctrl+].
    public var gsSubstitute: String?
    /// Whether this process holds the station (else another `serve` process runs it).
    public var heldHere: Bool
    public var task: Task?
}

extension Station {
    public func state() async throws -> StationState {
        let configuration = configuration, held = isHeldHere
        let task = try await registry.store.read { @Sendable db in try await Self.openTask(db, station: configuration.name) }
        return StationState(name: configuration.name, kind: configuration.kind.rawValue, warehouse: configuration.warehouse,
                            printer: configuration.printer, template: configuration.template == nil ? nil : configuration.templateName ?? configuration.template?.name,
                            templateTitle: configuration.template?.name, supplier: configuration.supplier,
                            gsSubstitute: configuration.gsSubstitute, heldHere: held, task: task)
    }

    private static func openTask(_ db: any SQLDatabase, station: String) async throws -> StationState.Task? {
        guard let row = try await db.raw("""
            SELECT t.id, t.kind, t.partner, t.operator, t.opened_at, o.name AS operator_name
            FROM station_tasks t LEFT JOIN station_operators o ON o.badge = t.operator
            WHERE t.station = \(bind: station) AND t.state = 'open' ORDER BY t.id DESC LIMIT 1
            """).first() else { return nil }
        let id = try row.decode(column: "id", as: Int64.self)
        let lines = try await db.raw("""
            SELECT id, product, number, serial, quantity, expiry, job_id, scan_id, pending, confirmation
            FROM station_task_lines WHERE task_id = \(bind: id) AND removed_at IS NULL ORDER BY id
            """).all().map { line in
            StationState.Line(id: try line.decode(column: "id", as: Int64.self), product: try line.decode(column: "product", as: String.self),
                              number: try line.decode(column: "number", as: String?.self),
                              serial: try line.decode(column: "serial", as: Int.self) != 0,
                              quantity: Decimal(string: try line.decode(column: "quantity", as: String.self),
                                                locale: Locale(identifier: "en_US_POSIX")) ?? 0,
                              expiry: try line.decode(column: "expiry", as: String?.self),
                              job: try line.decode(column: "job_id", as: Int64?.self),
                              scan: try line.decode(column: "scan_id", as: Int64?.self),
                              pending: try line.decode(column: "pending", as: String?.self),
                              confirmation: try line.decode(column: "confirmation", as: String?.self))
        }
        let kind = try row.decode(column: "kind", as: String.self)
        let badge = try row.decode(column: "operator", as: String.self)
        let name = try row.decode(column: "operator_name", as: String?.self) ?? ""
        return StationState.Task(id: id, kind: kind,
                                 partner: try row.decode(column: "partner", as: String?.self),
                                 operatorName: badge.isEmpty || name.isEmpty ? badge : "\(name) (\(badge))",
                                 operatorBadge: badge.isEmpty ? nil : badge,
                                 openedAt: try row.decode(column: "opened_at", as: String.self), lines: lines,
                                 run: kind == "run" ? try await runReport(db, task: id) : nil)
    }
}

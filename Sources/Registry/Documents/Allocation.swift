public import Foundation
public import GS1
import SQLKit
import Store

/// A lot or serial the registry proposes to take, in the class's issue order.
public struct ProposedPick: Codable, Hashable, Sendable {
    public var number: String
    public var quantity: Decimal
    public var expiry: CalendarDate?
    /// Days of shelf life left on the document date.
    public var daysLeft: Int?
    public var received: String?
}

/// Chooses stock by the class's issue method: FIFO (oldest receipt first), LIFO, sequential
/// (natural number order), expiration (first-expiring first, then earlier receipt, then number).
/// Only available stock is chosen: not quarantined or blocked, not expired, and with at least the
/// required shelf life (a lot with exactly that many days left qualifies).
enum Allocation {
    struct Candidate {
        let lot: LotRecord
        let quantity: Int
        let received: String?
    }

    static func order(_ method: LotSerialClass.IssueMethod) -> SQLQueryString {
        switch method {
        case .fifo, .manual: "ls.received_at, ls.id"
        case .lifo: "ls.received_at DESC, ls.id DESC"
        case .sequential: "ls.sort_key, ls.id"
        case .expiration: "COALESCE(ls.expiry, '9999-12-31'), ls.received_at, ls.sort_key, ls.id"
        }
    }

    /// Candidates in issue order until `quantity` is covered (or stock runs out).
    static func candidates(_ db: any SQLDatabase, productID: Int, warehouseID: Int, method: LotSerialClass.IssueMethod,
                           quantity: Int, earliestExpiry: CalendarDate) async throws -> [Candidate] {
        var found: [Candidate] = []
        var covered = 0
        var offset = 0
        // A few lots usually cover a line: the first page is small, the next ones grow.
        var page = 8
        while covered < quantity {
            // The stock is read per lot by a subquery rather than joined: joined, PostgreSQL
            // misjudges how many lots have stock and sorts every lot of the product (13 ms for
            // 10,000 lots) instead of walking the issue order's index until the page is full (2 ms).
            let stock: SQLQueryString = """
                (SELECT s.quantity FROM stock s
                 WHERE s.product_id = ls.product_id AND s.warehouse_id = \(bind: warehouseID) AND s.lot_serial_id = ls.id)
                """
            let rows = try await db.raw("""
                SELECT ls.id, ls.number, ls.status, ls.expiry, ls.received_at, \(stock) AS quantity
                FROM lot_serials ls
                WHERE ls.product_id = \(bind: productID) AND ls.status = 'available'
                  AND COALESCE(ls.expiry, '9999-12-31') >= \(bind: earliestExpiry.description) AND \(stock) > 0
                ORDER BY \(order(method)) LIMIT \(literal: page) OFFSET \(literal: offset)
                """).all()
            for row in rows where covered < quantity {
                let candidate = Candidate(lot: try Posting.decodeLot(row), quantity: try row.int("quantity"),
                                          received: try row.optionalString("received_at"))
                found.append(candidate)
                covered += candidate.quantity
            }
            if rows.count < page { break }
            offset += page
            page = min(page * 4, 512)
        }
        return found
    }
}

extension Registry {
    /// The lots or serials an issue of `quantity` would take from `warehouse`, in the class's
    /// issue order, with the shelf life the customer (or this order) requires.
    public func proposal(product article: String, warehouse: String, quantity: Decimal, date: CalendarDate? = nil,
                         customer: String? = nil, minimumShelfLifeDays: Int? = nil) async throws -> [ProposedPick] {
        let date = date ?? today
        return try await store.read { db in
            // Product, its class's issue method and the warehouse in one round trip (a proposal
            // is asked for while an operator waits; on PostgreSQL each statement is a round trip).
            guard let row = try await db.raw("""
                SELECT p.id AS product_id, c.tracking, c.issue_method,
                       (SELECT w.id FROM warehouses w WHERE w.code = \(bind: warehouse)) AS warehouse_id
                FROM products p LEFT JOIN lot_serial_classes c ON c.code = p.class_code
                WHERE p.article = \(bind: article)
                """).first() else {
                throw RegistryError(.notFound, "product \(article) does not exist")
            }
            let productID = try row.int("product_id")
            guard let tracking = try row.optionalString("tracking").flatMap(LotSerialClass.Tracking.init(rawValue:)),
                  tracking != .none,
                  let issueMethod = try row.optionalString("issue_method").flatMap(LotSerialClass.IssueMethod.init(rawValue:)) else {
                throw RegistryError(.invalidInput, "product \(article) is not tracked by lot or serial: there is nothing to propose")
            }
            guard let warehouseID = try row.optionalInt("warehouse_id") else {
                throw RegistryError(.notFound, "warehouse \(warehouse) does not exist")
            }
            var shelfLife = minimumShelfLifeDays ?? 0
            if minimumShelfLifeDays == nil, let customer {
                shelfLife = try await Posting.partner(db, customer, as: .customer).1.minimumShelfLifeDays ?? 0
            }
            let wanted = try Quantity(quantity).storage
            let candidates = try await Allocation.candidates(db, productID: productID, warehouseID: warehouseID,
                                                             method: issueMethod, quantity: wanted,
                                                             earliestExpiry: date.adding(days: shelfLife))
            var remaining = wanted
            return candidates.map { candidate in
                let take = min(remaining, candidate.quantity)
                remaining -= take
                return ProposedPick(number: candidate.lot.number, quantity: Quantity(storage: take).decimal,
                                    expiry: candidate.lot.expiry,
                                    daysLeft: candidate.lot.expiry.map { $0.daysSinceEpoch - date.daysSinceEpoch },
                                    received: candidate.received)
            }
        }
    }
}

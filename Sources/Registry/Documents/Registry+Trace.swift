public import Foundation
public import GS1
import SQLKit
import Store

/// Where a lot or serial went (forward: what was made from it, what it was split into, and the
/// customers who received any of those) or came from (backward: what it was made from, the lot it
/// was split from, and the suppliers of every one of those).
public struct TraceTree: Codable, Hashable, Sendable {
    public enum Direction: String, Codable, Sendable, CaseIterable {
        case forward, backward
    }

    /// A customer who received it, or a supplier it came from: one document line.
    public struct Party: Codable, Hashable, Sendable {
        /// Nil for a document that named no partner (an issue without a customer): the goods
        /// still went, and the trace says so.
        public var partner: String?
        public var partnerName: String
        /// `issue` (to a customer) or `receipt` (from a supplier), `return` (back from a customer);
        /// `receipt-unnumbered` for a lot or serial numbered after it came in (`assign`, numbers
        /// assigned on use): a receipt of the product's stock without numbers into the warehouse
        /// where it was numbered, on or before that day, which it may have come from.
        public var what: String
        public var document: String
        public var date: CalendarDate?
        public var warehouse: String
        public var quantity: Decimal

        /// What stands for the partner where none is recorded.
        public var noPartner: String {
            what == "issue" || what == "return" ? "(no customer recorded)" : "(no supplier recorded)"
        }

        /// The partner as a person reads it: code and name, or that none was recorded.
        public var displayName: String {
            guard let partner else { return noPartner }
            return partner + (partnerName.isEmpty ? "" : " (\(partnerName))")
        }
    }

    public struct Node: Codable, Hashable, Sendable {
        public var product: String
        public var number: String
        public var kind: LotSerial.Kind
        public var status: LotSerial.Status
        public var expiry: CalendarDate?
        /// The unit its quantities are counted in.
        public var unit: String
        /// How it is linked to the node above: the production document, or `split`.
        public var via: String?
        /// Through a production (`via`): how much of its input, the lot above (forward) or this
        /// one (backward), that production consumed on the input lines the output was made of, in
        /// the input's unit. A recall drill asks how much of a contaminated lot went into each
        /// product, not only which (found by a QA run).
        public var consumed: Decimal?
        /// The unit `consumed` is counted in: the input's, which is the lot above going forward
        /// and this one going backward; `unit` is this lot's own. A client reading 2.5 beside
        /// `unit: pcs` took kilograms of flour for pieces of cake (found by a QA run).
        public var consumedUnit: String?
        /// Through a production: whether those input lines also went into other outputs, so that
        /// `consumed` is what they consumed for all of them, not this output's share.
        public var shared: Bool?
        /// Through a production: how much of its output, this lot (forward) or the lot above
        /// (backward), that production made on the output lines made of the input, in the
        /// output's unit.
        public var made: Decimal?
        /// The unit `made` is counted in: the output's, which is this lot going forward and the
        /// lot above going backward.
        public var madeUnit: String?
        /// Customers (forward) or suppliers (backward) of this lot or serial itself.
        public var parties: [Party]
        public var children: [Node]
        /// Already shown higher in the tree (a lot that went into two products): not expanded again.
        public var seenAbove: Bool
        /// The depth limit stopped the walk here, though it goes on.
        public var cutOff: Bool
    }

    public var direction: Direction
    public var depth: Int
    public var root: Node
    /// Every lot or serial in the tree once, the root first.
    public var count: Int
    /// Every customer (forward) or supplier (backward) in the tree, once each.
    public var partners: [String]
}

extension Registry {
    /// The tree of a lot or serial, `direction` through production genealogy and splits, at most
    /// `depth` levels down. Transfers keep a lot's identity: it is the same node wherever it lies.
    /// One statement per level (not per lot), so a wide tree costs what a narrow one does.
    public func trace(product article: String, number: String, direction: TraceTree.Direction,
                      depth: Int = 50) async throws -> TraceTree {
        let number = number.trimmingSpaces
        guard (1...1000).contains(depth) else { throw RegistryError(.invalidInput, "depth must be from 1 to 1000, not \(depth)") }
        guard let seed = try await lotSerial(product: article, number: number) else {
            _ = try await product(article)
            throw RegistryError(.notFound, "product \(article) has no lot or serial \(number)")
        }
        return try await store.read { db in
            let walk = try await Self.walk(db, from: [seed.id], direction: direction, depth: depth)
            let ids = Array(walk.levels.keys)
            let nodes = try await Self.traceNodes(db, ids)
            let parties = try await Self.traceParties(db, ids, direction: direction)
            var shown = Set<Int>()
            func build(_ id: Int, via edge: TraceEdge?, above: TraceNodeInfo?, level: Int) -> TraceTree.Node {
                let info = nodes[id]!
                let (input, output) = direction == .forward ? (above, info) : (info, above)
                var node = TraceTree.Node(product: info.product, number: info.number, kind: info.kind, status: info.status,
                                          expiry: info.expiry, unit: info.unit, via: edge?.via,
                                          consumed: edge?.consumed.map { Quantity(storage: $0).decimal },
                                          consumedUnit: edge?.consumed == nil ? nil : input?.unit,
                                          shared: edge?.consumed == nil ? nil : edge?.shared,
                                          made: edge?.made.map { Quantity(storage: $0).decimal },
                                          madeUnit: edge?.made == nil ? nil : output?.unit,
                                          parties: parties[id] ?? [], children: [],
                                          seenAbove: shown.contains(id), cutOff: false)
                guard !node.seenAbove else { node.parties = []; return node }
                shown.insert(id)
                let edges = walk.edges[id] ?? []
                if level >= depth { node.cutOff = !edges.isEmpty; return node }
                node.children = edges.map { build($0.to, via: $0, above: info, level: level + 1) }
                return node
            }
            let root = build(seed.id, via: nil, above: nil, level: 0)
            let partners = Set(parties.values.flatMap { $0.compactMap(\.partner) }).sorted()
            return TraceTree(direction: direction, depth: depth, root: root, count: walk.levels.count, partners: partners)
        }
    }

    struct TraceEdge: Sendable {
        var to: Int
        /// The production document, or `split`.
        var via: String
        /// Through a production: how much of the input lot it consumed, and of the output lot it
        /// made (storage units).
        var consumed: Int? = nil
        var made: Int? = nil
        var shared = false
    }

    /// Breadth first from `seeds`, one statement per level for genealogy and one for splits:
    /// each lot's level (first reached, at most `depth`), and its edges in the walk's direction
    /// (those of the last level lead past the limit, to lots not walked).
    static func walk(_ db: any SQLDatabase, from seeds: [Int], direction: TraceTree.Direction,
                     depth: Int) async throws -> (levels: [Int: Int], edges: [Int: [TraceEdge]]) {
        var levels = Dictionary(seeds.map { ($0, 0) }) { first, _ in first }
        var edges: [Int: [TraceEdge]] = [:]
        var frontier = seeds
        var level = 0
        let (mine, theirs) = direction == .forward ? ("input_id", "output_id") : ("output_id", "input_id")
        // One level past the limit is looked at, not walked: the tree can say where it was cut.
        while !frontier.isEmpty, level <= depth {
            level += 1
            let beyond = level > depth
            var next: [Int] = []
            for chunk in frontier.chunks(of: 500) {
                // With how much of the input the production consumed on the input lines the
                // output's lines were made of (a lot on two input lines, each for another output,
                // was counted whole on both; a QA run), whether those lines fed other outputs
                // too, and how much of the output it made: the lots' own movements in that
                // document and its line links, by the document's indexes.
                let genealogy = try await db.raw("""
                    SELECT g.\(unsafeRaw: mine) AS from_id, g.\(unsafeRaw: theirs) AS to_id, d.number AS document,
                        (SELECT CAST(-SUM(m.quantity) AS BIGINT) FROM movements m
                         WHERE m.document_id = g.document_id AND m.lot_serial_id = g.input_id AND m.quantity < 0
                           AND m.line_no IN (SELECT l.input_line FROM production_links l JOIN movements o
                                               ON o.document_id = l.document_id AND o.line_no = l.output_line
                                             WHERE l.document_id = g.document_id AND o.lot_serial_id = g.output_id AND o.quantity > 0)) AS consumed,
                        (SELECT CAST(SUM(m.quantity) AS BIGINT) FROM movements m
                         WHERE m.document_id = g.document_id AND m.lot_serial_id = g.output_id AND m.quantity > 0
                           AND m.line_no IN (SELECT l.output_line FROM production_links l JOIN movements i
                                               ON i.document_id = l.document_id AND i.line_no = l.input_line
                                             WHERE l.document_id = g.document_id AND i.lot_serial_id = g.input_id AND i.quantity < 0)) AS made,
                        CASE WHEN EXISTS (
                            SELECT 1 FROM production_links l JOIN production_links other
                                ON other.document_id = l.document_id AND other.input_line = l.input_line AND other.output_line <> l.output_line
                            JOIN movements i ON i.document_id = l.document_id AND i.line_no = l.input_line AND i.lot_serial_id = g.input_id AND i.quantity < 0
                            JOIN movements o ON o.document_id = l.document_id AND o.line_no = l.output_line AND o.lot_serial_id = g.output_id AND o.quantity > 0
                            WHERE l.document_id = g.document_id) THEN 1 ELSE 0 END AS shared
                    FROM genealogy g JOIN documents d ON d.id = g.document_id
                    WHERE g.\(unsafeRaw: mine) IN (\(binds: chunk)) ORDER BY g.document_id, g.\(unsafeRaw: theirs)
                    """).all()
                // Splits: forward to the lots split off it, backward to the lot it was split from.
                let splits = direction == .forward
                    ? try await db.raw("SELECT parent_id AS from_id, id AS to_id FROM lot_serials WHERE parent_id IN (\(binds: chunk)) ORDER BY id").all()
                    : try await db.raw("SELECT id AS from_id, parent_id AS to_id FROM lot_serials WHERE id IN (\(binds: chunk)) AND parent_id IS NOT NULL").all()
                for (row, produced) in genealogy.map({ ($0, true) }) + splits.map({ ($0, false) }) {
                    let from = try row.int("from_id"), to = try row.int("to_id")
                    edges[from, default: []].append(produced
                        ? TraceEdge(to: to, via: try row.string("document"), consumed: try row.optionalInt("consumed"), made: try row.optionalInt("made"),
                                    shared: try row.int("shared") == 1)
                        : TraceEdge(to: to, via: "split"))
                    if !beyond, levels[to] == nil {
                        levels[to] = level
                        next.append(to)
                    }
                }
            }
            frontier = next
        }
        return (levels, edges)
    }

    struct TraceNodeInfo: Sendable {
        var product: String
        var number: String
        var kind: LotSerial.Kind
        var status: LotSerial.Status
        var expiry: CalendarDate?
        var unit: String
    }

    static func traceNodes(_ db: any SQLDatabase, _ ids: [Int]) async throws -> [Int: TraceNodeInfo] {
        var nodes: [Int: TraceNodeInfo] = [:]
        for chunk in ids.chunks(of: 500) {
            for row in try await db.raw("""
                SELECT ls.id, ls.number, ls.kind, ls.status, ls.expiry, p.article, p.unit FROM lot_serials ls JOIN products p ON p.id = ls.product_id
                WHERE ls.id IN (\(binds: chunk))
                """).all() {
                nodes[try row.int("id")] = TraceNodeInfo(product: try row.string("article"), number: try row.string("number"),
                                                         kind: try row.enumeration("kind", as: LotSerial.Kind.self),
                                                         status: try row.enumeration("status", as: LotSerial.Status.self),
                                                         expiry: try row.date("expiry"), unit: try row.string("unit"))
            }
        }
        return nodes
    }

    /// The customers who received each lot (issues, and returns back from them), or the suppliers
    /// it was received from.
    static func traceParties(_ db: any SQLDatabase, _ ids: [Int], direction: TraceTree.Direction) async throws -> [Int: [TraceTree.Party]] {
        let kinds = direction == .forward ? ["issue", "return"] : ["receipt"]
        var parties: [Int: [TraceTree.Party]] = [:]
        for chunk in ids.chunks(of: 500) {
            for row in try await db.raw("""
                SELECT m.lot_serial_id, m.quantity, d.kind, d.number, d.doc_date, w.code AS warehouse, pa.code AS partner, pa.name AS partner_name
                FROM movements m JOIN documents d ON d.id = m.document_id JOIN warehouses w ON w.id = m.warehouse_id
                LEFT JOIN partners pa ON pa.id = d.partner_id
                WHERE m.lot_serial_id IN (\(binds: chunk)) AND d.kind IN (\(binds: kinds)) AND \(Posting.goodsMoving("m"))
                ORDER BY m.id
                """).all() {
                parties[try row.int("lot_serial_id"), default: []].append(TraceTree.Party(
                    partner: try row.optionalString("partner"), partnerName: try row.optionalString("partner_name") ?? "", what: try row.string("kind"),
                    document: try row.string("number"), date: try row.date("doc_date"), warehouse: try row.string("warehouse"),
                    quantity: abs(Quantity(storage: try row.int("quantity")).decimal)))
            }
        }
        if direction == .backward {
            try await unnumberedReceipts(db, ids.filter { parties[$0] == nil }, into: &parties)
        }
        return parties
    }

    /// For lots and serials that no receipt names (numbered after they came in), the receipts of
    /// their product's stock without numbers into the warehouse where each was numbered, on or
    /// before that day, newest first (ten at most): stock without numbers is one heap, so any of
    /// them may be its supplier. Without them a backward trace said "suppliers: none" for goods
    /// that came from ACME (found by a QA run).
    static func unnumberedReceipts(_ db: any SQLDatabase, _ ids: [Int], into parties: inout [Int: [TraceTree.Party]]) async throws {
        for chunk in ids.chunks(of: 500) where !chunk.isEmpty {
            let numbered = try await db.raw("""
                SELECT m.lot_serial_id, m.product_id, m.warehouse_id, MIN(d.doc_date) AS numbered_on
                FROM movements m JOIN documents d ON d.id = m.document_id
                WHERE m.lot_serial_id IN (\(binds: chunk)) AND m.quantity > 0
                  AND (d.kind = 'assignment' OR m.override IN (\(bind: Posting.assignmentOnUse), \(bind: Posting.unknownSerialAssignment)))
                GROUP BY m.lot_serial_id, m.product_id, m.warehouse_id
                """).all()
            for row in numbered {
                let id = try row.int("lot_serial_id")
                for receipt in try await db.raw("""
                    SELECT d.number, d.doc_date, w.code AS warehouse, pa.code AS partner, pa.name AS partner_name, m.quantity
                    FROM movements m JOIN documents d ON d.id = m.document_id JOIN warehouses w ON w.id = m.warehouse_id
                    LEFT JOIN partners pa ON pa.id = d.partner_id
                    WHERE m.product_id = \(bind: try row.int("product_id")) AND m.warehouse_id = \(bind: try row.int("warehouse_id"))
                      AND m.lot_serial_id = 0 AND m.quantity > 0 AND d.kind = 'receipt'
                      AND d.doc_date <= \(bind: try row.string("numbered_on"))
                    ORDER BY d.doc_date DESC, m.id DESC
                    LIMIT 10
                    """).all() {
                    parties[id, default: []].append(TraceTree.Party(
                        partner: try receipt.optionalString("partner"), partnerName: try receipt.optionalString("partner_name") ?? "", what: "receipt-unnumbered",
                        document: try receipt.string("number"), date: try receipt.date("doc_date"), warehouse: try receipt.string("warehouse"),
                        quantity: Quantity(storage: try receipt.int("quantity")).decimal))
                }
            }
        }
    }
}

extension TraceTree {
    /// The tree as text, one lot or serial per line, indented by level.
    public var text: String {
        var lines: [String] = []
        func add(_ node: Node, _ indent: String, _ last: Bool, above: Node?) {
            let root = above == nil
            let branch = root ? "" : indent + (last ? "└─ " : "├─ ")
            var line = "\(branch)\(node.product) \(node.kind.rawValue) \(node.number) [\(node.status.rawValue)]"
            if let expiry = node.expiry { line += " expires \(expiry)" }
            if let via = node.via, via == "split" {
                line += " (split)"
            } else if let via = node.via {
                // What went in and what came out, input first whichever way the tree goes:
                // `(via PRD-000001: 200 ea E-10 → 40 ea CK-A)`.
                let (input, output) = direction == .forward ? (above ?? node, node) : (node, above ?? node)
                if let consumed = node.consumed, let made = node.made {
                    let shared = node.shared == true ? ", shared with other outputs" : ""
                    line += " (via \(via): \(consumed) \(input.unit) \(input.number)\(shared) → \(made) \(output.unit) \(output.number))"
                } else {
                    line += " (via \(via))"
                }
            }
            if node.seenAbove { line += " (shown above)" }
            if node.cutOff { line += " … (deeper than --depth)" }
            lines.append(line)
            let childIndent = root ? "" : indent + (last ? "   " : "│  ")
            // A node's customers or suppliers under it, the tree's line carried on past them.
            let prefix = childIndent + (node.children.isEmpty ? "   " : "│  ")
            for party in node.parties {
                let arrow = switch party.what {
                case "receipt": "from"
                case "receipt-unnumbered": "possibly from"
                case "return": "returned by"
                default: "to"
                }
                lines.append("\(prefix)\(arrow) \(party.displayName): "
                             + "\(party.quantity) \(node.unit)\(party.what == "receipt-unnumbered" ? " without numbers" : "") in \(party.document)\(party.date.map { " on \($0)" } ?? "") at \(party.warehouse)")
            }
            for (index, child) in node.children.enumerated() {
                add(child, childIndent, index == node.children.count - 1, above: node)
            }
        }
        add(root, "", true, above: nil)
        return lines.joined(separator: "\n")
    }

    /// The tree as Graphviz DOT: a node per lot or serial, a box per customer or supplier.
    public var dot: String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var lines = ["digraph trace {", "  rankdir=LR;", "  node [shape=ellipse, fontname=\"DejaVu Sans\"];"]
        var declared = Set<String>()
        func id(_ node: Node) -> String { quoted("\(node.product) \(node.number)") }
        func walk(_ node: Node) {
            let name = id(node)
            if declared.insert(name).inserted {
                lines.append("  \(name) [label=\(quoted("\(node.product)\n\(node.kind.rawValue) \(node.number)\n\(node.status.rawValue)"))];")
            }
            for party in node.parties {
                // One box per partner; one per document for goods whose partner is not recorded.
                let partyName = quoted(party.partner.map { "partner \($0)" } ?? "no partner \(party.document)")
                if declared.insert(partyName).inserted {
                    lines.append("  \(partyName) [shape=box, label=\(quoted(party.partner.map { "\($0)\n\(party.partnerName)" } ?? party.noPartner))];")
                }
                let edge = party.what == "receipt" || party.what == "return" ? "\(partyName) -> \(name)" : "\(name) -> \(partyName)"
                lines.append("  \(edge) [label=\(quoted("\(party.document) \(party.quantity)"))];")
            }
            for child in node.children {
                let edge = direction == .forward ? "\(name) -> \(id(child))" : "\(id(child)) -> \(name)"
                let (input, output) = direction == .forward ? (node, child) : (child, node)
                let shared = child.shared == true ? " (shared)" : ""
                let amounts = child.consumed.flatMap { consumed in child.made.map { "\n\(consumed) \(input.unit)\(shared) → \($0) \(output.unit)" } } ?? ""
                lines.append("  \(edge) [label=\(quoted((child.via ?? "") + amounts))];")
                if !child.seenAbove { walk(child) }
            }
        }
        walk(root)
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

public import Foundation
import GS1

/// Sales and receipts as the Fortnox API takes them: an issue to a customer as an invoice
/// (`POST /3/invoices`), a receipt from a supplier as a supplier invoice (`POST
/// /3/supplierinvoices`). Each product line is a row with the article and quantity, followed by
/// its lot and serial numbers as text rows of at most 50 characters (Fortnox's cap on a row's
/// description), consecutive serials folded into ranges. No network call: these are the bodies an
/// integration posts. The same document gives the same bytes every time (keys sorted).
public enum FortnoxExport {
    /// A row's description holds at most this many characters in Fortnox.
    public static let descriptionLimit = 50

    public struct File: Hashable, Sendable {
        /// `invoice-ISS-000001.json`, `supplier-invoice-RCT-000001.json`.
        public var name: String
        public var document: String
        public var content: Data
    }

    /// One file per issue with a customer and per receipt from a supplier; other documents (and
    /// an issue or receipt without a partner, which no invoice can name) are left out and listed.
    public static func files(_ documents: [AccountingDocument]) throws -> (files: [File], skipped: [String]) {
        var files: [File] = [], skipped: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for document in documents {
            switch document.kind {
            case .issue, .receipt:
                guard let partner = document.partner else {
                    skipped.append("\(document.number): no \(document.kind == .issue ? "customer" : "supplier")")
                    continue
                }
                let sale = document.kind == .issue
                var rows: [[String: JSONValue]] = []
                for line in document.lines where line.quantity != 0 {
                    let quantity = sale ? -line.quantity : line.quantity
                    var row: [String: JSONValue] = ["ArticleNumber": .string(line.product)]
                    if sale {
                        row["DeliveredQuantity"] = .number(quantity)
                    } else {
                        row["Quantity"] = .number(quantity)
                        if line.value != 0 { row["Price"] = .number(Money(storage: Money.unitCost(of: try Money(line.value).storage, over: try Quantity(quantity).storage)).decimal) }
                    }
                    rows.append(row)
                    // Fortnox names a text row's field Description on invoices, ItemDescription on supplier invoices.
                    for text in textRows(line) { rows.append([sale ? "Description" : "ItemDescription": .string(text)]) }
                }
                let body: [String: JSONValue]
                if sale {
                    body = ["Invoice": .object(["CustomerNumber": .string(partner), "InvoiceDate": .string(document.date.description),
                                                "ExternalInvoiceReference1": .string(document.number), "InvoiceRows": .array(rows.map(JSONValue.object))])]
                } else {
                    body = ["SupplierInvoice": .object(["SupplierNumber": .string(partner), "InvoiceDate": .string(document.date.description),
                                                        "ExternalInvoiceNumber": .string(document.number),
                                                        "SupplierInvoiceRows": .array(rows.map(JSONValue.object))])]
                }
                var content = try encoder.encode(body)
                content.append(0x0A)
                files.append(File(name: "\(sale ? "invoice" : "supplier-invoice")-\(document.number).json", document: document.number, content: content))
            default:
                continue
            }
        }
        return (files, skipped)
    }

    /// The text rows that follow a product row: `Lot L-77 (40 l), L-78 (2 l)` or `SN 100231–100242,
    /// 100250`, as many items per row as fit in 50 characters; an item longer than a row is cut
    /// across rows, each row after its first starting with `… ` (with the prefix again it read
    /// as a second lot; found by a QA run).
    public static func textRows(_ line: AccountingDocument.Line) -> [String] {
        guard !line.numbers.isEmpty else { return [] }
        let prefix = line.tracking == .serial ? "SN " : "Lot "
        let items: [String]
        if line.tracking == .serial, line.numbers.allSatisfy({ $0.quantity == 1 }) {
            items = folded(line.numbers.map(\.number))
        } else {
            items = line.numbers.map { "\($0.number) (\($0.quantity) \(line.unit))" }
        }
        var rows: [String] = []
        var current = prefix
        for item in items {
            let separator = current == prefix ? "" : ", "
            if current.count + separator.count + item.count <= descriptionLimit {
                current += separator + item
                continue
            }
            if current != prefix { rows.append(current) }
            current = prefix
            var rest = Substring(item)
            while current.count + rest.count > descriptionLimit {
                let room = descriptionLimit - current.count
                rows.append(current + rest.prefix(room))
                rest = rest.dropFirst(room)
                current = "… "
            }
            current += rest
        }
        if current != prefix { rows.append(current) }
        return rows
    }

    /// Serial numbers in order with runs of three or more consecutive ones (the same prefix, a
    /// number of the same width, each one more) as `first–last`.
    static func folded(_ numbers: [String]) -> [String] {
        func split(_ number: String) -> (prefix: Substring, digits: Substring)? {
            let digits = number.reversed().prefix { $0.isASCII && $0.isNumber }.count
            guard digits > 0, digits <= 18 else { return nil }
            return (number.dropLast(digits), number.suffix(digits))
        }
        var out: [String] = []
        var index = 0
        while index < numbers.count {
            var end = index
            if let first = split(numbers[index]), var value = Int(first.digits) {
                while end + 1 < numbers.count, let next = split(numbers[end + 1]), next.prefix == first.prefix,
                      next.digits.count == first.digits.count, Int(next.digits) == value + 1 {
                    end += 1
                    value += 1
                }
            }
            if end - index >= 2 {
                out.append("\(numbers[index])–\(numbers[end])")
            } else {
                out += numbers[index...end]
            }
            index = end + 1
        }
        return out
    }
}

/// A JSON value with exact decimals (Fortnox reads quantities and prices as numbers).
enum JSONValue: Encodable {
    case string(String)
    case number(Decimal)
    case array([JSONValue])
    case object([String: JSONValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let fields): try container.encode(fields)
        }
    }
}

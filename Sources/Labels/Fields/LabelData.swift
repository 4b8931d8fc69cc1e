public import Foundation
import Problems

/// The data printed on one label: a tree of strings, numbers, booleans, lists and objects, e.g.
/// `{"product": {"gtin": "09501101530003"}, "lot": {"number": "L42", "expiry": "2027-01-31"}}`.
///
/// Labels does not know the registry: the caller (a station, the command line) builds this value
/// from a lot, a serial, a document or a JSON file. Dates are ISO 8601 strings (`2027-01-31`).
public enum LabelData: Hashable, Sendable {
    case string(String)
    case number(Decimal)
    case bool(Bool)
    case list([LabelData])
    case object([String: LabelData])
    case null

    /// The value at a dotted path such as `lot.expiry`, or `nil` when the data does not have it.
    public subscript(path path: String) -> LabelData? {
        var node = self
        for key in path.split(separator: ".") {
            switch node {
            case .object(let members):
                guard let child = members[String(key)] else { return nil }
                node = child
            case .list(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                node = items[index]
            default:
                return nil
            }
        }
        return node
    }

    /// The value as text: numbers in plain notation, `true`/`false`, lists and objects empty.
    public var text: String {
        switch self {
        case .string(let value): value
        case .number(let value): value.plainText
        case .bool(let value): value ? "true" : "false"
        case .list, .object, .null: ""
        }
    }

    /// Reads JSON (an object at the top).
    public init(json: Data) throws(LabelError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        } catch {
            throw LabelError(.syntax, "label data is not valid JSON: \(error.localizedDescription)")
        }
        self = LabelData(any: object)
    }

    /// The data as compact JSON with sorted keys (kept with a print job, so it can be re-rendered).
    public var jsonText: String {
        switch self {
        case .string(let value): JSONText.quoted(value)
        case .number(let value): "\(value)"
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        case .list(let items): "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.keys.sorted().map { JSONText.quoted($0) + ":" + members[$0]!.jsonText }.joined(separator: ",") + "}"
        }
    }

    /// Converts what JSONSerialization or Yams produced (dictionaries, arrays, strings, numbers).
    init(any value: Any) {
        switch value {
        case let string as String: self = .string(string)
        case let bool as Bool where type(of: value) == Bool.self: self = .bool(bool)
        case let number as NSNumber:
            if isBoolean(number) { self = .bool(number.boolValue) } else {
                self = .number(Decimal(string: number.stringValue) ?? number.decimalValue)
            }
        case let int as Int: self = .number(Decimal(int))
        case let double as Double: self = .number(Decimal(string: "\(double)") ?? Decimal(double))
        case let array as [Any]: self = .list(array.map(LabelData.init(any:)))
        case let dictionary as [String: Any]: self = .object(dictionary.mapValues(LabelData.init(any:)))
        case is NSNull: self = .null
        default: self = .string("\(value)")
        }
    }

    /// A copy with `value` at a dotted path (creating objects on the way), e.g. for `--set serial=42`.
    public func setting(_ path: String, to value: LabelData) -> LabelData {
        let keys = path.split(separator: ".").map(String.init)
        return Self.set(keys[...], value, in: self)
    }

    private static func set(_ keys: ArraySlice<String>, _ value: LabelData, in node: LabelData) -> LabelData {
        guard let key = keys.first else { return value }
        var members: [String: LabelData] = [:]
        if case .object(let existing) = node { members = existing }
        members[key] = set(keys.dropFirst(), value, in: members[key] ?? .null)
        return .object(members)
    }
}

/// JSONSerialization gives booleans as NSNumber; on Linux they are distinguishable by their
/// Objective-C type encoding "c" (char), which numbers never have.
private func isBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
}

extension Decimal {
    /// The value as `"\(value)"` writes it. Whole numbers (quantities, counters) go through
    /// Int64, several times faster than Decimal's own formatter on every label's path; the
    /// magnitude is checked as a Double (cheaper than comparing Decimals), where every whole
    /// number below 10^15 is exact.
    var plainText: String {
        guard !isNaN, exponent >= 0 else { return "\(self)" }
        let number = NSDecimalNumber(decimal: self)
        guard abs(number.doubleValue) < 1e15 else { return "\(self)" }
        return String(number.int64Value)
    }
}

public import Foundation
public import GS1

/// A lot or a serial unit: one number of one product, with its dates, status and records.
public struct LotSerial: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case lot, serial
    }
    public enum Status: String, Codable, Sendable, CaseIterable {
        case available, quarantined, blocked, consumed, shipped, writtenOff = "written-off"
        /// Voided before it ever held stock (`lot void`): never issued again.
        case voided
    }
    /// How the number came to exist.
    public enum Origin: String, Codable, Sendable {
        /// Made from the class's number format by the registry.
        case generated
        /// Typed or scanned (a supplier's number, a number from before Tracemark).
        case entered
        /// Created at transaction time for a product that allows unknown serials.
        case unknown
    }

    public var id: Int
    /// The product's article number.
    public var product: String
    public var kind: Kind
    public var number: String
    public var expiry: CalendarDate?
    public var production: CalendarDate?
    public var status: Status
    /// Set when the number appeared in a transaction without ever being received.
    public var flaggedForInvestigation: Bool
    public var origin: Origin
    /// For generated numbers: the series whose counter value made it.
    public var series: String?
    public var counter: Int?
    public var createdAt: String
    public var attributes: [Attribute]
    public var attachments: [Attachment]
}

/// A free attribute of a lot or serial: a test result, a supplier's batch, a moisture figure.
public struct Attribute: Codable, Hashable, Sendable {
    public enum Value: Codable, Hashable, Sendable {
        case text(String)
        case number(Decimal)
        case date(CalendarDate)

        var kind: String {
            switch self {
            case .text: "text"
            case .number: "number"
            case .date: "date"
            }
        }

        var stored: String {
            switch self {
            case .text(let text): text
            case .number(let number): number.description
            case .date(let date): date.description
            }
        }

        init?(kind: String, stored: String) {
            switch kind {
            case "text": self = .text(stored)
            case "number": guard let d = Decimal(string: stored, locale: Locale(identifier: "en_US_POSIX")) else { return nil }; self = .number(d)
            case "date": guard let d = CalendarDate(iso: stored) else { return nil }; self = .date(d)
            default: return nil
            }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let kind = try container.decode(String.self, forKey: .type)
            // A number may be given as a JSON number ({"type": "number", "value": 12.5}) as well
            // as text: it was refused as "expected text" (found by a QA run).
            let value: String
            if kind == "number", let number = try? container.decode(Decimal.self, forKey: .value) {
                value = number.description
            } else {
                value = try container.decode(String.self, forKey: .value)
            }
            guard let decoded = Value(kind: kind, stored: value) else {
                throw DecodingError.dataCorruptedError(forKey: .value, in: container,
                                                       debugDescription: "\(value) is not a \(kind)")
            }
            if let problem = Value.problem(kind: kind, text: value) {
                throw DecodingError.dataCorruptedError(forKey: .value, in: container, debugDescription: problem)
            }
            self = decoded
        }

        /// What is wrong with `text` given as a value of `kind`, beyond what reading it finds: a
        /// number must be one whole (Foundation reads the leading digits of "1,25" or "55 mPa·s"
        /// and stopped there: a lab's 1.25 was kept as 1; found by a QA run), and a text holds
        /// no control character or line break (it is shown, printed and exported on one line).
        static func problem(kind: String, text: String) -> String? {
            switch kind {
            case "number":
                let plain = text.trimmingCharacters(in: .whitespaces)
                guard plain.range(of: #"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil else {
                    return "\"\(text)\" is not a number: write it as 1.25 (a point for decimals, no unit: name the unit in the attribute's name, such as viscosity_mPa_s)"
                }
                return nil
            case "text":
                guard let control = Identifier.lineBreakOrControl(in: text) else { return nil }
                return "\(text.debugDescription) holds U+\(String(control.value, radix: 16, uppercase: true)), a control character or line break: a text attribute is one line"
            default:
                return nil
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .type)
            try container.encode(stored, forKey: .value)
        }

        private enum CodingKeys: String, CodingKey { case type, value }
    }

    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    /// Parses `text` as `type` (`text`, `number` or `date`).
    public static func parse(name: String, type: String, text: String) throws(RegistryError) -> Attribute {
        if let problem = Value.problem(kind: type, text: text) { throw RegistryError(.invalidInput, "attribute \(name): \(problem)") }
        guard let value = Value(kind: type, stored: text) else {
            if !["text", "number", "date"].contains(type) {
                throw RegistryError(.invalidInput, "attribute \(name): type \"\(type)\" is not one of text, number, date")
            }
            throw RegistryError(.invalidInput, "attribute \(name): \"\(text)\" is not a \(type)\(type == "date" ? " (YYYY-MM-DD)" : type == "number" ? ": write it as 1.25 (and within what a decimal holds: at most 38 digits, exponents to 127)" : "")")
        }
        return Attribute(name: name, value: value)
    }
}

/// A file kept with a lot or serial (a certificate of analysis, a test report).
public struct Attachment: Codable, Hashable, Sendable {
    public var id: Int
    public var fileName: String
    public var mediaType: String
    public var size: Int
    /// Lower-case hex SHA-256 of the content.
    public var sha256: String
    public var createdAt: String
}

/// A number ``Registry/retire(product:number:reason:user:)`` voided, and what it was before.
public struct VoidedNumber: Hashable, Sendable {
    public enum Before: Hashable, Sendable {
        /// A registered lot or serial, in this status.
        case registered(LotSerial.Status)
        /// A number of a reserved block (pre-printed labels) that was never used.
        case reserved(block: Int)
        /// A number the registry had never seen: a typo is voided for good too.
        case neverRegistered
    }

    public var number: String
    public var was: Before
}

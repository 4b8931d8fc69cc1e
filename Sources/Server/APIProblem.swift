import Foundation
import Labels
import Printing
public import Problems
import Registry
import Stations
import Store

/// A refusal of the API's own (a missing token, a body too large, a bad parameter), reported
/// like every other ``ReportableError``.
public struct APIProblem: ReportableError, CustomStringConvertible {
    public let problemCode: String
    public let problemDetail: String
    public let httpStatus: Int
    public var exitStatus: Int32 { httpStatus >= 500 ? 69 : 1 }
    /// Headers the answer carries (`WWW-Authenticate`, `Retry-After`).
    public var headers: [String: String] = [:]

    public init(_ status: Int, _ code: String, _ detail: String, headers: [String: String] = [:]) {
        self.httpStatus = status
        self.problemCode = code
        self.problemDetail = detail
        self.headers = headers
    }

    public var description: String { "\(httpStatus) \(problemCode): \(problemDetail)" }

    static func badRequest(_ detail: String) -> APIProblem { APIProblem(400, "bad-request", detail) }

    /// `body()`, whose refusal is about item `index` of the body's list `list`: it says so, as
    /// the registry's refusals of a posting do (`(lines[1])`).
    static func item<T>(_ list: String, _ index: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let problem as APIProblem {
            throw APIProblem(problem.httpStatus, problem.problemCode, "\(problem.problemDetail) (\(list)[\(index)])", headers: problem.headers)
        }
    }
}

/// A command to a station's task that the station refused (a run already open, nothing to
/// post, a line that waits for a confirmation): 409, with the station's outcome (its reasons, what
/// to do next, the scan it logged) in the problem document.
struct CommandRefused: ReportableError {
    let outcome: ScanOutcome
    var problemCode: String { "command-refused" }
    var problemDetail: String {
        let reasons = outcome.reasons.map(\.message).joined(separator: "; ")
        return (reasons.isEmpty ? "the station refused it" : reasons) + (outcome.next.isEmpty ? "" : " (\(outcome.next))")
    }
    var httpStatus: Int { 409 }
    var exitStatus: Int32 { 1 }
}

/// An RFC 9457 problem document: `type`, `title`, `status`, `detail`, and the stable `code`.
struct ProblemDocument: Codable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var code: String
    var instance: String?
    /// A refused command's outcome at the station.
    var outcome: ScanOutcome?

    init(_ error: any ReportableError, instance: String?) {
        self.code = error.problemCode
        self.outcome = (error as? CommandRefused)?.outcome
        self.type = "urn:tracemark:problem:\(error.problemCode)"
        self.title = ProblemDocument.title(error.httpStatus)
        self.status = error.httpStatus
        // A template's error names its file by name, not by the server's path to it.
        if let labelError = error as? LabelError, let file = labelError.file {
            self.detail = LabelError(labelError.code, labelError.message, file: URL(fileURLWithPath: file).lastPathComponent,
                                     line: labelError.line, element: labelError.element).description
        } else {
            self.detail = error.problemDetail
        }
        self.instance = instance
    }

    /// Any error as a problem: Tracemark's own with their code and status; a driver's readable
    /// database error as 503; anything else as 500 without its insides.
    static func reportable(_ error: any Error) -> any ReportableError {
        if let error = error as? any ReportableError { return error }
        if let readable = DatabaseErrors.readable(error) {
            // Out of reach or busy: try again later. Refused for what it asked: a fault of ours.
            return DatabaseErrors.isTransient(error) ? APIProblem(503, DatabaseErrors.isLockWait(error) ? "locked" : "database", readable)
                                                     : APIProblem(500, "internal", "\(readable); nothing was written")
        }
        if let error = error as? DecodingError { return APIProblem.badRequest("the body is not what this operation takes: \(Self.describe(error))") }
        return APIProblem(500, "internal", "the server failed; its log has the details")
    }

    /// A key of an object, or an index of a list, on the way to a place in a body.
    enum Either { case key(String), index(Int) }

    /// `lines[1].quantity (item 2 of lines)`: a place in a body, positions from 0 as in JSON,
    /// the item's own number beside it.
    static func place(_ path: [Either]) -> String {
        var text = "", hint = ""
        var previous: String?
        for component in path {
            switch component {
            case .index(let index):
                text += "[\(index)]"
                if hint.isEmpty, let previous { hint = " (item \(index + 1) of \(previous))" }
            case .key(let key):
                text += (text.isEmpty ? "" : ".") + key
                previous = key
            }
        }
        return text.isEmpty ? "the body" : text + hint
    }

    /// Where in the body and what: `lines[1].quantity (line 2 of lines): expected a number, found
    /// a string`. Positions count from 0 as in JSON; the line's own number is given beside it.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, then key: (any CodingKey)? = nil) -> String {
            place((context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map(Either.index) ?? .key($0.stringValue) })
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Bool.Type: "true or false"
            case is Double.Type, is Float.Type, is Decimal.Type, is Int.Type, is Int64.Type, is Int32.Type: "a number"
            case is [Any].Type: "a list"
            default: String(describing: type).hasPrefix("Array") ? "a list" : "an object"
            }
        }
        /// "found a string" from Foundation's "Expected to decode Double but found a string instead.".
        func found(_ description: String) -> String {
            guard let start = description.range(of: "but found "), let end = description.range(of: " instead", range: start.upperBound..<description.endIndex) else {
                return description
            }
            let what = description[start.upperBound..<end.lowerBound].lowercased()
            let words = ["a dictionary": "an object", "dictionary": "an object", "an array": "a list", "array": "a list",
                         "number": "a number", "string": "a string", "bool": "true or false", "a bool": "true or false",
                         "null value": "null"]
            return "found " + (words[what] ?? what)
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context, then: key)) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(kind(type)), \(found(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(kind(type)), found null"
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return "not valid JSON" }
            // "Cannot initialize Status from invalid String value bogus": a value an enumeration
            // does not have, said without Swift's words, with the values it takes.
            let text = context.debugDescription
            if text.hasPrefix("Cannot initialize "), let from = text.range(of: " from invalid "),
               let value = text.range(of: " value ", range: from.upperBound..<text.endIndex) {
                let type = String(text[text.index(text.startIndex, offsetBy: 18)..<from.lowerBound])
                let given = String(text[value.upperBound...])
                let allowed = enumerations[type].map { ": use one of \($0.joined(separator: ", "))" } ?? ""
                return "\(path(context)): \"\(given)\" is not a value it takes\(allowed)"
            }
            return "\(path(context)): \(text)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The values of the enumerations bodies carry, by type name (names two types share are left out).
    private static let enumerations: [String: [String]] = [
        "Status": LotSerial.Status.allCases.map(\.rawValue),
        "Tracking": LotSerialClass.Tracking.allCases.map(\.rawValue),
        "SerialQuantity": LotSerialClass.SerialQuantity.allCases.map(\.rawValue),
        "Assignment": LotSerialClass.Assignment.allCases.map(\.rawValue),
        "IssueMethod": LotSerialClass.IssueMethod.allCases.map(\.rawValue),
        "CounterScope": LotSerialClass.CounterScope.allCases.map(\.rawValue),
        "Uniqueness": LotSerialClass.Uniqueness.allCases.map(\.rawValue),
        "DocumentKind": DocumentKind.allCases.map(\.rawValue),
    ]

    static func title(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error"
        }
    }
}

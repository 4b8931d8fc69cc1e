import Foundation
import Hummingbird
import Problems

/// One operation of the API: its method and path (OpenAPI style, `{id}`), the role it needs
/// (none: open to anyone who can reach the port), and what it does. The router, the role check
/// and the test that holds the OpenAPI document to the server all read this one table.
public struct APIRoute: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
    }

    public let method: Method
    public let path: String
    public let role: Role?
    public let operationID: String
    let handler: @Sendable (APICall) async throws -> APIResponse

    init(_ method: Method, _ path: String, _ operationID: String, role: Role?,
         _ handler: @escaping @Sendable (APICall) async throws -> APIResponse) {
        self.method = method
        self.path = path
        self.role = role
        self.operationID = operationID
        self.handler = handler
    }
}

/// A request as an operation sees it: its parameters, body and caller, and the service's parts.
struct APICall: Sendable {
    let environment: APIEnvironment
    let parameters: [String: String]
    let query: [String: String]
    let headers: [String: String]
    let body: Data
    /// The token's name: who made a write.
    let caller: APIToken?
    let requestID: String

    func parameter(_ name: String) throws -> String {
        guard let value = parameters[name], !value.isEmpty else { throw APIProblem.badRequest("the path has no \(name)") }
        return value
    }

    /// The JSON body as `T`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw APIProblem.badRequest("this operation takes a JSON body") }
        if let place = DuplicateKey.find(in: body) {
            throw APIProblem.badRequest("the body is not what this operation takes: \(place) is given twice; give each field once")
        }
        if let place = NULCharacter.find(in: body) {
            // Valid JSON, and within the schema: a value this service cannot take (422).
            throw APIProblem(422, "invalid-input", "\(place) holds a NUL character (\\u0000), which no text takes")
        }
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Foundation says "not valid JSON", and nothing more, of valid JSON with a number
            // that does not fit where it goes (2.5 for a count): say which.
            if let unfit = UnfitNumber.find(in: body, decoding: type) {
                throw APIProblem.badRequest("the body is not what this operation takes: \(unfit)")
            }
            throw DecodingError.dataCorrupted(context)
        }
    }

    /// Decodes a body whose every field must be one `shape` knows: a misspelt or misplaced field
    /// (`partner` for `customer`) is refused, naming it, rather than ignored and the document
    /// posted without it.
    func decode<T: Decodable>(_ type: T.Type, shape: JSONShape) throws -> T {
        let value = try decode(type)
        if let object = try? JSONSerialization.jsonObject(with: body) { try shape.check(object, at: "") }
        return value
    }

    var user: String { caller?.user ?? caller?.name ?? "anonymous" }

    /// The `Link` header of a CSV page that another follows: this request's query, filters and
    /// all, with the next page's cursor.
    func nextLink(cursor: String) -> String {
        var items = query.filter { $0.key != "cursor" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        items.append(("cursor", cursor))
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#;,<>\"")
        let text = items.map { key, value in
            (key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key) + "="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
        return "<?\(text)>; rel=\"next\""
    }

    /// A free-text filter of the query: an empty value filters nothing (`?station=`).
    func filter(_ name: String) -> String? {
        query[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A `true`/`false` query parameter; absent is false.
    func flag(_ name: String) throws -> Bool {
        switch query[name] {
        case nil, "false": return false
        case "true": return true
        case let other?: throw APIProblem.badRequest("\(name) must be true or false, not \(other)")
        }
    }

    /// Whether the client asked for CSV (a spreadsheet) rather than JSON.
    func wantsCSV() throws -> Bool {
        switch query["format"] {
        case "csv": return true
        case "json": return false
        case nil: return (headers["accept"] ?? "").contains("text/csv")
        case let format?: throw APIProblem.badRequest("format \(format) is not json or csv")
        }
    }
}

/// An answer: status, media type, bytes and extra headers. Kept whole (not streamed), so that
/// an idempotent write's first answer can be stored and replayed byte for byte.
struct APIResponse: Sendable {
    var status: Int
    var contentType: String
    var body: Data
    var headers: [String: String] = [:]
    /// A body written as it goes (the event feed) instead of `body`; never stored for replay.
    var stream: (@Sendable (inout any ResponseBodyWriter) async throws -> Void)? = nil

    static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A time as every other in the API: ISO 8601, not seconds since 2001 (Foundation's default).
        encoder.dateEncodingStrategy = .iso8601
        return APIResponse(status: status, contentType: "application/json", body: try encoder.encode(value))
    }

    static func text(_ text: String, contentType: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: contentType, body: Data(text.utf8))
    }

    static func problem(_ error: any Error, instance: String?) -> APIResponse {
        let reportable = ProblemDocument.reportable(error)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(ProblemDocument(reportable, instance: instance))) ?? Data()
        var response = APIResponse(status: reportable.httpStatus, contentType: "application/problem+json", body: body)
        if let problem = reportable as? APIProblem { response.headers = problem.headers }
        // Unavailable for now (the database busy or locked, a printer's queue full): a client
        // that retries is told when, rather than at once and again. The database waited up to
        // its busy or lock timeout (5 s) already before it gave up.
        if response.status == 503, !response.headers.keys.contains(where: { $0.lowercased() == "retry-after" }) {
            response.headers["Retry-After"] = "2"
        }
        return response
    }
}

/// Cursor paging: `limit` (at most ``maximum``) and an opaque `cursor` from the previous page.
struct Page {
    static let maximum = 500
    let limit: Int
    /// The id after which the page starts (lists run newest first: ids below it).
    let before: Int64?

    /// With `numericCursor` false the caller reads a cursor of its own (`before` stays `nil`).
    init(_ call: APICall, defaultLimit: Int = 50, numericCursor: Bool = true) throws {
        let limit = try call.query["limit"].map { text -> Int in
            guard let value = Int(text), value >= 1 else { throw APIProblem.badRequest("limit must be a whole number from 1 to \(Page.maximum)") }
            return value
        } ?? defaultLimit
        guard limit <= Page.maximum else {
            throw APIProblem(400, "page-too-large", "limit \(limit) is more than the \(Page.maximum) a page may hold: follow the cursor instead")
        }
        self.limit = limit
        if numericCursor, let cursor = call.query["cursor"] {
            guard cursor.count <= 18, cursor.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int64(cursor) else {
                throw APIProblem.badRequest("cursor \(cursor) is not one this server gives out (a number)")
            }
            self.before = id
        } else {
            self.before = nil
        }
    }

    /// The cursor of the page after one that ended with `lastID`: the lists run newest first.
    static func cursor(after lastID: Int64) -> String { String(lastID) }
}

/// The fields a JSON body may have, and those of the objects (or arrays of objects) under them.
struct JSONShape: Sendable {
    let fields: [String]
    let nested: [String: JSONShape]
    /// What the refusal calls the body ("a receipt"), when not "the body".
    let name: String?

    init(_ fields: [String], nested: [String: JSONShape] = [:], name: String? = nil) {
        self.fields = fields
        self.nested = nested
        self.name = name
    }

    /// Refuses a field the shape does not know: 400 by default (the body is not what the
    /// operation takes); `status` 422 for a shape narrower than the operation's schema (a field
    /// of another kind of document).
    func check(_ value: Any, at path: String, status: Int = 400) throws {
        if let list = value as? [Any] {
            for (index, item) in list.enumerated() { try check(item, at: "\(path)[\(index)]", status: status) }
            return
        }
        guard let object = value as? [String: Any] else { return }
        for key in object.keys.sorted() {
            let place = path.isEmpty ? key : "\(path).\(key)"
            guard fields.contains(key) else {
                let message = "unknown field \(place): \(path.isEmpty ? name ?? "the body" : path) takes \(fields.joined(separator: ", "))"
                throw status == 400 ? APIProblem.badRequest(message) : APIProblem(status, "invalid-input", message)
            }
            if let inner = nested[key], let child = object[key] { try inner.check(child, at: place, status: status) }
        }
    }
}

/// A number in a valid JSON body that its field cannot hold: a fraction or a number beyond 64
/// bits where a whole number goes. Found by putting 0 in place of each such number in turn
/// until the body decodes, or fails for another reason: the last one replaced was it.
enum UnfitNumber {
    typealias Path = [ProblemDocument.Either]

    static func find<T: Decodable>(in body: Data, decoding type: T.Type) -> String? {
        guard var object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else { return nil }
        var candidates: [(path: Path, text: String)] = []
        collect(object, path: [], into: &candidates)
        for candidate in candidates {
            object = replacing(object, at: candidate.path[...])
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]) else { return nil }
            do {
                _ = try JSONDecoder().decode(type, from: data)
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue
            } catch {}
            let whole = candidate.text.contains(".") || candidate.text.lowercased().contains("e-")
            return "\(ProblemDocument.place(candidate.path)): \(candidate.text) is \(whole ? "not a whole number, which it must be" : "too large")"
        }
        return nil
    }

    private static func collect(_ value: Any, path: Path, into candidates: inout [(path: Path, text: String)]) {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() { collect(object[key]!, path: path + [.key(key)], into: &candidates) }
        case let list as [Any]:
            for (index, item) in list.enumerated() { collect(item, path: path + [.index(index)], into: &candidates) }
        case let number as NSNumber where !(value is Bool):
            let double = number.doubleValue
            if double.rounded() != double || abs(double) >= 9.2e18 {
                candidates.append((path, number.description))
            }
        default:
            break
        }
    }

    private static func replacing(_ value: Any, at path: ArraySlice<ProblemDocument.Either>) -> Any {
        switch path.first {
        case nil:
            return 0
        case .key(let key)?:
            guard var object = value as? [String: Any], let member = object[key] else { return value }
            object[key] = replacing(member, at: path.dropFirst())
            return object
        case .index(let index)?:
            guard var list = value as? [Any], list.indices.contains(index) else { return value }
            list[index] = replacing(list[index], at: path.dropFirst())
            return list
        }
    }
}

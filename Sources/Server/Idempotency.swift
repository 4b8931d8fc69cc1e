import Crypto
import Foundation
import SQLKit
import Store
import TracemarkSystem

/// Idempotent writes: the first answer to an `Idempotency-Key` is stored and replayed for 24
/// hours, so a client that lost the answer can send the same request again without acting twice.
///
/// - The same key while the first request still runs: 409.
/// - The same key with another request (method, path or body): 422.
/// - An answer of 5xx is not kept: the request may be tried again with the same key.
///
/// Keys belong to a token: two clients cannot collide. The record is in the database, so a
/// replay works in every process of the service, and after a restart.
struct Idempotency: Sendable {
    let store: any SQLStore
    static let lifetime: TimeInterval = 24 * 3600
    /// A request still `running` after this long belongs to a process that stopped (one of
    /// another machine, whose death cannot be seen from here).
    static let abandonedAfter: TimeInterval = 600
    /// This process, as the one running its requests: a request left `running` by a process of
    /// this machine that has gone is tried again at once, not refused for ten minutes.
    static let process = ProcessIdentity.start()

    func run(key: String, caller: APIToken?, route: APIRoute, call: APICall,
             _ body: () async throws -> APIResponse) async throws -> APIResponse {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIProblem.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say)")
        }
        let owner = caller?.name ?? "anonymous"
        // The same request is the same JSON, whatever the order of its keys or its spacing: a
        // client that rebuilt its body for the retry was refused as reusing the key (found by a
        // QA run). A fingerprint of the bytes as sent (how it was taken before) still matches.
        func fingerprint(_ body: Data) -> String {
            SHA256.hash(data: Data("\(route.method.rawValue) \(route.operationID) \(call.parameters.sorted { $0.key < $1.key })".utf8) + body)
                .map { String(format: "%02x", $0) }.joined()
        }
        let asSent = fingerprint(call.body)
        let fingerprint = (try? JSONSerialization.jsonObject(with: call.body, options: [.fragmentsAllowed]))
            .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
            .map(fingerprint) ?? asSent
        let now = Date()
        let expired = Timestamp.string(now.addingTimeInterval(-Self.lifetime))
        let abandoned = Timestamp.string(now.addingTimeInterval(-Self.abandonedAfter))
        let claimed: Stored?
        do { claimed = try await store.write { db in
            try await db.raw("DELETE FROM api_idempotency WHERE created_at < \(bind: expired)").run()
            // A first request whose process stopped before it answered: tried again, not refused for a day.
            try await db.raw("""
                DELETE FROM api_idempotency WHERE state = 'running' AND created_at < \(bind: abandoned)
                """).run()
            let row = try await db.raw("""
                SELECT fingerprint, state, status, content_type, body, holder, headers FROM api_idempotency
                WHERE token = \(bind: owner) AND idempotency_key = \(bind: key)
                """).first()
            if let row, try Self.abandoned(row) {
                // A first request whose process has gone: this one takes its place.
                try await db.raw("DELETE FROM api_idempotency WHERE token = \(bind: owner) AND idempotency_key = \(bind: key)").run()
            } else if let row {
                return Stored(fingerprint: try row.decode(column: "fingerprint", as: String.self),
                              state: try row.decode(column: "state", as: String.self),
                              status: try row.decode(column: "status", as: Int?.self),
                              contentType: try row.decode(column: "content_type", as: String?.self),
                              body: try row.decode(column: "body", as: Data?.self),
                              headers: try row.decode(column: "headers", as: String?.self))
            }
            try await db.raw("""
                INSERT INTO api_idempotency (token, idempotency_key, fingerprint, state, created_at, holder)
                VALUES (\(bind: owner), \(bind: key), \(bind: fingerprint), 'running', \(bind: Timestamp.string(now)),
                        \(bind: Self.process.description))
                """).run()
            return nil
        } } catch where DatabaseErrors.uniqueViolation(error) != nil {
            // The same key sent twice at once: the other request's row went in first (PostgreSQL
            // lets both look before either writes). It is running; this one is told so, not 500.
            throw APIProblem(409, "request-in-progress",
                             "the first request with Idempotency-Key \(key) is still running: ask again once it has answered",
                             headers: ["Retry-After": "1"])
        }
        if let stored = claimed {
            guard stored.state == "done", let status = stored.status else {
                throw APIProblem(409, "request-in-progress",
                                 "the first request with Idempotency-Key \(key) is still running: ask again once it has answered",
                                 headers: ["Retry-After": "1"])
            }
            guard stored.fingerprint == fingerprint || stored.fingerprint == asSent else {
                throw APIProblem(422, "idempotency-key-reused",
                                 "Idempotency-Key \(key) was used for another request: use a new key for a new request")
            }
            var headers = stored.headers.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            headers["Idempotent-Replayed"] = "true"
            return APIResponse(status: status, contentType: stored.contentType ?? "application/json",
                               body: Self.markedReplayed(stored.body ?? Data()), headers: headers)
        }
        let answer: APIResponse
        do {
            answer = try await body()
        } catch {
            answer = .problem(error, instance: nil)
        }
        // An answer that means "not now" (the server failing, the station still being taken over
        // after a restart, too many attempts) is no answer to keep: the same key tries again.
        let transient = answer.status >= 500 || answer.status == 429
            || (answer.status == 409 && String(decoding: answer.body, as: UTF8.self).contains("\"code\":\"station-elsewhere\""))
        try await store.write { db in
            if transient {
                try await db.raw("DELETE FROM api_idempotency WHERE token = \(bind: owner) AND idempotency_key = \(bind: key)").run()
            } else {
                let headers = answer.headers.isEmpty ? nil
                    : (try? JSONEncoder().encode(answer.headers)).map { String(decoding: $0, as: UTF8.self) }
                try await db.raw("""
                    UPDATE api_idempotency SET state = 'done', status = \(bind: answer.status), content_type = \(bind: answer.contentType),
                           body = \(bind: answer.body), headers = \(bind: headers)
                    WHERE token = \(bind: owner) AND idempotency_key = \(bind: key)
                    """).run()
            }
        }
        return answer
    }

    /// A request still `running` whose process, of this machine, has gone: it will never answer.
    private static func abandoned(_ row: any SQLRow) throws -> Bool {
        guard try row.decode(column: "state", as: String.self) == "running",
              let holder = try row.decode(column: "holder", as: String?.self).flatMap(ProcessIdentity.init(parsing:)) else { return false }
        return !holder.isAlive
    }

    private struct Stored: Sendable {
        var fingerprint: String
        var state: String
        var status: Int?
        var contentType: String?
        var body: Data?
        var headers: String?
    }
}

extension Idempotency {
    /// A stored answer that tells, in its body, whether it is a replay (a scan's outcome,
    /// `"replayed":false` when first given), says so now as the header does.
    static func markedReplayed(_ body: Data) -> Data {
        guard var object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], object["replayed"] as? Bool == false else {
            return body
        }
        object["replayed"] = true
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? body
    }
}

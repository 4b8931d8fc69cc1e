import Foundation
import Testing
@_exported import TracemarkTesting

/// `tracemark serve` with its HTTP API, as a client meets it: a real process on a test database
/// with the demo's data, one token per role, and curl as the client.
struct APIService {
    let database: TestDatabase
    let serve: TracemarkProcess
    let base: String
    /// A token for each role, by role name.
    let tokens: [String: String]

    /// Starts serve with `stations` (YAML under `stations:`) and `printers` (under `printers:`).
    static func start(_ backend: Backend, stations: String = Self.dock, printers: String? = nil,
                      http: String = #"{listen: "127.0.0.1:0"}"#, environment: [String: String] = [:]) async throws -> APIService {
        let database = try await TestDatabase.make(backend)
        let demo = try await Command.tracemark(["demo", "--db", database.location], in: database.folder,
                                              environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
        guard demo.status == 0 else { throw Command.Failure("demo: \(demo.stderr)") }
        var tokens: [String: String] = [:]
        for role in ["viewer", "operator", "supervisor", "admin"] {
            let created = try await Command.tracemark(["token", "create", "--name", "\(role)-client", "--role", role, "--json",
                                                       "--db", database.location])
            guard created.status == 0, let json = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any],
                  let token = json["token"] as? String else { throw Command.Failure("token create: \(created.stderr)") }
            tokens[role] = token
        }
        let file = database.folder.appendingPathComponent("serve.yaml")
        try """
            database: "\(database.location)"
            http: \(http)
            printers:
              dock-label: \(printers ?? "{uri: \"file://\(database.folder.appendingPathComponent("labels").path)\", language: zpl, dpi: 203}")
            stations:
            \(stations)
            """.write(to: file, atomically: true, encoding: .utf8)
        let output = database.folder.appendingPathComponent("serve.out")
        let serve = try TracemarkProcess.launch(["serve", "--config", file.path],
                                                environment: ["TRACEMARK_TEMPLATES": Repository.templates.path].merging(environment) { $1 },
                                                output: output)
        var port: Int?
        _ = try await eventually {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)/api/v1"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":")[2].split(separator: "/")[0])
            }
            return port != nil || !serve.isRunning
        }
        guard let port else {
            serve.killIfRunning()
            throw Command.Failure("serve did not start its HTTP API: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
        }
        return APIService(database: database, serve: serve, base: "http://127.0.0.1:\(port)", tokens: tokens)
    }

    static let dock = """
          dock-1:
            kind: receiving
            warehouse: MAIN
            printer: dock-label
            template: gs1-lot-100x50
            supplier: ACME
          lookup-1:
            kind: lookup
            warehouse: MAIN
        """

    /// ``dock`` with its receiving station's `part-window` set to `seconds`.
    static func dock(partWindow seconds: String) -> String {
        dock.replacingOccurrences(of: "supplier: ACME", with: "supplier: ACME\n    part-window: \(seconds)")
    }

    func stop() async throws {
        let status = try await serve.stop()
        #expect(status == 0)
        await database.drop()
    }

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var code: String? { object["code"] as? String }
    }

    /// One request through curl: `role` picks the token (nil: none).
    /// `streaming`: the answer may be a stream that does not end (the event feed): curl stops
    /// reading after a few seconds, and an answer whose status had not come by then is status 0.
    func request(_ method: String, _ path: String, role: String? = "admin", body: Data? = nil, headers: [String: String] = [:],
                 token: String? = nil, streaming: Bool = false) async throws -> Answer {
        let folder = try Command.temporaryFolder("http")
        defer { try? FileManager.default.removeItem(at: folder) }
        let headerFile = folder.appendingPathComponent("headers"), bodyFile = folder.appendingPathComponent("body")
        // curl -X HEAD would wait for the body the length announces: -I asks without one.
        var arguments = ["-s", "--path-as-is"] + (method == "HEAD" ? ["-I"] : ["-X", method]) + ["-D", headerFile.path, "-o", bodyFile.path, "-w", "%{http_code}"]
        if streaming { arguments += ["--max-time", "3"] }
        if let secret = token ?? role.flatMap({ tokens[$0] }) { arguments += ["-H", "Authorization: Bearer \(secret)"] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            let file = folder.appendingPathComponent("request")
            try body.write(to: file)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"]
        }
        let result = try await Command.run("curl", arguments + [base + path])
        guard let status = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), status > 0 || streaming else {
            throw Command.Failure("curl \(method) \(path): \(result.stderr)")
        }
        var fields: [String: String] = [:]
        for line in ((try? String(contentsOf: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return Answer(status: status, headers: fields, body: (try? Data(contentsOf: bodyFile)) ?? Data())
    }

    func json(_ object: Any) throws -> Data { try JSONSerialization.data(withJSONObject: object) }
}

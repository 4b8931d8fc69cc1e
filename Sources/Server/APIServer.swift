public import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import NIOHTTP1
public import Printing
import Problems
public import Registry
import SQLKit
public import ServiceLifecycle
public import Stations
import Store
public import TracemarkSystem

/// What the API works on: the process's one registry and spool, its stations, its templates.
public struct APIEnvironment: Sendable {
    public var registry: Registry
    public var spool: Spool
    public var stations: [String: Station]
    public var templates: URL
    public var tokens: APITokens
    public var limits: APILimits
    let feedClients: FeedClients
    let eventHub: EventHub
    let metrics: APIMetrics
    let logins = LoginThrottle()

    public init(registry: Registry, spool: Spool, stations: [Station], templates: URL, tokens: APITokens,
                limits: APILimits = APILimits(), metrics: APIMetrics = APIMetrics()) {
        self.metrics = metrics
        self.registry = registry
        self.spool = spool
        self.stations = Dictionary(stations.map { ($0.configuration.name, $0) }) { first, _ in first }
        self.templates = templates
        self.tokens = tokens
        self.limits = limits
        self.feedClients = FeedClients(maximum: limits.eventClients)
        self.eventHub = EventHub(feed: EventFeed(store: registry.store), interval: limits.eventPoll)
    }
}

/// What one request may ask of the server.
public struct APILimits: Sendable {
    /// The largest request body, in bytes (label data, a scan).
    public var bodyBytes = 1 << 20
    /// Event-feed clients at once (each holds a connection and looks at the database).
    public var eventClients = 64
    /// How often the feed looks for new events, and how long it stays silent before a heartbeat.
    public var eventPoll: Duration = .milliseconds(250)
    public var heartbeat: Duration = .seconds(15)
    /// How long a client that vanished without closing (a tablet gone out of Wi-Fi range, a
    /// browser's machine powered off) keeps its connection, and its place among the event feed's
    /// clients: each accepted connection sends TCP keepalives and gives up on data left
    /// unacknowledged (`http.keepalive`; 0 leaves the system's two hours, or fifteen minutes once
    /// a heartbeat is in flight).
    public var keepalive = TCPKeepalive()
    /// How long a connection may send nothing while its request is unfinished, or between two
    /// requests, before it is closed (`http.idle-timeout`): a client that connected and stopped
    /// halfway through its headers held a connection, and its memory, for ever. A response in
    /// progress (the event stream) is not cut: the client has nothing to send meanwhile.
    public var idleTimeout: Duration = .seconds(60)
    public init() {}
}

/// The HTTP API on Hummingbird: one route per ``APIRoute`` of ``APIRoutes/all``, each behind the
/// role check, the body limit and the idempotency store. A `Service`: it runs in the process's
/// service group and drains its connections on graceful shutdown.
public struct APIServer: Service {
    public let environment: APIEnvironment
    public let host: String
    public let port: Int
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// A server for `environment` at `host`:`port` (port 0: any free port, told to `onListening`).
    public init(environment: APIEnvironment, host: String = "127.0.0.1", port: Int = 8080,
                logger: Logger = Logger(label: "tracemark.http"), onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.environment = environment
        self.host = host
        self.port = port
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: UnknownPathMiddleware())
        let idempotency = Idempotency(store: environment.registry.store)
        for route in APIRoutes.all {
            let dispatcher = Dispatcher(route: route, environment: environment, idempotency: idempotency, logger: logger)
            router.on(RouterPath(route.path), method: HTTPRequest.Method(rawValue: route.method.rawValue)!) { request, context in
                await dispatcher.respond(request, context)
            }
            // HEAD answers as GET does, without the body (a monitor's HEAD /api/v1/healthz got
            // 405); not the event stream, whose GET subscribes.
            if Self.answersHead(route) {
                router.on(RouterPath(route.path), method: .head) { request, context in
                    await dispatcher.respond(request, context).createHeadResponse()
                }
            }
        }
        // A method a path does not take: 405 with the methods it does take, not 404.
        for (path, routes) in Dictionary(grouping: APIRoutes.all, by: \.path) {
            let methods = routes.map(\.method.rawValue) + (routes.contains(where: Self.answersHead) ? ["HEAD"] : [])
            let allowed = methods.sorted().joined(separator: ", ")
            for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"] where !methods.contains(method) {
                router.on(RouterPath(path), method: HTTPRequest.Method(rawValue: method)!) { request, _ in
                    let answer = APIResponse.problem(APIProblem(405, "method-not-allowed", "\(path) takes \(allowed)", headers: ["Allow": allowed]),
                                                     instance: request.uri.path)
                    var fields = HTTPFields()
                    fields[.contentType] = answer.contentType
                    fields[.allow] = allowed
                    return Response(status: .methodNotAllowed, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
                }
            }
        }
        WebPage.register(on: router)
        let onListening = onListening
        let keepalive = environment.limits.keepalive
        let app = Application(router: router, server: .http1(configuration: .init(additionalChannelHandlers: [ClientLiveness(keepalive), OneRequestConnections.Installer()],
                                                                                     idleTimeout: .init(environment.limits.idleTimeout))),
                              configuration: .init(address: .hostname(host, port: port), serverName: "tracemark"),
                              onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.run()
    }
}

extension APIServer {
    /// Whether `route` also answers HEAD: every GET but the event stream.
    static func answersHead(_ route: APIRoute) -> Bool { route.method.rawValue == "GET" && route.operationID != "events" }
}

/// A path under `/api/` that no route takes: a problem document like every other error of the
/// API, pointing at the routes there are, rather than Hummingbird's empty 404.
struct UnknownPathMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && request.uri.path.hasPrefix("/api/") {
            let answer = APIResponse.problem(APIProblem(404, "no-such-route",
                "no route \(request.method.rawValue) \(request.uri.path): the routes are listed in /api/v1/openapi.yaml"),
                instance: request.uri.path)
            var fields = HTTPFields()
            fields[.contentType] = answer.contentType
            return Response(status: .notFound, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }
}

/// Sets each accepted connection's keepalives and user timeout (``APILimits/keepalive``) as it
/// joins the server, then leaves its pipeline.
final class ClientLiveness: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let keepalive: TCPKeepalive

    init(_ keepalive: TCPKeepalive) { self.keepalive = keepalive }

    func handlerAdded(context: ChannelHandlerContext) {
        if keepalive.seconds > 0, let options = context.channel.syncOptions {
            // A socket that refuses an option keeps the system's behaviour: nothing to tell the client.
            try? options.setOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            try? options.setOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_KEEPIDLE), value: SocketOptionValue(keepalive.idle))
            try? options.setOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_KEEPINTVL),
                                   value: SocketOptionValue(keepalive.interval))
            try? options.setOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_KEEPCNT), value: SocketOptionValue(keepalive.probes))
            // The event feed writes a heartbeat at least every 15 s; keepalives do not probe a
            // connection with data in flight, so this is what ends a vanished reader's.
            try? options.setOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_USER_TIMEOUT),
                                   value: SocketOptionValue(keepalive.userTimeout))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// A connection whose request does not keep it alive (HTTP/1.0 without `Connection: keep-alive`,
/// or `Connection: close`) ends after its response, as HTTP/1.1 (RFC 9112, 9.3) asks: an HTTP/1.0
/// client reads the answer until the connection closes, and Hummingbird, whose requests carry no
/// version, kept such a connection open until the idle timeout (a health check or `ab` waited
/// a minute for each answer; found by a QA run). The request is marked `Connection: close`, which
/// ends Hummingbird's request loop; the answer says so too, and to an HTTP/1.0 client it goes as
/// HTTP/1.0, so that a streamed body is delimited by the close rather than in chunks it cannot read.
final class OneRequestConnections: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The requests read whose answer has not ended, oldest first (a pipelined client's requests
    /// are answered in order): each one's version, and whether its connection ends with its answer.
    private var requests: [(version: HTTPVersion, close: Bool)] = []
    /// Whether a request's head has come and its end not yet.
    private var reading = false
    /// A request the parser refused after others still being answered: answered after them.
    private var refused: HTTPParserError?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            if case .end = unwrapInboundIn(data) { reading = false }
            return context.fireChannelRead(data)
        }
        reading = true
        requests.append((head.version, !head.isKeepAlive))
        if !head.isKeepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            context.write(data, promise: promise)
            if !requests.isEmpty { requests.removeFirst() }
            if requests.isEmpty, let refused {
                self.refused = nil
                answer(context, refused)
            }
            return
        }
        // An interim answer (100 Continue) is not the request's answer.
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200, let request = requests.first else {
            return context.write(data, promise: promise)
        }
        if request.close { head.headers.replaceOrAdd(name: "connection", value: "close") }
        if request.version.major == 1, request.version.minor == 0 {
            head.version = request.version
            // HTTP/1.0 closes unless told otherwise (RFC 9112, 9.3).
            if !request.close { head.headers.replaceOrAdd(name: "connection", value: "keep-alive") }
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }

    /// A request that is not HTTP (a path past the size of a head, two Content-Lengths, a
    /// malformed request line) is answered with a problem document saying what is wrong, as every
    /// other refusal of the API, once the requests before it are answered, and the connection
    /// closed: Hummingbird answered an empty 400 (a QA run). An error in a request's body, which
    /// its route may be answering, goes on to Hummingbird as before, which closes the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, !reading else { return context.fireErrorCaught(error) }
        if requests.isEmpty {
            answer(context, parse)
        } else {
            refused = parse
        }
    }

    private func answer(_ context: ChannelHandlerContext, _ parse: HTTPParserError) {
        let answer = APIResponse.problem(APIProblem(400, "malformed-request", Self.describe(parse)), instance: nil)
        var buffer = context.channel.allocator.buffer(capacity: answer.body.count)
        buffer.writeBytes(answer.body)
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: HTTPHeaders([
            ("Content-Type", answer.contentType), ("Content-Length", String(answer.body.count)), ("Connection", "close"),
        ]))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.whenComplete { _ in bound.value.close(promise: nil) }
    }

    /// What is wrong with a request the HTTP parser refused, in words.
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow:
            "the request's line and header fields are longer than this server takes (a path, query or header of tens of kilobytes): no request of this API needs that much"
        case .invalidContentLength, .unexpectedContentLength:
            "Content-Length is malformed, given twice, or given with Transfer-Encoding: give it once, as a number of bytes"
        case .invalidChunkSize:
            "a chunk of the body has a malformed size (Transfer-Encoding: chunked)"
        case .invalidMethod:
            "the request line does not start with an HTTP method"
        case .invalidVersion:
            "the request line does not end with HTTP/1.0 or HTTP/1.1"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            "the request line's target is not a path with an optional query (characters such as spaces must be percent-encoded)"
        case .invalidHeaderToken, .invalidCharactersUsed, .lfExpected, .invalidConstant:
            "the request's line or a header field is malformed (each header field is a name, a colon and a value, on a line of its own ending in CR LF)"
        default:
            "the request is not HTTP/1.1 this server can read (\(error))"
        }
    }

    /// Added as one of Hummingbird's extra handlers (after its HTTP types codec, where a request's
    /// version is gone), it puts a ``OneRequestConnections`` before that codec and leaves.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
                let position: ChannelPipeline.SynchronousOperations.Position
                if let assistant = try? pipeline.handler(type: HTTPServerPipelineHandler.self) {
                    position = .after(assistant)
                } else {
                    position = .after(decoder)
                }
                try? pipeline.addHandler(OneRequestConnections(), position: position)
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}

/// One route's request handling: who is calling, what they may do, the body, idempotency, and
/// every failure as a problem document. Each request is logged with its id.
struct Dispatcher: Sendable {
    let route: APIRoute
    let environment: APIEnvironment
    let idempotency: Idempotency
    let logger: Logger

    /// Header fields that name one thing, refused when given twice.
    static let singleFields: Set<String> = ["idempotency-key", "authorization", "content-type", "content-length", "last-event-id"]

    func respond(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let started = ContinuousClock.now
        let requestID = context.id
        var headers: [String: String] = [:]
        var twice: String?
        for field in request.headers {
            let name = field.name.canonicalName
            if let earlier = headers[name] {
                // Lists (If-Match) join as HTTP says; a field that names one thing, given twice,
                // is ambiguous: two Idempotency-Keys kept the last, and a retry with the first
                // posted again (found by a QA run).
                if Self.singleFields.contains(name) { twice = twice ?? name } else { headers[name] = earlier + ", " + field.value }
            } else {
                headers[name] = field.value
            }
        }
        let answer: APIResponse
        var caller: APIToken?
        do {
            if let twice { throw APIProblem.badRequest("the request has the header \(twice) twice: send it once") }
            caller = try await authenticate(headers)
            var request = request
            let body = try await collect(&request)
            var parameters: [String: String] = [:]
            for name in Self.parameterNames(route.path) {
                // The router gives a path segment as sent: a lot `A/1 Ü` arrives as `A%2F1%20%C3%9C`.
                guard let raw = context.parameters.get(name) else { continue }
                guard let value = raw.removingPercentEncoding else {
                    throw APIProblem.badRequest("the path's \(name) \(raw) is not percent-encoded UTF-8 (write % as %25)")
                }
                // No text Tracemark keeps or looks for holds a NUL: PostgreSQL refuses it with a 500
                // that quoted the database (found by a QA run); SQLite would cut it there.
                // Nothing is named with one: not found, as any other name that is not there.
                guard !value.contains("\0") else { throw APIProblem(404, "not-found", "no \(name) holds a NUL character (%00), as the path's does") }
                parameters[name] = value
            }
            // A query value that is not UTF-8 once decoded is refused, as a path's is: decoded
            // lossily, %FF%FE was resolved as U+FFFD with 200 (found by a QA run). A `+` is a
            // space, as forms and every client's URL encoder write one (`AB+12` was looked up
            // as "AB+12"; found by a QA run); a `+` itself comes as %2B.
            var pairs: [(String, String)] = []
            for pair in (request.uri.query ?? "").split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decoded = parts.map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
                guard let key = decoded[0], decoded.count == 1 || decoded[1] != nil else {
                    throw APIProblem.badRequest("the query's \(parts.first.map(String.init) ?? "") is not percent-encoded UTF-8 (write % as %25)")
                }
                pairs.append((key, decoded.count > 1 ? decoded[1]! : ""))
            }
            try QueryParameters.check(pairs.map(\.0), operation: route.operationID)
            var query: [String: String] = [:]
            for (key, value) in pairs {
                guard !key.contains("\0"), !value.contains("\0") else {
                    throw APIProblem.badRequest("the query parameter \(key.replacingOccurrences(of: "\0", with: "%00")) holds a NUL character (%00)")
                }
                query[key] = value
            }
            try checkStation(caller, parameters, query: &query)
            let call = APICall(environment: environment, parameters: parameters, query: query, headers: headers, body: body,
                               caller: caller, requestID: requestID)
            // A sign-in's answer holds a session token, which must not be kept anywhere but as its
            // hash: its Idempotency-Key is not honoured (signing in again is harmless).
            if route.method != .get, route.operationID != "signIn", let key = headers["idempotency-key"] {
                answer = try await idempotency.run(key: key, caller: caller, route: route, call: call) {
                    try await handle(call, path: request.uri.path)
                }
            } else {
                answer = try await handle(call, path: request.uri.path)
            }
        } catch {
            answer = .problem(error, instance: request.uri.path)
        }
        environment.metrics.recordRequest(operation: route.operationID, method: route.method.rawValue, status: answer.status,
                                          duration: ContinuousClock.now - started)
        var log = logger
        log[metadataKey: "request"] = .string(requestID)
        log.info("\(route.method.rawValue) \(request.uri.path) → \(answer.status)",
                 metadata: ["caller": .string(caller?.name ?? "-"), "operation": .string(route.operationID)])
        var fields = HTTPFields()
        fields[.contentType] = answer.contentType
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        if let name = HTTPField.Name("X-Request-Id") { fields[name] = requestID }
        if let stream = answer.stream {
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(stream))
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func handle(_ call: APICall, path: String) async throws -> APIResponse {
        do {
            return try await route.handler(call)
        } catch {
            let answer = APIResponse.problem(error, instance: path)
            // A body the client got wrong is its mistake, answered 400 in words: not the server's.
            // What the server could not do (the database locked, deadlocked or out of reach: 5xx)
            // is the operator's to see, in the database's own words: the log said only
            // "PSQLError – Generic description", or nothing for a lost connection (a QA run).
            let words = DatabaseErrors.readable(error) ?? (error as? any ReportableError).map { "\($0)" } ?? "\(error)"
            if answer.status >= 500 {
                logger.error("\(route.operationID) failed (\(answer.status)): \(words)", metadata: ["request": .string(call.requestID)])
            } else if !(error is any ReportableError), !(error is DecodingError) {
                logger.error("\(route.operationID) failed: \(words)", metadata: ["request": .string(call.requestID)])
            }
            return answer
        }
    }

    /// The caller's token, checked against the route's role. Routes without a role are open.
    private func authenticate(_ headers: [String: String]) async throws -> APIToken? {
        guard let needed = route.role else { return nil }
        let challenge = ["WWW-Authenticate": "Bearer realm=\"tracemark\""]
        guard let secret = APITokens.bearer(headers) else {
            throw APIProblem(401, "unauthenticated", "send a token: Authorization: Bearer <token> (tracemark token create)", headers: challenge)
        }
        guard let token = try await environment.tokens.authenticate(secret) else {
            throw APIProblem(401, "unauthenticated", "the token is not known, or it was revoked", headers: challenge)
        }
        guard token.role >= needed else {
            let who = token.session != nil ? "the session of \(token.user ?? "its operator")" : "token \(token.name)"
            throw APIProblem(403, "forbidden", "\(route.operationID) needs the role \(needed.rawValue); \(who) has \(token.role.rawValue)")
        }
        return token
    }

    /// An operator's session acts only at the station it signed in at: its routes, its scan log
    /// and events (`?station=`). It posts stock documents through the station's task (TM:DONE),
    /// never directly: a badge is printed, not secret, and a QA run posted write-offs and
    /// transfers in any warehouse with a session opened by a badge alone.
    /// A session reads and acts at its own station only: another station named in the path or the
    /// query is refused, and a list or feed that names none (the scan log, the event feed) is
    /// narrowed to the session's station rather than showing every station's.
    private func checkStation(_ caller: APIToken?, _ parameters: [String: String], query: inout [String: String]) throws {
        guard let bound = caller?.station else { return }
        if ["listScans", "events"].contains(route.operationID), (query["station"] ?? "").isEmpty {
            query["station"] = bound
            // The feed's job and printer events: those of the station's own printer.
            if route.operationID == "events", (query["printer"] ?? "").isEmpty,
               let printer = environment.stations[bound]?.configuration.printer {
                query["printer"] = printer
            }
        }
        // Posting only: a station's session reads the journal as any operator does (its 403 spoke
        // of posting to a session that only read; found by a QA run).
        if route.path.hasPrefix("/api/v1/documents"), route.method != .get {
            throw APIProblem(403, "session-station",
                             "a station's session posts documents through its station's task (TM:DONE); stock documents over the API need an API token (tracemark token create)")
        }
        let station = route.path.hasPrefix("/api/v1/stations/{id}") ? parameters["id"] : query["station"]
        guard let station, station != bound else { return }
        throw APIProblem(403, "session-station", "this session signed in at station \(bound); sign in at \(station) to act there")
    }

    private func collect(_ request: inout Request) async throws -> Data {
        let limit = environment.limits.bodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIProblem(413, "body-too-large", "the body has \(length) bytes; at most \(limit) are taken")
        }
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch {
            throw APIProblem(413, "body-too-large", "the body is larger than the \(limit) bytes taken")
        }
    }

    static func parameterNames(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }
}

/// How the service group names it in its log (`--verbose`), not with its whole environment.
extension APIServer: CustomStringConvertible {
    public var description: String { "HTTP API on \(host):\(port)" }
}

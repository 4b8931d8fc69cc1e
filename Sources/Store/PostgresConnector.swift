import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Opens connections to one PostgreSQL server: over TCP sockets that notice a server gone silent,
/// or over the server's Unix-domain socket file on the same host.
///
/// A server whose host loses power, or whose network is cut, sends no FIN: without help, the
/// kernel keeps a connection to it open for about two hours when idle, and retransmits a
/// statement for about fifteen minutes before giving up, and a station waits all that time with
/// no word. So each socket gets TCP keepalives (an idle connection is probed) and a user timeout
/// (data the server has not acknowledged ends the connection), as libpq offers with the same
/// URL parameters; the defaults end a dead connection in about 25 s, and the statement on it
/// fails as `unavailable`. The server is asked to watch the session with the same settings (its
/// `tcp_keepalives_*` and `tcp_user_timeout`, PostgreSQL 12 or later), so that a station that
/// vanishes does not hold its locks for hours.
struct PostgresConnector: Sendable {
    /// Keepalives and the user timeout, in libpq's terms (`keepalives`, `keepalives_idle`,
    /// `keepalives_interval`, `keepalives_count`, `tcp_user_timeout`, `connect_timeout`).
    struct Liveness: Sendable, Equatable {
        var keepalives = true
        /// Seconds of silence before the first probe.
        var idle = 10
        /// Seconds between probes.
        var interval = 5
        /// Probes unanswered before the connection is dead.
        var count = 3
        /// Milliseconds that sent data may stay unacknowledged; 0 leaves the system's (about 15 minutes).
        var userTimeout = 25_000
        /// Seconds to connect and log in.
        var connectTimeout = 10

        /// The settings a URL's query asks for, each checked.
        init(_ items: [URLQueryItem], location: String) throws {
            func number(_ name: String, atLeast minimum: Int) throws -> Int? {
                guard let text = items.first(where: { $0.name == name })?.value else { return nil }
                guard let value = Int(text), value >= minimum else {
                    throw StoreError(.unsupported, "database \(location): \(name)=\(text) is not a whole number of at least \(minimum)")
                }
                return value
            }
            if let on = try number("keepalives", atLeast: 0) { keepalives = on != 0 }
            idle = try number("keepalives_idle", atLeast: 1) ?? idle
            interval = try number("keepalives_interval", atLeast: 1) ?? interval
            count = try number("keepalives_count", atLeast: 1) ?? count
            userTimeout = try number("tcp_user_timeout", atLeast: 0) ?? userTimeout
            // libpq reads 0 as "wait for ever"; a station that never hears back is what this prevents.
            connectTimeout = try number("connect_timeout", atLeast: 1) ?? connectTimeout
        }

        init() {}
    }

    /// Where the server listens, read from a URL as libpq reads it.
    enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The server's socket file (`DIRECTORY/.s.PGSQL.PORT`) on this host: no network, no TLS
        /// (libpq never asks for it there), and the operating system's user may log in by `peer`.
        case socket(path: String)

        /// Where libpq looks for a server's socket file when the URL names no host: Debian's
        /// and Red Hat's directory first, then PostgreSQL's own default.
        static let socketDirectories = ["/var/run/postgresql", "/tmp"]

        /// The endpoint of `components`: its host, or libpq's `host` parameter, which may also
        /// be a directory (`postgres:///tracemark?host=/var/run/postgresql`); a host that starts
        /// with `/` (percent-encoded in the authority, `postgres://%2Fvar%2Frun%2Fpostgresql/db`)
        /// or no host at all means the socket file in that directory or in libpq's default one.
        init(_ components: URLComponents, location: String, socketDirectories: [String] = Self.socketDirectories) throws {
            let items = components.queryItems ?? []
            let host = items.first { $0.name == "host" }?.value ?? components.host ?? ""
            var port = components.port ?? 5432
            if let text = items.first(where: { $0.name == "port" })?.value {
                guard let value = Int(text), (1...65_535).contains(value) else {
                    throw StoreError(.unsupported, "database \(location): port=\(text) is not a port number (1 to 65535)")
                }
                port = value
            }
            if host.contains(",") {
                throw StoreError(.unsupported, "database \(location): several hosts (\(host)) are not supported: name one server")
            }
            guard host.isEmpty || host.hasPrefix("/") else {
                self = .tcp(host: host, port: port)
                return
            }
            let file = ".s.PGSQL.\(port)"
            let directory = host.isEmpty
                ? socketDirectories.first { FileManager.default.fileExists(atPath: "\($0)/\(file)") } ?? socketDirectories[0]
                : String(host.reversed().drop { $0 == "/" }.reversed())
            let path = "\(directory)/\(file)"
            // sockaddr_un's sun_path, with its terminating zero.
            guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
                throw StoreError(.unsupported, "database \(location): the socket path \(path) is longer than the system allows (107 bytes)")
            }
            self = .socket(path: path)
        }
    }

    let endpoint: Endpoint
    let liveness: Liveness
    /// Everything but the endpoint: credentials, database, TLS and startup parameters.
    let configuration: PostgresConnection.Configuration
    let location: String

    init(endpoint: Endpoint, liveness: Liveness, configuration: PostgresConnection.Configuration, location: String) {
        self.endpoint = endpoint
        self.liveness = liveness
        self.location = location
        var configuration = configuration
        configuration.options.connectTimeout = .seconds(Int64(liveness.connectTimeout))
        guard case .tcp(let host, _) = endpoint else {
            // A socket file: nothing between the two processes to fall silent, nothing to probe.
            self.configuration = configuration
            return
        }
        // The name TLS checks the certificate against (and sends as SNI), which PostgresNIO takes
        // from the host only when it connects by itself; an address is no name for either.
        if configuration.options.tlsServerName == nil, !Self.isAddress(host) {
            configuration.options.tlsServerName = host
        }
        // The server watches the session the same way: a station that vanishes in the middle of
        // a transaction (holding a series' counter, a lot's stock row) would otherwise keep its
        // locks, and every other station waiting on them, for the server's two hours of silence
        // before the first probe. Ended sooner, its transaction rolls back and the locks go.
        if liveness.keepalives {
            configuration.options.additionalStartupParameters += [
                ("tcp_keepalives_idle", String(liveness.idle)), ("tcp_keepalives_interval", String(liveness.interval)),
                ("tcp_keepalives_count", String(liveness.count)),
            ]
        }
        if liveness.userTimeout > 0 {
            configuration.options.additionalStartupParameters.append(("tcp_user_timeout", String(liveness.userTimeout)))
        }
        self.configuration = configuration
    }

    /// A connection logged in, on a socket with the liveness settings.
    func connect(id: Int, logger: Logger) async throws -> PostgresConnection {
        let loop = PostgresConnection.defaultEventLoopGroup.any()
        let channel: any Channel
        switch endpoint {
        case .tcp(let host, let port):
            channel = try await Self.cancellable(bootstrap(on: loop).connect(host: host, port: port))
        case .socket(let path):
            do {
                channel = try await Self.cancellable(ClientBootstrap(group: loop)
                    .connectTimeout(.seconds(Int64(liveness.connectTimeout))).connect(unixDomainSocketPath: path))
            } catch let error as IOError {
                // "No such file or directory" alone does not say which file.
                throw SocketFailure(path: path, underlying: error)
            }
        }
        var configuration = PostgresConnection.Configuration(establishedChannel: channel, tls: self.configuration.tls,
                                                              username: self.configuration.username,
                                                              password: self.configuration.password,
                                                              database: self.configuration.database)
        configuration.options = self.configuration.options
        do {
            return try await PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    private func bootstrap(on loop: any EventLoop) -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: loop).connectTimeout(.seconds(Int64(liveness.connectTimeout)))
        if liveness.keepalives {
            bootstrap = bootstrap
                .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                .channelOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_KEEPIDLE), value: liveness.idle)
                .channelOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_KEEPINTVL), value: liveness.interval)
                .channelOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_KEEPCNT), value: liveness.count)
        }
        if liveness.userTimeout > 0 {
            bootstrap = bootstrap.channelOption(ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: TCP_USER_TIMEOUT),
                                                value: liveness.userTimeout)
        }
        return bootstrap
    }

    /// A server's socket file that could not be connected to, and why.
    struct SocketFailure: Error {
        let path: String
        let underlying: IOError
    }

    /// Whether `host` is an IPv4 or IPv6 address rather than a name.
    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Waits for a connecting socket, or stops waiting when the task is cancelled (a service
    /// stopping while the server does not answer); a socket that connects after that is closed.
    private static func cancellable(_ future: EventLoopFuture<any Channel>) async throws -> any Channel {
        let state = Mutex<(continuation: CheckedContinuation<any Channel, any Error>?, cancelled: Bool)>((nil, false))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let goOn = state.withLock { state -> Bool in
                    if state.cancelled { return false }
                    state.continuation = continuation
                    return true
                }
                guard goOn else {
                    continuation.resume(throwing: CancellationError())
                    future.whenSuccess { $0.close(promise: nil) }
                    return
                }
                future.whenComplete { result in
                    guard let continuation = state.withLock({ state in
                        defer { state.continuation = nil }
                        return state.continuation
                    }) else {
                        if case .success(let channel) = result { channel.close(promise: nil) }
                        return
                    }
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                defer { state.continuation = nil }
                state.cancelled = true
                return state.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

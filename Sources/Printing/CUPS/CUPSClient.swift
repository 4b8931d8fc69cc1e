public import Foundation
import NIOPosix

/// Talks to one CUPS server: lists queues, submits, follows and cancels jobs.
///
/// libcups blocks, so every call runs on a small thread pool of its own, never on Swift's
/// cooperative pool; each call opens its own connection (``CUPSConnection``) and closes it, so
/// calls may run at once from any task.
public struct CUPSClient: Sendable {
    /// `host:port`, `[v6]:port` or a socket path; nil for the server libcups is set to use
    /// (`CUPS_SERVER`, `~/.cups/client.conf`, `/etc/cups/client.conf`, else the local socket).
    public let server: String?
    /// Seconds to wait for a connection.
    public var connectTimeout: Double
    /// Seconds a request may wait for the server before it fails.
    public var requestTimeout: Double

    public init(server: String? = nil, connectTimeout: Double = 5, requestTimeout: Double = 30) {
        self.server = server
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }

    /// The threads that make libcups' blocking calls. Four: a status poll, a document upload and
    /// a listing may run at once without waiting for each other.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// Runs `body` with a fresh connection on the CUPS thread pool.
    private func run<T: Sendable>(_ body: @escaping @Sendable (CUPSConnection) throws(PrintingError) -> T) async throws(PrintingError) -> T {
        let server = server, connectTimeout = connectTimeout, requestTimeout = requestTimeout
        do {
            return try await Self.pool.runIfActive {
                let connection = try CUPSConnection(server: server, connectTimeout: connectTimeout, ioTimeout: requestTimeout)
                return try body(connection)
            }
        } catch let error as PrintingError {
            throw error
        } catch {
            throw PrintingError(.cups, "CUPS request not made: \(error)", cause: error)
        }
    }

    /// Every queue on the server, by name.
    public func queues() async throws(PrintingError) -> [CUPSQueue] {
        try await run { connection throws(PrintingError) in try connection.queues() }
    }

    /// One queue; ``PrintingError/Code/notFound`` when the server has no queue by that name.
    public func queue(_ name: String) async throws(PrintingError) -> CUPSQueue {
        try await run { connection throws(PrintingError) in try connection.queue(name) }
    }

    /// Creates an empty job (nothing prints until ``sendDocument(queue:job:title:format:bytes:)``).
    /// `options` are CUPS job options (`copies`, `media`, `job-hold-until` …).
    public func createJob(queue: String, title: String, options: [String: String] = [:]) async throws(PrintingError) -> Int {
        let sorted = options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return try await run { connection throws(PrintingError) in
            try connection.createJob(queue: queue, title: title, options: sorted)
        }
    }

    /// Sends the one document of a job created by ``createJob(queue:title:options:)``: after this
    /// the job prints. `format` is a MIME type: `application/vnd.cups-raw` sends the bytes to the
    /// printer untouched; `image/png` goes through the queue's driver.
    public func sendDocument(queue: String, job: Int, title: String, format: String, bytes: Data) async throws(PrintingError) {
        try await run { connection throws(PrintingError) in
            try connection.sendDocument(queue: queue, job: job, title: title, format: format, bytes: bytes)
        }
    }

    /// One job by id; ``PrintingError/Code/notFound`` once CUPS has forgotten it.
    public func job(_ id: Int) async throws(PrintingError) -> CUPSJob {
        try await run { connection throws(PrintingError) in try connection.job(id) }
    }

    /// The jobs on `queue` CUPS still knows (pending, printing and finished), newest first;
    /// with `title`, only those with that `job-name`.
    public func jobs(queue: String, title: String? = nil) async throws(PrintingError) -> [CUPSJob] {
        let jobs = try await run { connection throws(PrintingError) in try connection.jobs(queue: queue) }
        return title.map { title in jobs.filter { $0.title == title } } ?? jobs
    }

    /// Cancels a job; ``PrintingError/Code/invalidState`` when it has already finished.
    public func cancel(job: Int, queue: String? = nil) async throws(PrintingError) {
        try await run { connection throws(PrintingError) in try connection.cancel(job: job, queue: queue) }
    }
}

/// Whether a CUPS server has a queue: asked when a printer is configured for `cups://QUEUE`, so
/// that a typo in the name is refused then, rather than found when every job fails.
public enum CUPSQueueCheck: Sendable, Equatable {
    case present
    /// The server answered and has no such queue; these are the ones it has.
    case missing(known: [String])
    /// The server did not answer (it may be down, or not set up yet): nothing is known.
    case unknown(String)

    public static func check(_ queue: String, server: String? = nil) async -> CUPSQueueCheck {
        do {
            let queues = try await CUPSClient(server: server, connectTimeout: 2, requestTimeout: 10).queues().map(\.name)
            return queues.contains(queue) ? .present : .missing(known: queues.sorted())
        } catch {
            return .unknown(error.message)
        }
    }

    /// The refusal of a missing queue, for `uri`.
    public static func refusal(_ queue: String, uri: String, known: [String], bypass: String) -> PrintingError {
        PrintingError(.invalidConfiguration,
            "printer URI \"\(uri)\": the CUPS server has no queue \(queue) (\(known.isEmpty ? "it has none" : "it has " + known.joined(separator: ", "))); add the queue first\(bypass)")
    }
}

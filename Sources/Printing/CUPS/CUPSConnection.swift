import CCUPS
import Foundation

// Every libcups pointer lives in this file: CUPSConnection owns one `http_t` and builds and reads
// the IPP messages it carries. It is not Sendable: it is made, used and freed inside one blocking
// call on CUPSClient's thread pool, because libcups blocks and keeps its last error per thread.

/// One connection to a CUPS server (`http_t`), closed in `deinit`.
final class CUPSConnection {
    private let http: OpaquePointer
    /// The server as `host:port` or a socket path, for messages.
    let server: String

    /// Connects to `server` (`host:port`, `[v6]:port`, `/path/to/socket`), or, when nil, to the
    /// server libcups is set to use (`CUPS_SERVER`, `client.conf`, else the local socket).
    init(server: String?, connectTimeout: Double, ioTimeout: Double) throws(PrintingError) {
        let (host, port) = Self.split(server)
        self.server = host.hasPrefix("/") ? host : (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        var cancel: Int32 = 0
        let msec = Int32(max(1, min(connectTimeout, 3_600)) * 1000)
        guard let http = httpConnect2(host, Int32(port), nil, AF_UNSPEC, cupsEncryption(), 1, msec, &cancel) else {
            // libcups closes the socket of a refused connection before returning, and that close's
            // EBADF is what errno then holds: it means nothing took the connection.
            let error = errno
            let reason = error == EBADF || error == 0 ? "nothing answers there (connection refused)" : String(cString: strerror(error))
            throw PrintingError(.unreachable, "cannot reach CUPS at \(self.server): \(reason); is cupsd running (systemctl status cups), and is CUPS_SERVER right?")
        }
        // Without a callback, a request that waits longer than this fails instead of hanging.
        httpSetTimeout(http, ioTimeout, nil, nil)
        self.http = http
    }

    deinit {
        httpClose(http)
    }

    /// `host:port` → (host, port); a path stays whole; nil → libcups' own choice.
    private static func split(_ server: String?) -> (String, Int) {
        guard let server, !server.isEmpty else {
            return (String(cString: cupsServer()), Int(ippPort()))
        }
        if server.hasPrefix("/") { return (server, 0) }
        if server.hasPrefix("["), let close = server.firstIndex(of: "]") {
            let host = String(server[server.index(after: server.startIndex)..<close])
            let tail = server[server.index(after: close)...]
            return (host, tail.hasPrefix(":") ? Int(tail.dropFirst()) ?? 631 : 631)
        }
        if let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]) {
            return (String(server[..<colon]), port)
        }
        return (server, 631)
    }

    // MARK: Queues

    private static let printerAttributes = [
        "printer-name", "printer-state", "printer-state-reasons", "printer-state-message",
        "printer-is-accepting-jobs", "device-uri", "printer-make-and-model", "queued-job-count",
    ]

    /// Every queue on the server (CUPS-Get-Printers), by name.
    func queues() throws(PrintingError) -> [CUPSQueue] {
        let request = newRequest(IPP_OP_CUPS_GET_PRINTERS)
        addStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", Self.printerAttributes)
        let response: OpaquePointer
        do {
            response = try perform(request, resource: "/", what: "list the queues")
        } catch where error.code == .notFound {
            // A server without queues answers "No destinations added." (not-found): it has none,
            // and is there ("CUPS cannot be reached" was said; found by a QA run).
            return []
        }
        defer { ippDelete(response) }
        return groups(of: response, tag: IPP_TAG_PRINTER).compactMap(Self.queue(from:)).sorted { $0.name < $1.name }
    }

    /// One queue (Get-Printer-Attributes); ``PrintingError/Code/notFound`` when there is none.
    func queue(_ name: String) throws(PrintingError) -> CUPSQueue {
        let request = newRequest(IPP_OP_GET_PRINTER_ATTRIBUTES)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, Self.printerURI(name))
        addStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", Self.printerAttributes)
        let response = try perform(request, resource: "/", what: "read queue \(name)", queue: name)
        defer { ippDelete(response) }
        guard let queue = groups(of: response, tag: IPP_TAG_PRINTER).compactMap(Self.queue(from:)).first else {
            throw PrintingError(.notFound, "CUPS at \(server) has no queue \(name)")
        }
        return queue
    }

    private static func queue(from values: [String: Value]) -> CUPSQueue? {
        guard let name = values["printer-name"]?.strings.first else { return nil }
        let state: CUPSQueue.State = switch values["printer-state"]?.integer {
        case 4: .processing
        case 5: .stopped
        default: .idle
        }
        return CUPSQueue(
            name: name, state: state, isAcceptingJobs: values["printer-is-accepting-jobs"]?.boolean ?? false,
            reasons: (values["printer-state-reasons"]?.strings ?? []).filter { $0 != "none" },
            message: values["printer-state-message"]?.strings.first ?? "",
            deviceURI: values["device-uri"]?.strings.first, makeAndModel: values["printer-make-and-model"]?.strings.first,
            queuedJobs: values["queued-job-count"]?.integer ?? 0)
    }

    // MARK: Jobs

    private static let jobAttributes = [
        "job-id", "job-name", "job-state", "job-state-reasons", "job-printer-state-message",
        "time-at-processing", "number-of-documents", "job-printer-uri",
    ]

    /// Creates an empty job on `queue` (Create-Job) and returns its id. Nothing prints until
    /// ``sendDocument(queue:job:title:format:bytes:)``.
    ///
    /// Built here rather than with `cupsCreateJob`: that looks the queue up on the *default*
    /// server (`cupsSetServer`, `CUPS_SERVER`) whatever server `http` is connected to, and says
    /// "The printer or class does not exist" for a queue on any other.
    func createJob(queue: String, title: String, options: [(String, String)]) throws(PrintingError) -> Int {
        let request = newRequest(IPP_OP_CREATE_JOB)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, Self.printerURI(queue))
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", nil, title)
        var count: Int32 = 0
        var list: UnsafeMutablePointer<cups_option_t>?
        for (name, value) in options { count = cupsAddOption(name, value, count, &list) }
        cupsEncodeOptions2(request, count, list, IPP_TAG_OPERATION)
        cupsEncodeOptions2(request, count, list, IPP_TAG_JOB)
        cupsFreeOptions(count, list)
        let response = try perform(request, resource: "/printers/\(queue)", what: "create a job on queue \(queue)", queue: queue)
        defer { ippDelete(response) }
        let id = ippGetInteger(ippFindAttribute(response, "job-id", IPP_TAG_INTEGER), 0)
        guard id > 0 else {
            throw PrintingError(.cups, "CUPS at \(server) created a job on queue \(queue) without saying its id")
        }
        return Int(id)
    }

    /// Sends a job's one document (Send-Document, last) and closes the job for printing.
    func sendDocument(queue: String, job: Int, title: String, format: String, bytes: Data) throws(PrintingError) {
        let what = "send the document of job \(job) to queue \(queue)"
        guard cupsStartDocument(http, queue, Int32(job), title, format, 1) == HTTP_STATUS_CONTINUE else {
            throw lastError(what, queue: queue)
        }
        let chunk = 64 * 1024
        var offset = 0
        var failed = false
        bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
            while offset < buffer.count, let base {
                let length = min(chunk, buffer.count - offset)
                if cupsWriteRequestData(http, base + offset, length) != HTTP_STATUS_CONTINUE { failed = true; return }
                offset += length
            }
        }
        // Finish even after a failed write: it reads the server's answer, which says why.
        let status = cupsFinishDocument(http, queue)
        if failed || status.rawValue > IPP_STATUS_OK_CONFLICTING.rawValue {
            throw lastError(what, queue: queue)
        }
    }

    /// One job (Get-Job-Attributes); ``PrintingError/Code/notFound`` when CUPS no longer knows it.
    func job(_ id: Int) throws(PrintingError) -> CUPSJob {
        let request = newRequest(IPP_OP_GET_JOB_ATTRIBUTES)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nil, "ipp://localhost/jobs/\(id)")
        addStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", Self.jobAttributes)
        let response = try perform(request, resource: "/", what: "read job \(id)")
        defer { ippDelete(response) }
        guard let job = groups(of: response, tag: IPP_TAG_JOB).compactMap(Self.job(from:)).first else {
            throw PrintingError(.notFound, "CUPS at \(server) has no job \(id)")
        }
        return job
    }

    /// Every job of every user on `queue` that CUPS still knows (Get-Jobs, which-jobs=all), newest first.
    func jobs(queue: String) throws(PrintingError) -> [CUPSJob] {
        let request = newRequest(IPP_OP_GET_JOBS)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, Self.printerURI(queue))
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "which-jobs", nil, "all")
        ippAddBoolean(request, IPP_TAG_OPERATION, "my-jobs", 0)
        addStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", Self.jobAttributes)
        let response = try perform(request, resource: "/", what: "list the jobs of queue \(queue)", queue: queue)
        defer { ippDelete(response) }
        return groups(of: response, tag: IPP_TAG_JOB).compactMap(Self.job(from:)).sorted { $0.id > $1.id }
    }

    /// Cancels a job (Cancel-Job). A finished job gives ``PrintingError/Code/invalidState``.
    func cancel(job: Int, queue: String?) throws(PrintingError) {
        let status = cupsCancelJob2(http, queue, Int32(job), 0)
        guard status.rawValue <= IPP_STATUS_OK_CONFLICTING.rawValue else {
            throw lastError("cancel job \(job)", queue: queue)
        }
    }

    private static func job(from values: [String: Value]) -> CUPSJob? {
        guard let id = values["job-id"]?.integer else { return nil }
        let state: CUPSJob.State = switch values["job-state"]?.integer {
        case 4: .held
        case 5: .processing
        case 6: .stopped
        case 7: .cancelled
        case 8: .aborted
        case 9: .completed
        default: .pending
        }
        let queue = values["job-printer-uri"]?.strings.first.map { String($0.split(separator: "/").last ?? "") }
        return CUPSJob(
            id: id, queue: queue, title: values["job-name"]?.strings.first ?? "", state: state,
            reasons: (values["job-state-reasons"]?.strings ?? []).filter { $0 != "none" },
            message: values["job-printer-state-message"]?.strings.first ?? "",
            reachedPrinter: (values["time-at-processing"]?.integer ?? 0) > 0,
            documents: values["number-of-documents"]?.integer ?? 0)
    }

    // MARK: IPP

    private static func printerURI(_ queue: String) -> String {
        "ipp://localhost/printers/\(queue)"
    }

    private func newRequest(_ operation: ipp_op_t) -> OpaquePointer {
        let request = ippNewRequest(operation)!
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nil, cupsUser())
        return request
    }

    private func addStrings(_ request: OpaquePointer, _ group: ipp_tag_t, _ type: ipp_tag_t, _ name: String, _ values: [String]) {
        let copies = values.map { UnsafePointer<CChar>(strdup($0)) }
        defer { copies.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        copies.withUnsafeBufferPointer { buffer in
            _ = ippAddStrings(request, group, type, name, Int32(buffer.count), nil, buffer.baseAddress)
        }
    }

    /// Sends `request` (which libcups frees) and returns the response, or throws with CUPS' reason.
    private func perform(_ request: OpaquePointer, resource: String, what: String, queue: String? = nil) throws(PrintingError) -> OpaquePointer {
        let response = cupsDoRequest(http, request, resource)
        guard let response, cupsLastError().rawValue <= IPP_STATUS_OK_CONFLICTING.rawValue else {
            if let response { ippDelete(response) }
            throw lastError(what, queue: queue)
        }
        return response
    }

    /// The thread's last libcups error as a PrintingError that says what was being done.
    private func lastError(_ what: String, queue: String?) -> PrintingError {
        let status = cupsLastError()
        let reason = cupsLastErrorString().map { String(cString: $0) } ?? "IPP status \(status.rawValue)"
        let onQueue = queue.map { " (queue \($0))" } ?? ""
        switch status {
        case IPP_STATUS_ERROR_NOT_FOUND:
            return PrintingError(.notFound, "CUPS at \(server) cannot \(what): \(reason)\(onQueue); list the queues with `lpstat -p` or `tracemark devices`")
        case IPP_STATUS_ERROR_NOT_POSSIBLE:
            return PrintingError(.invalidState, "CUPS at \(server) cannot \(what): \(reason)\(onQueue)")
        case IPP_STATUS_ERROR_SERVICE_UNAVAILABLE:
            return PrintingError(.unreachable, "lost CUPS at \(server) trying to \(what): \(reason)\(onQueue)")
        case IPP_STATUS_ERROR_INTERNAL where httpError(http) != 0:
            // libcups reports a broken connection as an internal error with the socket's errno.
            return PrintingError(.unreachable, "lost CUPS at \(server) trying to \(what): \(reason)\(onQueue)")
        default:
            return PrintingError(.cups, "CUPS at \(server) cannot \(what): \(reason)\(onQueue)")
        }
    }

    /// One attribute's values, copied out of the IPP message.
    private struct Value {
        var strings: [String] = []
        var integers: [Int] = []
        var integer: Int? { integers.first }
        var boolean: Bool? { integers.first.map { $0 != 0 } }
    }

    /// The attribute groups with `tag` in `response` (one per printer or job), as plain values.
    private func groups(of response: OpaquePointer, tag: ipp_tag_t) -> [[String: Value]] {
        var result: [[String: Value]] = []
        var current: [String: Value]?
        var attribute = ippFirstAttribute(response)
        while let found = attribute {
            defer { attribute = ippNextAttribute(response) }
            guard ippGetGroupTag(found) == tag, let rawName = ippGetName(found) else {
                // A separator or another group ends the current one.
                if let current { result.append(current) }
                current = nil
                continue
            }
            var value = Value()
            let count = ippGetCount(found)
            switch ippGetValueTag(found) {
            case IPP_TAG_INTEGER, IPP_TAG_ENUM:
                value.integers = (0..<count).map { Int(ippGetInteger(found, $0)) }
            case IPP_TAG_BOOLEAN:
                value.integers = (0..<count).map { Int(ippGetBoolean(found, $0)) }
            case IPP_TAG_NOVALUE, IPP_TAG_NOTSETTABLE, IPP_TAG_UNKNOWN:
                break
            default:
                value.strings = (0..<count).compactMap { ippGetString(found, $0, nil).map { String(cString: $0) } }
            }
            current = current ?? [:]
            current?[String(cString: rawName)] = value
        }
        if let current { result.append(current) }
        return result
    }
}

import Foundation

/// A CUPS queue: ZPL and EPL go as raw jobs (`application/vnd.cups-raw`, the bytes reach the
/// printer untouched), PNG as `image/png` through the queue's driver (e.g. CUPS' `zebra.ppd`
/// with `rastertolabel`, which turns the image into a ZPL graphic).
///
/// Each payload is one CUPS job titled by ``title(for:)`` (`tracemark-DATABASE-job-ID`), so a job
/// can be found again after a crash even when its CUPS id was never recorded.
public struct CUPSPrinter: PrinterTransport {
    public let printer: PrinterConfig
    public let queue: String
    /// The CUPS server the queue is on.
    public let client: CUPSClient
    /// The spool's ``Spool/databaseID``, in every job's title: job ids are only unique within one
    /// database, and a queue may take jobs from several (two sites, a test spool, a copy restored
    /// from a backup, which gets an id of its own and reaches the original's job ids again).
    public let databaseID: String

    /// A queue on the server libcups is set to use (`CUPS_SERVER`, `client.conf`, else the local cupsd).
    public init(_ printer: PrinterConfig, queue: String, databaseID: String = "") {
        self.init(printer, queue: queue, server: nil, databaseID: databaseID)
    }

    /// A queue on `server` (`host:port` or a socket path; nil for libcups' default).
    public init(_ printer: PrinterConfig, queue: String, server: String?, databaseID: String = "") {
        self.printer = printer
        self.queue = queue
        self.databaseID = databaseID
        self.client = CUPSClient(server: server, connectTimeout: printer.connectTimeout,
                                 requestTimeout: max(printer.writeTimeout, printer.statusTimeout))
    }

    /// The CUPS title of a payload's job: `tracemark-` and 12 characters of the database's id
    /// before ``PrintPayload/title``'s `job-ID`, so that a search by title after a crash never
    /// takes another database's job of the same id for this one (and cancels or counts it).
    public func title(for payload: PrintPayload) -> String {
        guard !databaseID.isEmpty, payload.title.hasPrefix("tracemark-") else { return payload.title }
        return "tracemark-\(databaseID.prefix(12))-" + payload.title.dropFirst("tracemark-".count)
    }

    /// One job at a time: CUPS follows each job by its own id.
    public var batchLimit: Int { 1 }

    /// How often ``follow(_:_:timeout:)`` asks about a job at most, and at least.
    static let firstPoll: Duration = .milliseconds(100)
    static let slowestPoll: Duration = .seconds(1)

    public func status() async -> PrinterStatus {
        do {
            return try await client.queue(queue).status
        } catch {
            return offlineStatus(error)
        }
    }

    /// cupsd unreachable, or a queue that does not exist: offline, saying which and what to do.
    private func offlineStatus(_ error: PrintingError) -> PrinterStatus {
        if error.code == .notFound {
            let server = client.server.map { " -h \($0)" } ?? ""
            // cupsd answered, so a send is refused as not ready rather than unreachable.
            return PrinterStatus(conditions: [.offline], answered: true,
                                 message: "CUPS queue \(queue) does not exist; list the queues with `tracemark devices` or `lpstat\(server) -p`")
        }
        return .offline(error.message)
    }

    public func send(_ payload: PrintPayload, prepared: @Sendable (Delivery) async throws -> Void) async throws -> Delivery {
        let status = await status()
        guard status.canPrint else {
            // Nothing was created: the spool may send it again once the queue takes jobs.
            let code: PrintingError.Code = status.conditions.contains(.offline) && !status.answered ? .unreachable : .notReady
            throw PrintingError(code, "printer \(printer.name): CUPS queue \(queue) cannot take jobs: \(status)", status: status)
        }
        let id: Int
        do {
            id = try await client.createJob(queue: queue, title: title(for: payload), options: options(for: payload))
        } catch {
            // Create-Job failed: no job exists, nothing can print.
            let code: PrintingError.Code = error.code == .unreachable ? .unreachable : .cups
            throw PrintingError(code, "printer \(printer.name): \(error.message)", cause: error)
        }
        let delivery = Delivery(cupsJobID: id)
        do {
            try await prepared(delivery)
        } catch {
            // The job has no document yet, so cancelling it cannot cut a label in half.
            try? await client.cancel(job: id, queue: queue)
            throw error
        }
        do {
            try await client.sendDocument(queue: queue, job: id, title: title(for: payload), format: format(of: payload),
                                          bytes: payload.bytes)
        } catch {
            throw await documentFailed(id, error)
        }
        return delivery
    }

    /// After a failed upload: a job that never got its document is cancelled and nothing printed;
    /// one that did (the answer was lost) may print, so the spool must follow or ask about it.
    private func documentFailed(_ id: Int, _ error: PrintingError) async -> PrintingError {
        if let job = try? await client.job(id), job.documents == 0, !job.state.isFinished, !job.reachedPrinter,
           (try? await client.cancel(job: id, queue: queue)) != nil {
            return PrintingError(.unreachable, "printer \(printer.name): \(error.message); job \(id) was cancelled before anything printed",
                                 cause: error)
        }
        return PrintingError(.interrupted, "printer \(printer.name): \(error.message); CUPS job \(id) may still print: follow it",
                             cause: error)
    }

    /// The document format CUPS is told.
    func format(of payload: PrintPayload) -> String {
        payload.language == .png ? "image/png" : "application/vnd.cups-raw"
    }

    /// Job options: for PNG its copies, the label size and the printer's resolution, so that the
    /// driver lays the image out dot for dot (a resolution other than the PNG's would resample it
    /// and blur the barcodes). ZPL and EPL carry their copies in their bytes (`^PQ`, `P`): asked
    /// of CUPS too, a raw queue sent the whole job that many times, 3 × 3 labels for 3 (found by
    /// a QA run).
    func options(for payload: PrintPayload) -> [String: String] {
        var options: [String: String] = [:]
        if payload.language == .png {
            if payload.copies > 1 { options["copies"] = String(payload.copies) }
            if let width = printer.widthMillimetres, let length = printer.lengthMillimetres {
                options["media"] = "Custom.\(Self.number(width))x\(Self.number(length))mm"
            }
            options["Resolution"] = "\(printer.dpi)dpi"
            options["ppi"] = String(printer.dpi)
        }
        return options
    }

    /// 100 → `100`, 50.8 → `50.8`.
    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }

    public func follow(_ payload: PrintPayload, _ delivery: Delivery, timeout: Duration) async -> PrintProgress {
        guard let id = delivery.cupsJobID else {
            return .unconfirmed("printer \(printer.name): no CUPS job id was recorded for \(title(for: payload))")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Self.firstPoll
        var lastTrouble: PrinterStatus?
        while true {
            do {
                let job = try await client.job(id)
                switch job.state {
                case .completed:
                    return .printed
                case .aborted, .cancelled:
                    return .failed("CUPS \(job.summary) on queue \(queue)")
                case .held, .stopped:
                    return .waiting(await waitingStatus(job))
                case .pending, .processing:
                    lastTrouble = nil
                }
            } catch {
                if error.code == .notFound {
                    return .unconfirmed("CUPS no longer knows job \(id) (its history was purged): \(error.message)")
                }
                lastTrouble = offlineStatus(error)
            }
            let now = clock.now
            if now >= deadline { break }
            do {
                try await Task.sleep(for: min(pause, deadline - now))
            } catch {
                break
            }
            pause = min(pause * 2, Self.slowestPoll)
        }
        if let lastTrouble { return .waiting(lastTrouble) }
        var status = await status()
        status.message = "job \(id) not printed after \(timeout): " + status.message
        return .waiting(status)
    }

    /// The queue's status for a job that waits: a held job on a queue that is fine waits for an
    /// operator (``PrinterStatus/Condition/other``), saying why.
    private func waitingStatus(_ job: CUPSJob) async -> PrinterStatus {
        var status = await status()
        if status.conditions.isEmpty { status.conditions = [.other] }
        status.message = "CUPS \(job.summary); " + status.message
        return status
    }

    /// What became of a payload whose send was cut short.
    ///
    /// The job is the one recorded in `delivery`, or else the newest job on the queue titled
    /// ``title(for:)`` (a crash before the id was recorded):
    /// - completed: printed, all of its labels;
    /// - pending, processing, held or stopped with its document: CUPS holds the whole payload,
    ///   follow it (``DoubtAnswer/held(_:)``);
    /// - created but never given its document (the crash came between Create-Job and the upload):
    ///   it can never print, so it is cancelled and counts as nothing printed;
    /// - cancelled or aborted before CUPS started processing it: nothing reached the printer;
    /// - cancelled or aborted while printing: some labels may have come out (a raw ZPL job may
    ///   stop part-way), so the answer is ``DoubtAnswer/unknown(_:)`` for an operator to check;
    /// - no job with that title: nothing arrived, safe to send again. CUPS keeps finished jobs
    ///   only while `PreserveJobHistory` and `MaxJobs` allow (cupsd.conf): with the history off,
    ///   a printed job would look like this too.
    /// A recorded id that CUPS no longer knows (history purged) is ``DoubtAnswer/unknown(_:)``.
    public func inquire(about payload: PrintPayload, delivery: Delivery?) async -> DoubtAnswer {
        let job: CUPSJob
        do {
            if let id = delivery?.cupsJobID {
                job = try await client.job(id)
            } else {
                let jobs = try await client.jobs(queue: queue, title: title(for: payload))
                guard let chosen = jobs.first(where: { !$0.state.isFinished }) ?? jobs.first(where: { $0.state == .completed }) ?? jobs.first else {
                    return .printed(labels: 0)
                }
                job = chosen
            }
        } catch {
            if error.code == .notFound, let id = delivery?.cupsJobID {
                return .unknown("CUPS no longer knows job \(id) of \(title(for: payload)) (its history was purged): check the printer")
            }
            return .askLater("cannot ask CUPS about \(title(for: payload)): \(error.message)")
        }
        switch job.state {
        case .completed:
            return .printed(labels: payload.labelCount)
        case .pending, .held, .processing, .stopped:
            if job.documents == 0 && !job.reachedPrinter {
                do {
                    try await client.cancel(job: job.id, queue: queue)
                    return .printed(labels: 0)
                } catch {
                    return .unknown("CUPS job \(job.id) of \(title(for: payload)) has no document and could not be cancelled: \(error.message)")
                }
            }
            return .held(Delivery(cupsJobID: job.id))
        case .cancelled where !Set(job.reasons).isDisjoint(with: ["job-canceled-by-user", "job-canceled-by-operator", "job-canceled-at-device"]):
            // Someone cancelled it at CUPS (Tracemark's own cancel finds the job cancelled here
            // first, and never asks): theirs to decide, not ours to undo by sending it again.
            // Its id first, then what CUPS said: the job's summary put its state message ("The
            // printer may not exist…") in the middle of the sentence (found by a QA run).
            let said = job.message.isEmpty ? "" : " (CUPS said: \"\(job.message)\")"
            return .cancelledThere("CUPS job \(job.id) was cancelled on queue \(queue), not by Tracemark: not sent again"
                + (job.reachedPrinter ? " (what printed before the cancel stays printed)" : "") + "; reprint it if it is wanted" + said)
        case .aborted, .cancelled:
            if !job.reachedPrinter { return .printed(labels: 0) }
            return .unknown("CUPS \(job.summary) of \(title(for: payload)) stopped while printing: some labels may have come out; check the printer")
        }
    }

    public func cancel(_ delivery: Delivery) async throws {
        guard let id = delivery.cupsJobID else { return }
        do {
            try await client.cancel(job: id, queue: queue)
        } catch {
            throw PrintingError(error.code, "printer \(printer.name): \(error.message)", cause: error)
        }
    }
}

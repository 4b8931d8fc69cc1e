import ServiceLifecycle

/// A bounded set of database connections shared by concurrent tasks.
///
/// Callers wait (without blocking a thread) when all connections are in use, and stop waiting
/// when their task is cancelled (a service stopping while every connection is busy opening to
/// a server that does not answer). A connection that
/// failed mid-use is closed and replaced rather than given to the next caller. Shutting down
/// waits until every connection, in use or being opened, has been closed: the store may stop
/// the threads its connections run on only after that.
///
/// When opening a connection fails (the server is down or does not answer), the pool does not let
/// every caller wait out its own connect timeout: until `retryAfter` has passed, and while one
/// caller tries again, the others get the same error at once. A shutdown's last writes then take
/// no longer than one attempt, and clients hear "unavailable" without delay; once a caller's
/// service is shutting down, it makes no new attempt at all after a failed one. An attempt that
/// failed at once (a server restarting refuses the connection) costs nothing to repeat: the next
/// caller tries again, so that the service works again as soon as the server does (it went on
/// saying "Connection refused" for 5 s after a restart; found by a QA run).
actor ConnectionPool<Connection: Sendable> {
    private let maximum: Int
    private let open: @Sendable () async throws -> Connection
    private let close: @Sendable (Connection) async -> Void
    private let isUsable: @Sendable (Connection) -> Bool
    private var idle: [Connection] = []
    private var count = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Waited, Never>)] = []
    private var nextWaiter = 0
    private var closed = false
    /// Shutdowns waiting for the connections still in use to come back.
    private var drained: [CheckedContinuation<Void, Never>] = []
    private let retryAfter: Duration
    /// An open that failed within this long failed cheaply: the next caller may try at once.
    private let cheapFailure: Duration
    /// The last open failed: when, with what, whether a caller is trying again now, and whether
    /// it failed at once.
    private var down: (at: ContinuousClock.Instant, error: any Error, retrying: Bool, cheap: Bool)?

    /// What a wait for a connection ends with.
    private enum Waited {
        /// A connection released by another caller.
        case connection(Connection)
        /// A connection fewer is in use or being opened: look again (and open one).
        case lookAgain
        /// The caller's task was cancelled.
        case cancelled
    }

    init(maximum: Int,
         open: @escaping @Sendable () async throws -> Connection,
         close: @escaping @Sendable (Connection) async -> Void,
         isUsable: @escaping @Sendable (Connection) -> Bool = { _ in true },
         retryAfter: Duration = .seconds(5), cheapFailure: Duration = .seconds(1)) {
        precondition(maximum >= 1)
        self.retryAfter = retryAfter
        self.cheapFailure = cheapFailure
        self.isUsable = isUsable
        self.maximum = maximum
        self.open = open
        self.close = close
    }

    /// Runs `body` with a connection of the pool.
    nonisolated func with<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    private func acquire() async throws -> Connection {
        while true {
            guard !closed else { throw StoreError(.closed, "the database has been closed") }
            if let connection = idle.popLast() {
                // The server may have closed it while it sat idle (a restart): open another.
                guard isUsable(connection) else {
                    await close(connection)
                    forget()
                    continue
                }
                return connection
            }
            if count < maximum {
                if let down {
                    // A caller that is draining (its service shutting down) does not wait out
                    // another attempt at a server that did not answer the last one: its last writes
                    // fail at once, and what it had in hand is settled at the next start.
                    guard !down.retrying, down.cheap || ContinuousClock.now - down.at >= retryAfter, !Task.isShuttingDownGracefully else {
                        throw down.error
                    }
                    self.down?.retrying = true
                }
                count += 1
                let connection: Connection
                let attempt = ContinuousClock.now
                do {
                    connection = try await open()
                    down = nil
                } catch where Task.isCancelled {
                    // The caller gave up (a service stopping) and the attempt was abandoned: that
                    // says nothing of the server, and the next caller tries again.
                    down?.retrying = false
                    forget()
                    throw CancellationError()
                } catch {
                    let now = ContinuousClock.now
                    down = (now, error, false, now - attempt < cheapFailure)
                    forget()
                    throw error
                }
                guard !closed else {
                    // Shut down while it was being opened.
                    await close(connection)
                    forget()
                    throw StoreError(.closed, "the database has been closed")
                }
                return connection
            }
            switch await waitForTurn() {
            case .connection(let connection): return connection
            case .lookAgain: continue
            case .cancelled: throw CancellationError()
            }
        }
    }

    /// Waits for a connection to come back, or for a slot to open one, or for the caller to be
    /// cancelled, whichever comes first.
    private func waitForTurn() async -> Waited {
        let id = nextWaiter
        nextWaiter += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Cancelled before it queued: the handler below ran first and found nothing.
                if Task.isCancelled {
                    continuation.resume(returning: .cancelled)
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWait(id) }
        }
    }

    private func cancelWait(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: .cancelled)
    }

    private func release(_ connection: Connection) async {
        if closed || !isUsable(connection) {
            // A waiter now opens a new connection instead of getting the broken one.
            await close(connection)
            forget()
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: .connection(connection))
        } else {
            idle.append(connection)
        }
    }

    /// One connection fewer. A caller waiting for a connection now opens one itself: without
    /// this, callers that queued while every open failed (the server down) would wait forever.
    /// The last one lets a waiting shutdown finish.
    private func forget() {
        count -= 1
        if !closed, !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: .lookAgain)
        }
        if closed, count == 0 {
            for shutdown in drained { shutdown.resume() }
            drained.removeAll()
        }
    }

    /// Closes idle connections now, and returns once the connections in use have been released
    /// and closed too.
    func shutdown() async {
        closed = true
        for waiter in waiters { waiter.continuation.resume(returning: .lookAgain) }
        waiters.removeAll()
        let connections = idle
        idle.removeAll()
        for connection in connections {
            await close(connection)
            forget()
        }
        if count > 0 { await withCheckedContinuation { drained.append($0) } }
    }
}

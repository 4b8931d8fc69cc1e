/// A bounded set of database connections shared by concurrent tasks.
///
/// Callers wait (without blocking a thread) when all connections are in use. A connection that
/// failed mid-use is closed and replaced rather than given to the next caller.
actor ConnectionPool<Connection: Sendable> {
    private let maximum: Int
    private let open: @Sendable () async throws -> Connection
    private let close: @Sendable (Connection) async -> Void
    private let isUsable: @Sendable (Connection) -> Bool
    private var idle: [Connection] = []
    private var count = 0
    private var waiters: [CheckedContinuation<Connection?, Never>] = []
    private var closed = false

    init(maximum: Int,
         open: @escaping @Sendable () async throws -> Connection,
         close: @escaping @Sendable (Connection) async -> Void,
         isUsable: @escaping @Sendable (Connection) -> Bool = { _ in true }) {
        precondition(maximum >= 1)
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
            guard !closed else { throw RegistryError(.database, "the registry has been closed") }
            if let connection = idle.popLast() { return connection }
            if count < maximum {
                count += 1
                do {
                    return try await open()
                } catch {
                    count -= 1
                    throw error
                }
            }
            if let connection = await withCheckedContinuation({ waiters.append($0) }) {
                return connection
            }
        }
    }

    private func release(_ connection: Connection) async {
        if closed || !isUsable(connection) {
            count -= 1
            await close(connection)
            // A waiter now gets a new connection instead of the broken one.
            if !closed, !waiters.isEmpty { waiters.removeFirst().resume(returning: nil) }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// Closes idle connections now; connections in use are closed when released.
    func shutdown() async {
        closed = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
        let connections = idle
        idle.removeAll()
        count -= connections.count
        for connection in connections { await close(connection) }
    }
}

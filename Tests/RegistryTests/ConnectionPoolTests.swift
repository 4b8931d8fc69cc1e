import Foundation
import ServiceLifecycleTestKit
import SQLKit
@testable import Store
import Synchronization
import Testing
import TracemarkTesting

/// The connection pool when the server does not answer: one caller tries, the others are told at
/// once, instead of each waiting out its own connect timeout (a drain on shutdown then takes one
/// attempt, not one per write).
@Suite struct ConnectionPoolTests {
    struct Refused: Error {}

    /// (An attempt that took its time: `cheapFailure` zero.)
    @Test func afterAFailedOpenOthersFailAtOnceUntilItIsTimeToTryAgain() async throws {
        let opens = Mutex(0)
        let pool = ConnectionPool<Int>(maximum: 4, open: {
            opens.withLock { $0 += 1 }
            throw Refused()
        }, close: { _ in }, retryAfter: .seconds(3600), cheapFailure: .zero)
        for _ in 0..<5 {
            await #expect(throws: Refused.self) { try await pool.with { $0 } }
        }
        #expect(opens.withLock { $0 } == 1)
    }

    /// An open refused at once (a server restarting) is tried again by the next caller: the
    /// server back, the next request is served, not told for seconds more that it is down.
    @Test func anOpenRefusedAtOnceIsTriedAgainByTheNextCaller() async throws {
        let opens = Mutex(0)
        let pool = ConnectionPool<Int>(maximum: 4, open: {
            let count = opens.withLock { $0 += 1; return $0 }
            if count < 3 { throw Refused() }
            return count
        }, close: { _ in }, retryAfter: .seconds(3600), cheapFailure: .seconds(3600))
        await #expect(throws: Refused.self) { try await pool.with { $0 } }
        await #expect(throws: Refused.self) { try await pool.with { $0 } }
        #expect(try await pool.with { $0 } == 3)
    }

    /// A caller whose service is shutting down (a drain's last writes) makes no new attempt at a
    /// server that did not answer the last one: each would wait out a connect timeout.
    @Test func aDrainingCallerDoesNotTryAgainAfterAFailedOpen() async throws {
        let opens = Mutex(0)
        let pool = ConnectionPool<Int>(maximum: 2, open: {
            opens.withLock { $0 += 1 }
            throw Refused()
        }, close: { _ in }, retryAfter: .zero)
        await #expect(throws: Refused.self) { try await pool.with { $0 } }
        // Time to try again: a caller that is not stopping does.
        await #expect(throws: Refused.self) { try await pool.with { $0 } }
        #expect(opens.withLock { $0 } == 2)
        await testGracefulShutdown { trigger in
            trigger.triggerGracefulShutdown()
            await #expect(throws: Refused.self) { try await pool.with { $0 } }
        }
        #expect(opens.withLock { $0 } == 2)
    }

    /// An attempt abandoned because its caller was cancelled (a worker stopping while the server
    /// did not answer) says nothing of the server: the next caller opens a connection itself
    /// instead of being told the server is down.
    @Test func aCancelledOpenIsNotTakenForTheServerBeingDown() async throws {
        let opens = Mutex(0)
        let (entered, enteredSignal) = AsyncStream<Void>.makeStream()
        let pool = ConnectionPool<Int>(maximum: 2, open: {
            let count = opens.withLock { $0 += 1; return $0 }
            if count == 1 {
                enteredSignal.yield()
                try await Task.sleep(for: .seconds(3600))
            }
            return count
        }, close: { _ in }, retryAfter: .seconds(3600))
        let first = Task { try await pool.with { $0 } }
        var iterator = entered.makeAsyncIterator()
        _ = await iterator.next()
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        #expect(try await pool.with { $0 } == 2)
    }

    /// A caller waiting for a connection while every one is in use (or being opened to a server
    /// that does not answer) stops waiting when it is cancelled: a service's drain, cancelled at
    /// its deadline, ends instead of waiting for a connection that may never come back.
    @Test(.hangGuard) func aCallerWaitingForAConnectionStopsWhenCancelled() async throws {
        let pool = ConnectionPool<Int>(maximum: 1, open: { 1 }, close: { _ in })
        let holder = await Holder(pool)
        let waiter = Task { try await pool.with { $0 } }
        // However the cancellation and the wait interleave, the waiter ends by being cancelled.
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // The connection in use is unaffected, and goes to the next caller once it is back.
        #expect(try await holder.giveBack() == 1)
        #expect(try await pool.with { $0 } == 1)
        // A caller cancelled before it asks does not wait either.
        let second = await Holder(pool)
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.with { $0 }
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(try await second.giveBack() == 1)
        await pool.shutdown()
    }

    /// A task holding one of the pool's connections until it is told to give it back.
    private struct Holder {
        let task: Task<Int, any Error>
        let release: AsyncStream<Void>.Continuation

        init(_ pool: ConnectionPool<Int>) async {
            let (held, heldSignal) = AsyncStream<Void>.makeStream()
            let (released, release) = AsyncStream<Void>.makeStream()
            task = Task {
                try await pool.with { connection in
                    heldSignal.yield()
                    for await _ in released { break }
                    return connection
                }
            }
            self.release = release
            for await _ in held { break }
        }

        /// Gives the connection back; what the holder held.
        func giveBack() async throws -> Int {
            release.yield()
            return try await task.value
        }
    }

    @Test func theNextTryThatSucceedsEndsIt() async throws {
        let opens = Mutex(0)
        let pool = ConnectionPool<Int>(maximum: 2, open: {
            let count = opens.withLock { $0 += 1; return $0 }
            if count == 1 { throw Refused() }
            return count
        }, close: { _ in }, retryAfter: .zero)
        await #expect(throws: Refused.self) { try await pool.with { $0 } }
        #expect(try await pool.with { $0 } == 2)
        #expect(try await pool.with { $0 } == 2)
        #expect(opens.withLock { $0 } == 2)
    }
}

/// A write whose task is cancelled mid-transaction rolls back all the same: its connection does
/// not go back to the pool inside the transaction (the next write failed with "cannot start a
/// transaction within a transaction"), and nothing of it is kept.
@Suite struct CancelledTransactionTests {
    @Test func aCancelledWriteRollsBackAndTheNextWriteWorks() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-cancel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await SQLiteStore(path: folder.appendingPathComponent("t.sqlite").path)
        try await store.write { db in try await db.raw("CREATE TABLE t (x INTEGER)").run() }
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let task = Task {
            try await store.write { db in
                try await db.raw("INSERT INTO t (x) VALUES (1)").run()
                startedSignal.yield()
                try await Task.sleep(for: .seconds(3600))
            }
        }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        task.cancel()
        _ = await task.result
        try await store.write { db in try await db.raw("INSERT INTO t (x) VALUES (2)").run() }
        let values = try await store.read { db in try await db.raw("SELECT x FROM t ORDER BY x").all().map { try $0.decode(column: "x", as: Int.self) } }
        #expect(values == [2])
        await store.close()
    }
}

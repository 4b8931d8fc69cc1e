import Foundation
@testable import Store
import Synchronization
import Testing

/// The connection pool when the server does not answer: one caller tries, the others are told at
/// once, instead of each waiting out its own connect timeout (a drain on shutdown then takes one
/// attempt, not one per write).
@Suite struct ConnectionPoolTests {
    struct Refused: Error {}

    @Test func afterAFailedOpenOthersFailAtOnceUntilItIsTimeToTryAgain() async throws {
        let opens = Mutex(0)
        let pool = ConnectionPool<Int>(maximum: 4, open: {
            opens.withLock { $0 += 1 }
            throw Refused()
        }, close: { _ in }, retryAfter: .seconds(3600))
        for _ in 0..<5 {
            await #expect(throws: Refused.self) { try await pool.with { $0 } }
        }
        #expect(opens.withLock { $0 } == 1)
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

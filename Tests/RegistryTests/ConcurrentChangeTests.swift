import Foundation
import GS1
import Registry
import Testing
import TracemarkTesting

/// The same change asked for several times at once (two clicks, a retry, two clients), on both
/// databases: one is made, the others are refused as conflicts in words, and nothing is recorded
/// twice. Found by a QA run on PostgreSQL, where each read the state before any wrote it: a recall
/// closed and then held, a month closed twice with a 500 from its key, reopenings recorded three
/// times, classes added twice with a 500. The assertions hold whatever order the requests run in.
///
/// The requests go through another station's registry (``TestDatabase/openStation()``), whose
/// lock waits last a minute: on a loaded machine the one that goes first held its locks past the
/// default 5 s, and those waiting for it were cancelled by `lock_timeout` (seen in CI and here
/// under load), which says nothing of what is tested.
@Suite struct ConcurrentChangeTests {
    /// Each outcome of `count` runs of `body` at once: nil for a success, else the refusal.
    func atOnce(_ count: Int, _ body: @escaping @Sendable () async throws -> Void) async -> [RegistryError?] {
        await withTaskGroup(of: RegistryError?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do {
                        try await body()
                        return nil
                    } catch let error as RegistryError {
                        return error
                    } catch {
                        return RegistryError(.invalidInput, "not a registry refusal: \(String(reflecting: error))")
                    }
                }
            }
            var outcomes: [RegistryError?] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    @Test(arguments: Backend.available)
    func aRecallHeldAndClosedAtOnceEndsClosed(backend: Backend) async throws {
        try await withStockRegistry(backend) { _, database in
            let registry = try await database.openStation()
            defer { Task { await registry.close() } }
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("R-1", 5, expires: 90)])],
                                                   header: header()))
            let recall = try await registry.openRecall(product: "MILK", numbers: ["R-1"], reason: "mould", user: "qa")
            let closes = await atOnce(3) { _ = try await registry.closeRecall(recall.id, note: "destroyed", user: "qa") }
            let holds = await atOnce(3) { _ = try await registry.holdRecall(recall.id, user: "qa") }
            #expect(closes.filter { $0 == nil }.count == 1, "\(closes)")
            #expect((closes + holds).allSatisfy { $0 == nil || $0?.code == .conflict }, "\(closes + holds)")
            #expect(try await registry.recall(recall.id).state == .closed)
        }
    }

    @Test(arguments: Backend.available)
    func aMonthClosedAndReopenedAtOnceIsClosedAndReopenedOnce(backend: Backend) async throws {
        try await withStockRegistry(backend) { _, database in
            let registry = try await database.openStation()
            defer { Task { await registry.close() } }
            let month = String(day0.description.prefix(7))
            _ = try await registry.receive(Receipt(warehouse: "MAIN", lines: [StockLine(product: "MILK", picks: [lot("P-1", 5, expires: 90)])],
                                                   header: header()))
            let closes = await atOnce(6) { _ = try await registry.closePeriod(month, user: "controller") }
            #expect(closes.filter { $0 == nil }.count == 1, "\(closes)")
            #expect(closes.allSatisfy { $0 == nil || $0?.code == .conflict }, "\(closes)")
            let reopenings = await atOnce(5) { _ = try await registry.reopenPeriod(month, reason: "correction", user: "controller") }
            #expect(reopenings.filter { $0 == nil }.count == 1, "\(reopenings)")
            #expect(reopenings.allSatisfy { $0 == nil || $0?.code == .conflict }, "\(reopenings)")
            #expect(try await registry.periodReopenings().count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func aClassAddedTwiceAtOnceIsAddedOnce(backend: Backend) async throws {
        try await withStockRegistry(backend) { _, database in
            let registry = try await database.openStation()
            defer { Task { await registry.close() } }
            let adds = await atOnce(4) {
                _ = try await registry.addClass(LotSerialClass(code: "RACE", tracking: .lot, format: "R{counter:4}"))
            }
            #expect(adds.filter { $0 == nil }.count == 1, "\(adds)")
            #expect(adds.allSatisfy { $0 == nil || $0?.code == .duplicate }, "\(adds)")
        }
    }
}

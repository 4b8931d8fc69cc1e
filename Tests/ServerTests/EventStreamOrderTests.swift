import Foundation
@testable import Server
import Testing

/// The feed's one stream from its three logs (``EventFeed/merged(_:)``), with times taken as a
/// busy database gives them: before each transaction waited for the writer, so not in id order.
struct EventStreamOrderTests {
    private func event(_ kind: String, _ id: Int64, at second: Int) -> (at: String, event: EventFeed.Event) {
        (String(format: "2026-12-04T10:00:%02d.000000Z", second),
         EventFeed.Event(kind: kind, data: Data(), cursor: EventFeed.Cursor(scan: 0, job: 0), id: id))
    }

    @Test func eachLogKeepsItsOrderAndAScanComesBeforeTheJobsItQueued() {
        // Job 1 is queued by scan 1 and sent; scan 2's transaction took its time (12) before
        // waiting while the worker wrote job 1's printing and done (13, 14), so job 2's queued
        // event has the higher id and the earlier time.
        let scans = [event("scan", 1, at: 10), event("scan", 2, at: 12)]
        let jobs = [event("job", 1, at: 10), event("job", 2, at: 11), event("job", 3, at: 13),
                    event("job", 4, at: 14), event("job", 5, at: 12)]
        let printers = [event("printer", 1, at: 13)]
        let stream = EventFeed.merged([scans, jobs, printers]).map { "\($0.kind)\($0.id)" }
        #expect(stream == ["scan1", "job1", "job2", "scan2", "job3", "printer1", "job4", "job5"])
        for kind in ["scan", "job", "printer"] {
            let ids = EventFeed.merged([scans, jobs, printers]).filter { $0.kind == kind }.map(\.id)
            #expect(ids == ids.sorted(), "\(kind) events out of their log's order")
        }
    }
}

/// The event feed's places: one caller cannot take them all (a closed connection is only let go
/// at the next heartbeat), and the total still bounds everyone.
@Suite struct FeedClientsTests {
    @Test func oneCallerHoldsAnEighthOfThePlacesAtMost() {
        let clients = FeedClients(maximum: 16)
        #expect(clients.perCaller == 2)
        #expect(clients.enter("viewer") == .entered && clients.enter("viewer") == .entered)
        #expect(clients.enter("viewer") == .callerFull)
        for index in 0..<14 { #expect(clients.enter("page-\(index)") == .entered) }
        #expect(clients.enter("page-99") == .full)
        clients.leave("viewer")
        #expect(clients.enter("viewer") == .entered)
        clients.leave("page-0")
        #expect(clients.enter("page-0") == .entered)
    }
}

import Registry
import Testing

/// Several stations (separate connections, as separate processes would have) writing at once.
@Suite struct ConcurrencyTests {
    @Test(arguments: Backend.available)
    func concurrentWritersTakeGaplessNumbersWithoutDuplicates(backend: Backend) async throws {
        try await withRegistry(backend) { registry, database in
            _ = try await registry.addSeries(NumberSeries(code: "DOC"))
            let writers = 8, each = 50
            let stations = try await (0..<writers).asyncMap { _ in try await database.openStation() }
            defer { Task { for station in stations { await station.close() } } }
            let taken = try await withThrowingTaskGroup(of: [Int].self) { group in
                for station in stations {
                    group.addTask {
                        var mine: [Int] = []
                        for _ in 0..<each { mine.append(try await station.takeNumbers(series: "DOC").first) }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(taken.sorted() == Array(1...(writers * each)))
            #expect(try await registry.audit(series: "DOC").isComplete)
        }
    }

    @Test(arguments: Backend.available)
    func fiftyConcurrentGenerationsOfTenSerialsGiveFiveHundredDistinctNumbers(backend: Backend) async throws {
        try await withRegistry(backend) { registry, database in
            _ = try await registry.addClass(LotSerialClass(code: "SN", tracking: .serial, format: "SN{counter:6}"))
            _ = try await registry.addProduct(Product(article: "PHONE", lotSerialClass: "SN"))
            // Some numbers exist already: generation must skip them under contention too.
            for number in ["SN000003", "SN000100", "SN000250"] {
                _ = try await registry.register(NewLotSerial(product: "PHONE", number: number))
            }
            let stations = try await (0..<5).asyncMap { _ in try await database.openStation() }
            defer { Task { for station in stations { await station.close() } } }
            let numbers = try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<50 {
                    let station = stations[index % stations.count]
                    group.addTask { try await station.generate(product: "PHONE", count: 10).numbers }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(numbers.count == 500)
            #expect(Set(numbers).count == 500)
            #expect(!numbers.contains("SN000003"))
            #expect(try await registry.lotSerials(product: "PHONE", limit: 1000).count == 503)
            let audit = try await registry.audit(series: "CLASS-SN")
            #expect(audit.isComplete)
            #expect(audit.issued == 500)
            #expect(audit.voided == 3)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

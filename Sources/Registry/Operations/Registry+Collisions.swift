import SQLKit
import Store

extension Registry {
    /// Refuses a configuration in which two numbering sources could produce the same number in
    /// one uniqueness scope (overlapping per-product ranges, two classes with separate counters
    /// and the same constant text), naming the two that collide.
    func checkNumberingCollisions(_ db: any SQLDatabase) async throws {
        let classes = try await db.raw("SELECT * FROM lot_serial_classes WHERE format IS NOT NULL AND tracking <> 'none'")
            .all().map { try Self.decodeClass($0) }
        guard classes.contains(where: { $0.uniqueness == .global }) else { return }
        var sources: [NumberingSource] = []
        for lotSerialClass in classes where lotSerialClass.uniqueness == .global {
            guard let format = try lotSerialClass.numberFormat() else { continue }
            let capacity = format.counterCapacity ?? 0
            if format.hasCounter, lotSerialClass.counterScope == .product {
                let products = try await db.raw("""
                    SELECT article, counter_start, counter_end FROM products WHERE class_code = \(bind: lotSerialClass.code) ORDER BY article
                    """).all()
                for row in products {
                    let article = try row.string("article")
                    let start = try row.optionalInt("counter_start") ?? 1
                    let end = try row.optionalInt("counter_end") ?? capacity
                    sources.append(NumberingSource(
                        name: "product \(article) of class \(lotSerialClass.code) (format \"\(format)\", counters \(start)–\(end))",
                        format: format, counter: "product:\(article)", counters: start...max(start, end), global: true))
                }
            } else {
                sources.append(NumberingSource(
                    name: "class \(lotSerialClass.code) (format \"\(format)\"\(lotSerialClass.counterSeries.map { ", series \($0)" } ?? ""))",
                    format: format, counter: lotSerialClass.counterSeries, counters: 0...capacity, global: true))
            }
        }
        for i in sources.indices {
            for j in sources.indices where j > i {
                if let reason = sources[i].collision(with: sources[j], on: today) {
                    throw RegistryError(.conflict, reason)
                }
            }
        }
    }
}

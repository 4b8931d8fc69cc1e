import GS1
import Synchronization

/// What the resolver learnt of products from earlier scans: each product's issue method, so that
/// the next scan's statement carries only that method's pick-order check. A hint only shapes the
/// statement: the statement returns the actual method, and a wrong hint costs one more statement,
/// never a wrong answer.
final class ResolveHints: Sendable {
    private let methods = Mutex<[String: LotSerialClass.IssueMethod?]>([:])
    /// More products than a registry has; past it the table starts over rather than grow.
    private static let capacity = 100_000

    func issueMethod(for key: ResolveQuery.ProductKey) -> LotSerialClass.IssueMethod? {
        methods.withLock { $0[Self.name(key)] ?? nil }
    }

    func remember(_ method: LotSerialClass.IssueMethod?, for key: ResolveQuery.ProductKey) {
        methods.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[Self.name(key)] = .some(method)
        }
    }

    private static func name(_ key: ResolveQuery.ProductKey) -> String {
        switch key {
        case .gtin(let gtin): "g" + gtin.gtin14
        case .article(let article): "a" + article
        }
    }
}

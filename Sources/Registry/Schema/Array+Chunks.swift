extension Array {
    /// The array in consecutive pieces of at most `size` elements: how the registry keeps an
    /// `IN (…)` list within what one statement may bind.
    func chunks(of size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

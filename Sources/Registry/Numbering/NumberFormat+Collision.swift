extension NumberFormat {
    /// Whether this format, with counter values in `counters`, and `other`, with values in
    /// `otherCounters`, can ever produce the same number (on some dates).
    ///
    /// Formats of the same shape (same constants, same segments, same counter width) collide
    /// exactly when their counter ranges overlap. Formats of different shapes are compared as
    /// languages (constant characters, digits, letters, with variable-width counters), which may
    /// report a collision that the counter ranges would in fact avoid: a refusal errs on the safe side.
    public func mayProduceSameNumber(
        as other: NumberFormat,
        counters: ClosedRange<Int>,
        otherCounters: ClosedRange<Int>
    ) -> Bool {
        if segments == other.segments {
            return hasCounter ? counters.overlaps(otherCounters) : true
        }
        return Automaton(self).intersects(Automaton(other))
    }
}

/// A small nondeterministic automaton over character classes, enough to decide whether two
/// number formats share a word.
private struct Automaton {
    enum CharClass: Equatable {
        case literal(Character)
        case digit
        case letter

        func intersects(_ other: CharClass) -> Bool {
            switch (self, other) {
            case let (.literal(a), .literal(b)): a == b
            case let (.literal(a), .digit), let (.digit, .literal(a)): a.isASCII && a.isNumber
            case let (.literal(a), .letter), let (.letter, .literal(a)): a.isASCII && a.isUppercase
            case (.digit, .digit), (.letter, .letter): true
            case (.digit, .letter), (.letter, .digit): false
            }
        }
    }

    /// `step[s]` is the class that moves state `s` to `s + 1`; `skip[s]` the states reachable
    /// without reading (the optional digits of an unpadded counter). The last state accepts.
    var step: [CharClass] = []
    var skip: [[Int]] = []

    init(_ format: NumberFormat) {
        for segment in format.segments {
            switch segment {
            case .text(let text): for c in text { add(.literal(c), min: 1, max: 1) }
            case .year4: add(.digit, min: 4, max: 4)
            case .year2, .month, .day: add(.digit, min: 2, max: 2)
            case .dayOfYear: add(.digit, min: 3, max: 3)
            case .monthName: add(.letter, min: 3, max: 3)
            case .counter(let width, let padded): add(.digit, min: padded ? width : 1, max: width)
            }
        }
        skip.append([])
    }

    private mutating func add(_ cls: CharClass, min: Int, max: Int) {
        let start = step.count
        for k in 0..<max {
            step.append(cls)
            skip.append(k >= min ? [start + max] : [])
        }
    }

    var accepting: Int { step.count }

    func closure(_ state: Int) -> [Int] {
        var seen = [state]
        var stack = [state]
        while let s = stack.popLast() {
            for t in skip[s] where !seen.contains(t) {
                seen.append(t)
                stack.append(t)
            }
        }
        return seen
    }

    func intersects(_ other: Automaton) -> Bool {
        var visited = Set<[Int]>()
        var queue: [[Int]] = []
        for a in closure(0) { for b in other.closure(0) { queue.append([a, b]) } }
        while let pair = queue.popLast() {
            guard visited.insert(pair).inserted else { continue }
            let (a, b) = (pair[0], pair[1])
            if a == accepting && b == other.accepting { return true }
            guard a < accepting, b < other.accepting, step[a].intersects(other.step[b]) else { continue }
            for a2 in closure(a + 1) { for b2 in other.closure(b + 1) { queue.append([a2, b2]) } }
        }
        return false
    }
}

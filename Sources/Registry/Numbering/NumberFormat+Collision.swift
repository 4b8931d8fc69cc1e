public import GS1

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

    /// One number that both formats could make, for a refusal to quote: a number one of them makes
    /// on `date` with a counter in both ranges (or at the start of its own) that the other can
    /// also make, else a word both formats' shapes accept. `nil` when they share none.
    public func sharedNumber(
        with other: NumberFormat,
        counters: ClosedRange<Int>,
        otherCounters: ClosedRange<Int>,
        date: CalendarDate
    ) -> String? {
        // Strict: an unpadded counter never starts with 0, so that the number quoted is one both
        // formats really make (a QA run was told P{counter} could make P001).
        let mine = Automaton(self, strict: true)
        let theirs = Automaton(other, strict: true)
        // The first counter both may use, 1 rather than 0 where both allow it (counters start at 1).
        let last = min(counters.upperBound, otherCounters.upperBound)
        let first = max(counters.lowerBound, otherCounters.lowerBound)
        let common = max(first, 1) <= last ? max(first, 1) : first
        let overlapping = common <= last
        for (format, range, reader) in [(self, counters, theirs), (other, otherCounters, mine)] {
            var tries = [range.lowerBound, range.upperBound]
            if overlapping { tries.insert(common, at: 0) }
            for counter in tries {
                guard let number = try? format.format(counter: format.hasCounter ? counter : nil, date: date) else { continue }
                if reader.accepts(number) { return number }
            }
        }
        return mine.sharedWord(with: theirs)
    }
}

/// A small nondeterministic automaton over character classes, enough to decide whether two
/// number formats share a word.
private struct Automaton {
    enum CharClass: Equatable {
        case literal(Character)
        case digit
        /// 1 to 9: the first digit of an unpadded counter, read strictly.
        case nonzeroDigit
        case letter

        func intersects(_ other: CharClass) -> Bool {
            switch (self, other) {
            case let (.literal(a), .literal(b)): a == b
            case let (.literal(a), .digit), let (.digit, .literal(a)): a.isASCII && a.isNumber
            case let (.literal(a), .nonzeroDigit), let (.nonzeroDigit, .literal(a)): a.isASCII && a.isNumber && a != "0"
            case let (.literal(a), .letter), let (.letter, .literal(a)): a.isASCII && a.isUppercase
            case (.digit, .digit), (.letter, .letter), (.digit, .nonzeroDigit), (.nonzeroDigit, .digit), (.nonzeroDigit, .nonzeroDigit): true
            case (.digit, .letter), (.letter, .digit), (.nonzeroDigit, .letter), (.letter, .nonzeroDigit): false
            }
        }
    }

    /// `step[s]` is the class that moves state `s` to `s + 1`; `skip[s]` the states reachable
    /// without reading (the optional digits of an unpadded counter). The last state accepts.
    var step: [CharClass] = []
    var skip: [[Int]] = []

    /// `strict` reads an unpadded counter as it is written (no leading zero; a counter of 0,
    /// written `0`, is left out): for the example a message quotes. Not strict, it may start with
    /// zeros: the collision check errs on the side of refusing.
    init(_ format: NumberFormat, strict: Bool = false) {
        for segment in format.segments {
            switch segment {
            case .text(let text): for c in text { add(.literal(c), min: 1, max: 1) }
            case .year4: add(.digit, min: 4, max: 4)
            case .year2, .month, .day: add(.digit, min: 2, max: 2)
            case .dayOfYear: add(.digit, min: 3, max: 3)
            case .monthName: add(.letter, min: 3, max: 3)
            case .counter(let width, let padded) where strict && !padded:
                add(.nonzeroDigit, min: 1, max: 1)
                if width > 1 { add(.digit, min: 0, max: width - 1) }
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
        sharedWord(with: other) != nil
    }

    /// Whether the automaton accepts `word`.
    func accepts(_ word: String) -> Bool {
        var states = Set(closure(0))
        for character in word {
            let literal = CharClass.literal(character)
            var next = Set<Int>()
            for state in states where state < accepting && step[state].intersects(literal) {
                next.formUnion(closure(state + 1))
            }
            guard !next.isEmpty else { return false }
            states = next
        }
        return states.contains(accepting)
    }

    /// A word both automata accept (digits read as `1`, letters as `X`, so that a date segment
    /// reads as a date), or `nil` when they share none. Breadth first, so the word is a short one.
    func sharedWord(with other: Automaton) -> String? {
        struct Pair: Hashable { let a: Int, b: Int }
        var came: [Pair: (from: Pair, character: Character)] = [:]
        var visited = Set<Pair>()
        var queue: [Pair] = []
        for a in closure(0) { for b in other.closure(0) { queue.append(Pair(a: a, b: b)) } }
        let start = Set(queue)
        var head = 0
        while head < queue.count {
            let pair = queue[head]
            head += 1
            guard visited.insert(pair).inserted else { continue }
            if pair.a == accepting && pair.b == other.accepting {
                var word: [Character] = []
                var at = pair
                while !start.contains(at), let step = came[at] {
                    word.append(step.character)
                    at = step.from
                }
                return String(word.reversed())
            }
            guard pair.a < accepting, pair.b < other.accepting, step[pair.a].intersects(other.step[pair.b]) else { continue }
            let character: Character = switch (step[pair.a], other.step[pair.b]) {
            case let (.literal(c), _), let (_, .literal(c)): c
            case (.digit, _), (.nonzeroDigit, _): "1"
            default: "X"
            }
            for a2 in closure(pair.a + 1) {
                for b2 in other.closure(pair.b + 1) {
                    let next = Pair(a: a2, b: b2)
                    if came[next] == nil && !start.contains(next) { came[next] = (pair, character) }
                    queue.append(next)
                }
            }
        }
        return nil
    }
}

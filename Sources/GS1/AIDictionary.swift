/// The GS1 Application Identifiers: every AI of the GS1 Barcode Syntax Dictionary with its title,
/// format and flags, and the look-ups the parser needs.
///
/// The table is generated from the dictionary by `scripts/generate-ai-table.py`.
public final class AIDictionary: Sendable {
    /// The dictionary this package was built with.
    public static let standard = AIDictionary(entries: generatedEntries)

    /// Every AI, in lexical order.
    public let entries: [AIEntry]

    /// Entry index + 1 by AI code (`AIPattern.code`: `length * 10_000 + value`), 0 when there is none.
    ///
    /// This and the tables below are read on every AI of every scan. They never change and live
    /// as long as the dictionary, so they are kept in memory of their own rather than in arrays:
    /// reading them counts no reference.
    private nonisolated(unsafe) let index: UnsafeMutableBufferPointer<UInt16>
    /// The length of the AIs that start with each two-digit prefix, 0 when no AI does.
    private nonisolated(unsafe) let lengthByPrefix: UnsafeMutableBufferPointer<UInt8>
    /// The association rules of every entry (``AIEntry/excludes`` and ``AIEntry/requires``),
    /// compiled into numbers (``AssociationProgram``).
    nonisolated(unsafe) let rules: AssociationProgram
    /// ``entries`` again, not counted (``entries`` holds them): a look-up on the parser's path
    /// hands one out without a retain and a release.
    private nonisolated(unsafe) let uncounted: UnsafeMutableBufferPointer<Unmanaged<AIEntry>>

    init(entries: [AIEntry]) {
        self.entries = entries
        let index = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 50_000)
        index.initialize(repeating: 0)
        let lengths = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 100)
        lengths.initialize(repeating: 0)
        for (position, entry) in entries.enumerated() {
            let bytes = entry.aiBytes
            index[Int(entry.code)] = UInt16(position + 1)
            lengths[Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48)] = UInt8(bytes.count)
        }
        self.index = index
        self.lengthByPrefix = lengths
        self.rules = AssociationProgram(entries)
        self.uncounted = .allocate(capacity: max(1, entries.count))
        _ = uncounted.initialize(from: entries.map { Unmanaged.passUnretained($0) })
    }

    deinit {
        index.deallocate()
        lengthByPrefix.deallocate()
        rules.deallocate()
        uncounted.deallocate()
    }

    /// Where the rules of the AI with `code` start in ``rules`` (0: it has none, or the
    /// dictionary does not know it).
    @inline(__always)
    func ruleStart(code: UInt32) -> Int {
        guard code < 50_000 else { return 0 }
        let slot = Int(index[Int(code)])
        return slot == 0 ? 0 : rules.start(entry: slot - 1)
    }

    /// The entry for `ai` (e.g. `"17"`), or `nil` when the dictionary has no such AI.
    public subscript(ai: String) -> AIEntry? {
        var text = ai
        return text.withUTF8 { entry(exactly: $0, permitUnknown: false) }
    }

    /// The length of every AI that starts with the two digits `prefix` (0...99), or `nil` when no
    /// AI of the dictionary starts with them.
    public func aiLength(prefix: Int) -> Int? {
        guard (0..<100).contains(prefix), lengthByPrefix[prefix] != 0 else { return nil }
        return Int(lengthByPrefix[prefix])
    }

    /// The entry for exactly the AI `ai` (as in `(ai)` or a Digital Link path segment).
    ///
    /// With `permitUnknown`, an AI the dictionary lacks is accepted when it does not clash with a
    /// known one: the stand-in takes its length and separator rule from its first two digits.
    func entry(exactly ai: Bytes, permitUnknown: Bool) -> AIEntry? {
        let length = ai.count
        guard (2...4).contains(length), Linter.firstNonDigit(ai) == nil else { return nil }
        let prefixLength = Int(lengthByPrefix[ai.twoDigitValue(at: 0)])
        if prefixLength != 0 {
            guard prefixLength == length else { return nil }
            let slot = Int(index[aiCode(atStartOf: ai)])
            if slot != 0 { return entries[slot &- 1] }
        }
        guard permitUnknown else { return nil }
        return unknownEntry(ai, prefixLength: prefixLength)
    }

    /// The code (``AIPattern/code``: length × 10,000 + value) of the AI at the start of `data` (an
    /// element string), as its first two digits tell its length; 0 when they are no prefix of the
    /// dictionary, or the AI is cut short or holds a non-digit.
    @inline(__always)
    private func aiCode(atStartOf data: Bytes) -> Int {
        guard data.count >= 2, isDigit(data[0]), isDigit(data[1]) else { return 0 }
        let length = Int(lengthByPrefix[data.twoDigitValue(at: 0)])
        guard length != 0, data.count >= length else { return 0 }
        var value = 0
        for position in 0..<length {
            let digit = data[position] &- 48
            guard digit < 10 else { return 0 }
            value = value &* 10 &+ Int(digit)
        }
        return length &* 10_000 &+ value
    }

    /// The known entry for the AI at the start of `data` (an element string), not counted: it
    /// lives as long as this dictionary. `nil` when the dictionary has none.
    @inline(__always)
    func knownEntry(atStartOf data: Bytes) -> Unmanaged<AIEntry>? {
        let slot = Int(index[aiCode(atStartOf: data)])
        return slot == 0 ? nil : uncounted[slot &- 1]
    }

    /// A stand-in for the AI at the start of `data` (an element string) that the dictionary does
    /// not know, when unknown AIs are permitted; `nil` for a known AI. Only where the first two
    /// digits tell its length (otherwise the AI cannot be told apart from its value).
    func standIn(atStartOf data: Bytes) -> AIEntry? {
        let code = aiCode(atStartOf: data)
        guard code != 0, index[code] == 0 else { return nil }
        let length = code / 10_000
        return unknownEntry(data.part(0..<length), prefixLength: length)
    }

    /// A stand-in for an AI the dictionary does not know: `X..90` needing a separator, or the
    /// predefined length of its prefix (13 for `41n`, 6 for `3nnn`).
    private func unknownEntry(_ ai: Bytes, prefixLength: Int) -> AIEntry? {
        let text = String(decoding: ai, as: UTF8.self)
        let predefined = PredefinedLength.valueLength(prefix: ai.twoDigitValue(at: 0))
        if let predefined, (prefixLength == 3 && predefined == 13) || (prefixLength == 4 && predefined == 6) {
            return AIEntry(text, AIEntry.unknownTitle, format: "X\(predefined)", predefinedLength: true, dataAttribute: true,
                           components: [AIComponent(.cset82, predefined, predefined, optional: false, checks: [])],
                           requires: [], excludes: [], keyQualifiers: nil)
        }
        return AIEntry(text, AIEntry.unknownTitle, format: "X..90", predefinedLength: false, dataAttribute: true,
                       components: [AIComponent(.cset82, 1, 90, optional: false, checks: [])],
                       requires: [], excludes: [], keyQualifiers: nil)
    }
}

/// The association rules of a dictionary's entries, as one block of numbers that the parser walks
/// without touching a reference count (an entry's `requires` is an array of arrays of arrays).
///
/// For each entry with rules, from its start: the number of excluded patterns and each pattern
/// (length, prefix, prefix digits); then the number of requirements, and for each its number of
/// alternative groups, and for each group its number of patterns and each pattern. Offset 0 holds
/// an empty rule set (two zeros), where every entry without rules starts.
struct AssociationProgram {
    let words: UnsafeMutableBufferPointer<UInt32>
    /// Where each entry's rules start, by the entry's place in the dictionary.
    let starts: UnsafeMutableBufferPointer<UInt32>

    init(_ entries: [AIEntry]) {
        var words: [UInt32] = [0, 0]
        var starts: [UInt32] = []
        func append(_ pattern: AIPattern) { words += [pattern.length, pattern.prefix, pattern.prefixDigits] }
        for entry in entries {
            guard !entry.excludePatterns.isEmpty || !entry.requirePatterns.isEmpty else {
                starts.append(0)
                continue
            }
            starts.append(UInt32(words.count))
            words.append(UInt32(entry.excludePatterns.count))
            entry.excludePatterns.forEach(append)
            words.append(UInt32(entry.requirePatterns.count))
            for requirement in entry.requirePatterns {
                words.append(UInt32(requirement.count))
                for group in requirement {
                    words.append(UInt32(group.count))
                    group.forEach(append)
                }
            }
        }
        self.words = .allocate(capacity: words.count)
        _ = self.words.initialize(from: words)
        self.starts = .allocate(capacity: max(1, starts.count))
        _ = self.starts.initialize(from: starts)
    }

    @inline(__always)
    func start(entry position: Int) -> Int { Int(starts[position]) }

    /// The pattern at `offset`.
    @inline(__always)
    func pattern(at offset: Int) -> AIPattern {
        AIPattern(length: words[offset], prefix: words[offset + 1], prefixDigits: words[offset + 2])
    }

    func deallocate() {
        words.deallocate()
        starts.deallocate()
    }
}

/// The GS1 General Specifications' table of AI prefixes with a predefined value length (Figure
/// 7.8.5-2): only after these does an element string omit the FNC1 separator. The length is the
/// value's, without the AI.
public enum PredefinedLength {
    private static let lengths: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 100)
        table[0] = 18
        table[1] = 14; table[2] = 14; table[3] = 14
        table[4] = 16
        for prefix in 11...19 { table[prefix] = 6 }
        table[20] = 2
        for prefix in 31...36 { table[prefix] = 6 }
        table[41] = 13
        return table
    }()

    /// The predefined value length for AIs starting with the two digits `prefix`, or `nil` when
    /// their values are variable and a separator must follow them.
    public static func valueLength(prefix: Int) -> Int? {
        guard (0..<100).contains(prefix), lengths[prefix] != 0 else { return nil }
        return Int(lengths[prefix])
    }
}

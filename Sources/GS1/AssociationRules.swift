/// The rules about which AIs must or must not appear together (the dictionary's `req=` and `ex=`),
/// that a repeated AI keeps its value, and that a digital signature (8030) signs a serialised key.
///
/// As in the GS1 Syntax Engine: a pattern such as `31nn` matches any AI of that length with those
/// digits, and an AI never excludes or satisfies itself. The AIs are compared as numbers.
enum AssociationRules {
    /// Checks `items`, whose entries come from `dictionary` (or are stand-ins for AIs it lacks).
    static func check(_ items: [ParseRun.Item], dictionary: AIDictionary, checksRequiredAIs: Bool,
                      checker: inout ValueChecker) throws(GS1Error) {
        guard !items.isEmpty else { return }
        try items.withUnsafeBufferPointer { items throws(GS1Error) in
            try checkExclusions(items, dictionary, &checker)
            if checksRequiredAIs { try checkRequirements(items, dictionary, &checker) }
            try checkRepeats(items, &checker)
            if items.contains(where: { $0.code == 48_030 }) { try checkSignedKeys(items, &checker) }  // AI (8030)
        }
    }

    /// The index of the first AI other than `except` that matches `pattern`.
    @inline(__always)
    private static func find(_ pattern: AIPattern, in items: UnsafeBufferPointer<ParseRun.Item>, except: UInt32) -> Int? {
        for index in items.indices {
            let code = items[index].code
            if code != except && pattern.matches(code) { return index }
        }
        return nil
    }

    // The rules are read from the dictionary's compiled program (`AssociationProgram`), in its order:
    // the excluded patterns, then the requirements.

    private static func checkExclusions(_ items: UnsafeBufferPointer<ParseRun.Item>, _ dictionary: AIDictionary,
                                        _ checker: inout ValueChecker) throws(GS1Error) {
        let rules = dictionary.rules
        var reported: Set<[UInt32]> = []
        for index in items.indices {
            let code = items[index].code
            var offset = dictionary.ruleStart(code: code)
            guard offset != 0 else { continue }
            let count = Int(rules.words[offset])
            offset += 1
            for _ in 0..<count {
                let pattern = rules.pattern(at: offset)
                offset += 3
                guard let other = find(pattern, in: items, except: code) else { continue }
                guard reported.insert([code, items[other].code].sorted()).inserted else { continue }
                try checker.breach(GS1Error.about(items[index].entry.ai, at: items[index].position, .excludedAIs,
                                                  "must not appear together with AI (\(items[other].entry.ai))"))
            }
        }
    }

    private static func checkRequirements(_ items: UnsafeBufferPointer<ParseRun.Item>, _ dictionary: AIDictionary,
                                          _ checker: inout ValueChecker) throws(GS1Error) {
        let rules = dictionary.rules
        var reported: Set<UInt32> = []
        for index in items.indices {
            let code = items[index].code
            var offset = dictionary.ruleStart(code: code)
            guard offset != 0 else { continue }
            offset += 1 + 3 * Int(rules.words[offset])
            let requirements = Int(rules.words[offset])
            offset += 1
            for number in 0..<requirements {
                let groups = Int(rules.words[offset])
                offset += 1
                var satisfied = false
                for _ in 0..<groups {
                    let patterns = Int(rules.words[offset])
                    offset += 1
                    if !satisfied {
                        var all = true
                        for slot in 0..<patterns where find(rules.pattern(at: offset + 3 * slot), in: items, except: code) == nil {
                            all = false
                            break
                        }
                        satisfied = all
                    }
                    offset += 3 * patterns
                }
                guard !satisfied, reported.insert(code).inserted else { continue }
                let entry = items[index].entry
                let options = entry.requires[number].map { group in group.map { "(\($0))" }.joined(separator: "+") }
                let wording = options.count == 1
                    ? "AI \(options[0])"
                    : "AI " + options.dropLast().joined(separator: ", ") + " or " + options[options.count - 1]
                try checker.breach(GS1Error.about(entry.ai, at: items[index].position, .missingRequiredAI, "requires \(wording)"))
            }
        }
    }

    private static func checkRepeats(_ items: UnsafeBufferPointer<ParseRun.Item>, _ checker: inout ValueChecker) throws(GS1Error) {
        guard items.count > 1 else { return }
        var reported: Set<UInt32> = []
        for index in 0..<(items.count - 1) {
            let code = items[index].code
            for other in (index + 1)..<items.count where items[other].code == code && items[other].value != items[index].value {
                guard reported.insert(code).inserted else { continue }
                let first = items[index].position.map { " at character \($0 + 1)" } ?? ""
                try checker.breach(GS1Error.about(items[index].entry.ai, at: items[other].position, .conflictingValues,
                                                  "appears again with a different value (\(items[index].value)\(first))"))
            }
        }
    }

    private static func checkSignedKeys(_ items: UnsafeBufferPointer<ParseRun.Item>, _ checker: inout ValueChecker) throws(GS1Error) {
        for item in items where ["253", "255", "8003"].contains(item.entry.ai) && item.value.utf8.count == item.entry.minimumLength {
            try checker.breach(GS1Error.about(item.entry.ai, at: item.position, .missingRequiredAI,
                                              "needs its serial component when signed by AI (8030)"))
        }
    }
}

/// The rules about which AIs must or must not appear together (the dictionary's `req=` and `ex=`),
/// that a repeated AI keeps its value, and that a digital signature (8030) signs a serialised key.
///
/// As in the GS1 Syntax Engine: a pattern such as `31nn` matches any AI of that length with those
/// digits, and an AI never excludes or satisfies itself. The AIs are compared as numbers.
enum AssociationRules {
    static func check(_ items: [ParseRun.Item], checksRequiredAIs: Bool, checker: inout ValueChecker) throws(GS1Error) {
        guard !items.isEmpty else { return }
        var codes: [UInt32] = []
        codes.reserveCapacity(items.count)
        for index in items.indices { codes.append(items[index].entry.code) }
        try checkExclusions(items, codes, &checker)
        if checksRequiredAIs { try checkRequirements(items, codes, &checker) }
        try checkRepeats(items, codes, &checker)
        if codes.contains(48_030) { try checkSignedKeys(items, &checker) }  // AI (8030)
    }

    /// The index of the first AI other than `except` that matches `pattern`.
    @inline(__always)
    private static func find(_ pattern: AIPattern, in codes: [UInt32], except: UInt32) -> Int? {
        for (index, code) in codes.enumerated() where code != except && pattern.matches(code) { return index }
        return nil
    }

    private static func checkExclusions(_ items: [ParseRun.Item], _ codes: [UInt32], _ checker: inout ValueChecker) throws(GS1Error) {
        var reported: Set<[UInt32]> = []
        for index in items.indices {
            let entry = items[index].entry
            if entry.excludePatterns.isEmpty { continue }
            for pattern in entry.excludePatterns {
                guard let other = find(pattern, in: codes, except: codes[index]) else { continue }
                guard reported.insert([codes[index], codes[other]].sorted()).inserted else { continue }
                try checker.breach(GS1Error.about(entry.ai, at: items[index].position, .excludedAIs,
                                                  "must not appear together with AI (\(items[other].entry.ai))"))
            }
        }
    }

    private static func checkRequirements(_ items: [ParseRun.Item], _ codes: [UInt32], _ checker: inout ValueChecker) throws(GS1Error) {
        var reported: Set<UInt32> = []
        for index in items.indices {
            let entry = items[index].entry
            if entry.requirePatterns.isEmpty { continue }
            for (number, requirement) in entry.requirePatterns.enumerated() {
                let satisfied = requirement.contains { group in
                    group.allSatisfy { find($0, in: codes, except: codes[index]) != nil }
                }
                guard !satisfied, reported.insert(codes[index]).inserted else { continue }
                let options = entry.requires[number].map { group in group.map { "(\($0))" }.joined(separator: "+") }
                let wording = options.count == 1
                    ? "AI \(options[0])"
                    : "AI " + options.dropLast().joined(separator: ", ") + " or " + options[options.count - 1]
                try checker.breach(GS1Error.about(entry.ai, at: items[index].position, .missingRequiredAI, "requires \(wording)"))
            }
        }
    }

    private static func checkRepeats(_ items: [ParseRun.Item], _ codes: [UInt32], _ checker: inout ValueChecker) throws(GS1Error) {
        guard codes.count > 1 else { return }
        var reported: Set<UInt32> = []
        for index in 0..<(codes.count - 1) {
            for other in (index + 1)..<codes.count where codes[other] == codes[index] && items[other].value != items[index].value {
                guard reported.insert(codes[index]).inserted else { continue }
                let first = items[index].position.map { " at position \($0)" } ?? ""
                try checker.breach(GS1Error.about(items[index].entry.ai, at: items[other].position, .conflictingValues,
                                                  "appears again with a different value (\(items[index].value)\(first))"))
            }
        }
    }

    private static func checkSignedKeys(_ items: [ParseRun.Item], _ checker: inout ValueChecker) throws(GS1Error) {
        for item in items where ["253", "255", "8003"].contains(item.entry.ai) && item.value.utf8.count == item.entry.minimumLength {
            try checker.breach(GS1Error.about(item.entry.ai, at: item.position, .missingRequiredAI,
                                              "needs its serial component when signed by AI (8030)"))
        }
    }
}

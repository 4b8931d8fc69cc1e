extension ParseRun {
    /// Parses an uncompressed GS1 Digital Link URI, after the GS1 Syntax Engine's `gs1_parseDLuri`:
    /// the rightmost primary key in the path starts the GS1 path (anything before it is the stem),
    /// its qualifiers follow in the dictionary's order, and numeric query parameters are data
    /// attributes; other query parameters and the fragment are ignored.
    mutating func parseDigitalLink(_ uri: Bytes) throws(GS1Error) {
        let end = uri.count
        for index in 0..<end where !DigitalLinkSyntax.isURICharacter(uri[index]) {
            throw invalid("character \(offset + index + 1) is not allowed in a URI", index)
        }
        guard let schemeLength = DigitalLinkSyntax.schemeLength(uri) else {
            throw invalid("the URI must start with http:// or https://", 0)
        }
        var r = schemeLength
        while r < end, uri[r] != UInt8(ascii: "/") {
            if DigitalLinkSyntax.isBadDomainCharacter(uri[r]) {
                throw invalid("character \(offset + r + 1) is not allowed in a domain name", r)
            }
            r += 1
        }
        guard r < end, r > schemeLength else { throw invalid("the URI must have a domain name and a path", schemeLength) }
        let pathStart = r
        let fragment = uri.part(pathStart..<end).firstIndex(of: UInt8(ascii: "#")).map { $0 + pathStart } ?? end
        let query = uri.part(pathStart..<fragment).firstIndex(of: UInt8(ascii: "?")).map { $0 + pathStart }
        var pathEnd = query ?? fragment
        if options.isLenient, pathEnd > pathStart + 1, uri[pathEnd - 1] == UInt8(ascii: "/") {
            try checker.breach(invalid("the path ends with \"/\"", pathEnd - 1))
            pathEnd -= 1
        }

        // Walk back over "/AI/value" pairs to the rightmost primary key.
        var keyStart: Int?
        var segmentEnd = pathEnd
        while segmentEnd > pathStart {
            var slash = segmentEnd - 1
            while slash > pathStart, uri[slash] != UInt8(ascii: "/") { slash -= 1 }
            guard slash > pathStart else { break }
            var aiStart = slash - 1
            while aiStart > pathStart, uri[aiStart] != UInt8(ascii: "/") { aiStart -= 1 }
            guard uri[aiStart] == UInt8(ascii: "/") else { break }
            guard let entry = pathEntry(uri.part((aiStart + 1)..<slash)) else { break }
            if entry.entry.isDigitalLinkPrimaryKey {
                keyStart = aiStart
                break
            }
            segmentEnd = aiStart
        }
        guard let keyStart else {
            if looksCompressed(uri.part(pathStart..<pathEnd)) {
                throw GS1Error(.unsupported, "Digital Link: the path looks like a compressed Digital Link URI; compressed URIs are not supported",
                               ai: nil, position: offset + pathStart)
            }
            // Said as it is where the key is there but the path around it is not right.
            if pathEnd > pathStart + 1, uri[pathEnd - 1] == UInt8(ascii: "/") {
                throw invalid("the path ends with \"/\": a Digital Link path ends with its last value", pathEnd - 1)
            }
            var segment = pathStart + 1
            while segment < pathEnd {
                var next = segment
                while next < pathEnd, uri[next] != UInt8(ascii: "/") { next += 1 }
                if let entry = pathEntry(uri.part(segment..<next)), entry.entry.isDigitalLinkPrimaryKey {
                    throw invalid("the path has /\(entry.entry.ai)/, but its segments from there do not pair as /AI/value: a value is missing, or a \"/\" is too many",
                                  segment - 1)
                }
                segment = next + 1
            }
            // A Digital Link 1.0/1.1 label (/gtin/ for /01/): said so, with how to read it.
            if !options.permitsConvenienceAlphas {
                var segment = pathStart + 1
                while segment < pathEnd {
                    var next = segment
                    while next < pathEnd, uri[next] != UInt8(ascii: "/") { next += 1 }
                    let name = String(decoding: uri.part(segment..<next), as: UTF8.self)
                    if let ai = DigitalLinkSyntax.convenienceAlphas[name], dictionary[ai]?.isDigitalLinkPrimaryKey == true {
                        throw invalid("/\(name)/ is Digital Link 1.0/1.1's name for /\(ai)/, dropped in Digital Link 1.2: read such a label leniently (--lenient, a station's lenient: true)",
                                      segment - 1)
                    }
                    segment = next + 1
                }
            }
            throw invalid("no GS1 primary key (such as /01/ or /00/) in the path", pathStart)
        }

        // The path: AI/value pairs from the primary key on.
        var p = keyStart
        var order = 0
        var keyEntry: AIEntry?
        var qualifiers: [UInt32] = []
        while p < pathEnd {
            let aiStart = p + 1
            var aiEnd = aiStart
            while aiEnd < pathEnd, uri[aiEnd] != UInt8(ascii: "/") { aiEnd += 1 }
            guard let (entry, alpha) = pathEntry(uri.part(aiStart..<aiEnd)) else {
                throw invalid("segment at character \(offset + aiStart + 1) is not an AI", aiStart)
            }
            if alpha, options.isLenient {
                let name = String(decoding: uri.part(aiStart..<aiEnd), as: UTF8.self)
                try checker.breach(GS1Error.about(entry.ai, at: offset + aiStart, .invalidDigitalLink,
                                                  "path name \"\(name)\" is deprecated; use /\(entry.ai)/"))
            }
            let valueStart = aiEnd + 1
            var valueEnd = valueStart
            while valueEnd < pathEnd, uri[valueEnd] != UInt8(ascii: "/") { valueEnd += 1 }
            guard valueStart < valueEnd, aiEnd < pathEnd else {
                throw GS1Error.about(entry.ai, at: offset + aiStart, .invalidDigitalLink, "has an empty path segment for its value")
            }
            let value = try decodedValue(uri.part(valueStart..<valueEnd), query: false, entry: entry, position: offset + aiStart)
            try withBytes(value) { buffer throws(GS1Error) in
                try checker.checkWhole(buffer, entry: entry, position: offset + aiStart)
            }
            try append(Item(entry: entry, value: value, position: offset + aiStart, pathOrder: order))
            if order == 0 { keyEntry = entry } else { qualifiers.append(entry.code) }
            order += 1
            p = valueEnd
        }
        guard let keyEntry else { throw invalid("no GS1 primary key in the path", keyStart) }
        if !DigitalLinkSyntax.isValidPath(key: keyEntry, qualifierCount: qualifiers.count, { qualifiers[$0] }) {
            let pathAIs = items.map(\.entry.ai)
            guard options.isLenient, let sorted = DigitalLinkSyntax.reordered(pathAIs) else {
                let shown = pathAIs.map { "/\($0)/…" }.joined()
                throw invalid("the path \(shown) is not a valid key-qualifier sequence (qualifiers of (\(pathAIs[0])) in the wrong order or not allowed)",
                              keyStart)
            }
            try checker.breach(invalid("the qualifiers of (\(pathAIs[0])) are out of order: \(pathAIs.map { "/\($0)/" }.joined())", keyStart))
            items.sort { sorted.firstIndex(of: $0.entry.ai)! < sorted.firstIndex(of: $1.entry.ai)! }
            for index in items.indices { items[index].pathOrder = index }
            qualifiers = items.dropFirst().map(\.entry.code)
        }

        // The query: numeric keys are AIs; others and singletons are ignored.
        if let query {
            var q = query + 1
            while q < fragment {
                while q < fragment, uri[q] == UInt8(ascii: "&") { q += 1 }
                guard q < fragment else { break }
                var r = q
                while r < fragment, uri[r] != UInt8(ascii: "&") { r += 1 }
                defer { q = r }
                guard let equals = uri.part(q..<r).firstIndex(of: UInt8(ascii: "=")).map({ $0 + q }) else { continue }
                let key = uri.part(q..<equals)
                guard key.count > 0, Linter.firstNonDigit(key) == nil else { continue }
                guard let entry = dictionary.entry(exactly: key, permitUnknown: options.permitsUnknownAIs) else {
                    if options.ignoresUnknownQueryParameters { continue }
                    let ai = String(decoding: key, as: UTF8.self)
                    throw GS1Error(.unknownAI, "unknown AI (\(ai)) at character \(offset + q + 1) in the query", ai: ai, position: offset + q)
                }
                guard equals + 1 < r else {
                    throw GS1Error.about(entry.ai, at: offset + q, .invalidDigitalLink, "has an empty value in the query")
                }
                let value = try decodedValue(uri.part((equals + 1)..<r), query: true, entry: entry, position: offset + q)
                try withBytes(value) { buffer throws(GS1Error) in
                    try checker.checkLength(buffer, entry: entry, position: offset + q)
                }
                try append(Item(entry: entry, value: value, position: offset + q, pathOrder: nil))
            }
        }

        // No AI twice; attributes allowed as attributes, and not ones that belong in the path.
        for index in items.indices {
            let code = items[index].entry.code
            for other in 0..<index where items[other].entry.code == code {
                throw GS1Error.about(items[index].entry.ai, at: items[index].position, .invalidDigitalLink, "appears twice in the URI")
            }
        }
        let pathCount = qualifiers.count + 1
        for item in items[pathCount...] {
            let allowed = item.entry.isUnknown
                ? options.permitsUnknownAIsInDigitalLinkQueries
                : item.entry.isDigitalLinkDataAttribute
            guard allowed else {
                throw GS1Error.about(item.entry.ai, at: item.position, .invalidDigitalLink, "is not allowed as a data attribute in the query")
            }
            let code = item.entry.code
            for slot in 0...qualifiers.count {
                // The attribute tried as a qualifier after the slot-th path AI.
                let fits = DigitalLinkSyntax.isValidPath(key: keyEntry, qualifierCount: qualifiers.count + 1) { index in
                    index < slot ? qualifiers[index] : index == slot ? code : qualifiers[index - 1]
                }
                if fits {
                    throw GS1Error.about(item.entry.ai, at: item.position, .invalidDigitalLink,
                                         "belongs in the path after /\(items[slot].entry.ai)/, not in the query")
                }
            }
        }

        // Now the values' components, in data order.
        for item in items[pathCount...] {
            try withBytes(item.value) { buffer throws(GS1Error) in
                try checker.checkWhole(buffer, entry: item.entry, position: item.position)
            }
        }
    }

    /// The AI of a path segment: digits, or (when allowed or lenient) a convenience name.
    private func pathEntry(_ segment: Bytes) -> (entry: AIEntry, alpha: Bool)? {
        if segment.count >= 3, segment.count <= 5, !isDigit(segment[0]),
           options.permitsConvenienceAlphas,
           let ai = DigitalLinkSyntax.convenienceAlphas[String(decoding: segment, as: UTF8.self)],
           let entry = dictionary[ai] {
            return (entry, true)
        }
        return dictionary.entry(exactly: segment, permitUnknown: options.permitsUnknownAIs).map { ($0, false) }
    }

    /// The value of a path segment or query parameter: percent-decoded (in a query `+` is a space),
    /// and a GTIN-8, -12 or -13 in (01) padded to 14 digits when allowed (a warning when lenient).
    private mutating func decodedValue(_ raw: Bytes, query: Bool, entry: AIEntry, position: Int) throws(GS1Error) -> String {
        var value: String
        if raw.contains(where: { $0 == UInt8(ascii: "%") || (query && $0 == UInt8(ascii: "+")) }) {
            guard let decoded = DigitalLinkSyntax.unescape(raw, query: query) else {
                throw GS1Error.about(entry.ai, at: position, .invalidCharacter, "value contains a percent-encoded NUL")
            }
            value = String(decoding: decoded, as: UTF8.self)
        } else {
            value = String(decoding: raw, as: UTF8.self)
        }
        let length = value.utf8.count
        guard entry.code == 20_001, [8, 12, 13].contains(length), options.permitsZeroSuppressedGTINs else { return value }
        if options.isLenient {
            try checker.breach(GS1Error.about("01", at: position, .invalidLength,
                                              "GTIN has \(length) digits; Digital Link URIs carry all 14"))
        }
        value = String(repeating: "0", count: 14 - length) + value
        return value
    }

    /// Whether the last path segment looks like the base64url payload of a compressed URI.
    private func looksCompressed(_ path: Bytes) -> Bool {
        let start = (path.lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1
        let segment = path.part(start..<path.count)
        guard segment.count >= 10, segment.allSatisfy({ CharacterSets.isCSet64($0) }) else { return false }
        return segment.contains { (65...90).contains($0) } && segment.contains { (97...122).contains($0) }
    }

    private func invalid(_ detail: String, _ index: Int) -> GS1Error {
        GS1Error(.invalidDigitalLink, "Digital Link: \(detail)", ai: nil, position: offset + index)
    }
}

/// Builds a GS1 Digital Link URI (uncompressed) from AIs, after the GS1 Syntax Engine's
/// `gs1_generateDLuri`: the first primary key and as many of its qualifiers as the data has go in
/// the path; the other AIs become query attributes, those of predefined length first.
public struct DigitalLinkBuilder: Sendable {
    /// GS1's resolver, the host of canonical URIs.
    public static let canonicalStem = "https://id.gs1.org"

    /// Scheme, host and any path before the GS1 path, e.g. `https://example.com/products`.
    public var stem: String
    /// Put the query attributes in AI order (as biip's canonical URIs do) instead of data order.
    public var sortsAttributes: Bool
    /// Allow unknown AIs as query attributes.
    public var permitsUnknownAIs: Bool

    /// A builder for URIs under `stem` (the canonical `https://id.gs1.org` by default).
    public init(stem: String = DigitalLinkBuilder.canonicalStem, sortsAttributes: Bool = false, permitsUnknownAIs: Bool = false) {
        self.stem = stem
        self.sortsAttributes = sortsAttributes
        self.permitsUnknownAIs = permitsUnknownAIs
    }

    /// The URI for `elements` (already validated, e.g. from ``ElementStringBuilder`` or a scan).
    /// Repeated AIs with the same value are written once.
    ///
    /// - Throws: ``GS1Error`` when there is no primary key, or an AI is not allowed as an attribute.
    public func uri(for elements: [AIElement]) throws(GS1Error) -> String {
        var entries: [AIEntry] = []
        for element in elements {
            let entry = try withBytes(element.ai) { ai throws(GS1Error) -> AIEntry in
                guard let entry = AIDictionary.standard.entry(exactly: ai, permitUnknown: true) else {
                    throw GS1Error(.unknownAI, "unknown AI (\(element.ai))", ai: element.ai, position: nil)
                }
                return entry
            }
            entries.append(entry)
        }
        guard let keyIndex = entries.firstIndex(where: { $0.isDigitalLinkPrimaryKey }) else {
            throw GS1Error(.invalidDigitalLink, "Digital Link: the data has no primary key such as (01) or (00)")
        }
        let key = entries[keyIndex].ai
        // The longest qualifier selection the data satisfies (first in sorted order on a tie).
        var best: [String] = [key]
        for path in DigitalLinkSyntax.keyQualifierPaths {
            let ais = path.split(separator: " ").map(String.init)
            guard ais[0] == key, ais.count > best.count else { continue }
            if ais.dropFirst().allSatisfy({ ai in entries.contains { $0.ai == ai } }) { best = ais }
        }
        var emitted = Set<String>()
        var uri = stem.hasSuffix("/") ? String(stem.dropLast()) : stem
        for ai in best {
            let index = ai == key ? keyIndex : entries.firstIndex { $0.ai == ai }!
            uri += "/\(ai)/" + DigitalLinkSyntax.escape(elements[index].value, query: false)
            emitted.insert(ai)
        }
        var attributes: [(ai: String, value: String)] = []
        for predefined in [true, false] {
            for (index, entry) in entries.enumerated() where entry.hasPredefinedLength == predefined && !emitted.contains(entry.ai) {
                let allowed = entry.isUnknown ? permitsUnknownAIs : entry.isDigitalLinkDataAttribute
                guard allowed else {
                    throw GS1Error(.invalidDigitalLink, "AI (\(entry.ai)) is not allowed as a Digital Link data attribute",
                                   ai: entry.ai, position: nil)
                }
                attributes.append((entry.ai, elements[index].value))
                emitted.insert(entry.ai)
            }
        }
        if sortsAttributes { attributes.sort { $0.ai < $1.ai } }
        if !attributes.isEmpty {
            uri += "?" + attributes.map { "\($0.ai)=" + DigitalLinkSyntax.escape($0.value, query: true) }.joined(separator: "&")
        }
        return uri
    }
}

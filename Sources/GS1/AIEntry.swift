/// One Application Identifier of the GS1 Barcode Syntax Dictionary: its title, format, flags and
/// the rules for the AIs it must or must not appear with.
///
/// A class so that the parser can hold an entry without copying its arrays; it is immutable.
public final class AIEntry: Sendable, CustomStringConvertible {
    /// The AI, e.g. `01` or `3103`.
    public let ai: String
    /// The dictionary's short title, e.g. `GTIN` or `USE BY or EXPIRY` (empty for a few AIs).
    public let title: String
    /// The dictionary's format specification, e.g. `N6,yymmd0` or `N13,csum,gcppos1 [X..17]`.
    public let format: String
    /// Whether the AI's value has a length predefined by its first two digits, so that no FNC1
    /// separator follows it. (AI 8001 has a fixed length but is not predefined, so it needs one.)
    public let hasPredefinedLength: Bool
    /// Whether the AI may be a data attribute in the query string of a GS1 Digital Link URI.
    public let isDigitalLinkDataAttribute: Bool
    /// The components of the value, in order.
    public let components: [AIComponent]
    /// Each inner list is one requirement, satisfied by any one of its groups, each group being a
    /// set of AIs (or patterns such as `31nn`) that must all be present: `[[["01"], ["02"]]]` reads
    /// "requires (01) or (02)".
    public let requires: [[[String]]]
    /// AIs (or patterns such as `310n`) that must not appear together with this one.
    public let excludes: [String]
    /// When the AI is a GS1 Digital Link primary key, its allowed qualifier sequences in path order
    /// (`[[]]` for a key without qualifiers); `nil` otherwise.
    public let keyQualifiers: [[String]]?
    /// The shortest value (its mandatory components at their shortest).
    public let minimumLength: Int
    /// The longest value.
    public let maximumLength: Int
    /// The AI as bytes.
    let aiBytes: [UInt8]
    /// The AI as a number that also tells its length (`AIPattern.code`), for cheap comparisons.
    let code: UInt32
    /// `excludes` and `requires`, compiled.
    let excludePatterns: [AIPattern]
    let requirePatterns: [[[AIPattern]]]
    /// `keyQualifiers` as AI codes.
    let keyQualifierCodes: [[UInt32]]?
    /// Whether this is a stand-in for an AI the dictionary does not know (when unknown AIs are
    /// permitted). Stored: the parser asks it of every AI it reads.
    public let isUnknown: Bool
    /// ``components`` and their checks as plain values, in memory of the entry's own: the value
    /// check of every AI of every scan reads them without counting a reference.
    nonisolated(unsafe) let plainComponents: UnsafeMutableBufferPointer<PlainComponent>
    nonisolated(unsafe) let plainLinters: UnsafeMutableBufferPointer<Linter>

    struct PlainComponent {
        let charset: AIComponent.Charset
        let minimumLength: Int
        let maximumLength: Int
        let isOptional: Bool
        /// The component's checks in ``plainLinters``.
        let linters: Range<Int>
    }

    init(_ ai: String, _ title: String, format: String, predefinedLength: Bool, dataAttribute: Bool,
         components: [AIComponent], requires: [[[String]]], excludes: [String], keyQualifiers: [[String]]?) {
        self.ai = ai
        self.title = title
        self.format = format
        self.hasPredefinedLength = predefinedLength
        self.isDigitalLinkDataAttribute = dataAttribute
        self.components = components
        self.requires = requires
        self.excludes = excludes
        self.keyQualifiers = keyQualifiers
        self.minimumLength = components.reduce(0) { $0 + ($1.isOptional ? 0 : $1.minimumLength) }
        self.maximumLength = components.reduce(0) { $0 + $1.maximumLength }
        self.aiBytes = Array(ai.utf8)
        self.code = AIPattern.code(ai)
        self.excludePatterns = excludes.map(AIPattern.init)
        self.requirePatterns = requires.map { $0.map { $0.map(AIPattern.init) } }
        self.keyQualifierCodes = keyQualifiers.map { $0.map { $0.map(AIPattern.code) } }
        self.isUnknown = title == AIEntry.unknownTitle
        var plain: [PlainComponent] = []
        var linters: [Linter] = []
        for component in components {
            plain.append(PlainComponent(charset: component.charset, minimumLength: component.minimumLength,
                                        maximumLength: component.maximumLength, isOptional: component.isOptional,
                                        linters: linters.count..<(linters.count + component.linters.count)))
            linters += component.linters
        }
        self.plainComponents = .allocate(capacity: plain.count)
        _ = plainComponents.initialize(from: plain)
        self.plainLinters = .allocate(capacity: linters.count)
        _ = plainLinters.initialize(from: linters)
    }

    deinit {
        plainComponents.deallocate()
        plainLinters.deallocate()
    }

    /// An entry in the dictionary's notation, as the generated table writes it: `format` such as
    /// `N13,csum,gcppos1 [X..17]`, `flags` such as `*?`, `requires` such as `01,8006 21` (one
    /// requirement per space, alternatives by comma, `+` joining AIs needed together), `excludes`
    /// such as `310n,8111`, `keyQualifiers` such as `22,10,21|235` (`nil` when not a key).
    convenience init(_ ai: String, _ title: String, format: String, flags: String, requires: String, excludes: String,
                     keyQualifiers: String?) {
        func split(_ text: String, _ separator: Character) -> [String] {
            text.split(separator: separator, omittingEmptySubsequences: true).map(String.init)
        }
        let components = split(format, " ").map { token -> AIComponent in
            var text = Substring(token)
            let optional = text.hasPrefix("[")
            if optional { text = text.dropFirst() }
            var parts = text.split(separator: ",").map(String.init)
            var type = Substring(parts.removeFirst())
            if type.hasSuffix("]") { type = type.dropLast() }
            let charset = AIComponent.Charset(rawValue: String(type.prefix(1)))!
            let variable = type.dropFirst().hasPrefix("..")
            let length = Int(type.drop { !$0.isNumber })!
            return AIComponent(charset, variable ? 1 : length, length, optional: optional,
                               checks: parts.map { Linter(rawValue: $0)! })
        }
        self.init(ai, title, format: format, predefinedLength: flags.contains("*"), dataAttribute: flags.contains("?"),
                  components: components,
                  requires: split(requires, " ").map { split($0, ",").map { split($0, "+") } },
                  excludes: split(excludes, ","),
                  keyQualifiers: keyQualifiers.map { text in text.split(separator: "|", omittingEmptySubsequences: false).map { split(String($0), ",") } })
    }

    /// Whether an FNC1 separator (GS) must follow the value when another AI comes after it.
    public var needsSeparator: Bool { !hasPredefinedLength }

    /// Whether the AI is a GS1 Digital Link primary key.
    public var isDigitalLinkPrimaryKey: Bool { keyQualifiers != nil }

    static let unknownTitle = "UNKNOWN"

    public var description: String { "(\(ai)) \(title) \(format)" }
}

/// One component of an AI value: its character set, length and checks.
public struct AIComponent: Hashable, Sendable {
    /// The characters a component may hold.
    public enum Charset: String, Hashable, Sendable {
        /// Digits (`N`).
        case numeric = "N"
        /// GS1 AI encodable character set 82 (`X`).
        case cset82 = "X"
        /// GS1 AI encodable character set 39 (`Y`).
        case cset39 = "Y"
        /// GS1 AI encodable character set 64, base64url (`Z`).
        case cset64 = "Z"
    }

    /// The characters the component may hold.
    public let charset: Charset
    /// The shortest length (1 for a variable length `X..20`).
    public let minimumLength: Int
    /// The longest length.
    public let maximumLength: Int
    /// An optional component may be left out, but only at the end of the value.
    public let isOptional: Bool
    let linters: [Linter]

    /// The names of the dictionary's checks on this component, e.g. `csum`, `yymmd0`.
    public var checks: [String] { linters.map(\.rawValue) }

    init(_ charset: Charset, _ minimumLength: Int, _ maximumLength: Int, optional: Bool, checks: [Linter]) {
        self.charset = charset
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        self.isOptional = optional
        self.linters = checks
    }
}

extension AIComponent.Charset {
    /// The first character of `data` outside this set, or `nil`.
    @inline(__always)
    func check(_ data: Bytes) -> LintFailure? {
        switch self {
        case .numeric: CharacterSets.checkNumeric(data)
        case .cset82: CharacterSets.checkCSet82(data)
        case .cset39: CharacterSets.checkCSet39(data)
        case .cset64: CharacterSets.checkCSet64(data)
        }
    }
}

/// An AI or a pattern of AIs (`01`, `310n`, `31nn`) in numbers: an AI matches when it has the
/// pattern's length and starts with its digits.
struct AIPattern: Hashable, Sendable {
    /// Length of the AI.
    let length: UInt32
    /// The fixed leading digits, as a number, and how many there are.
    let prefix: UInt32
    let prefixDigits: UInt32

    init(_ pattern: String) {
        var prefix: UInt32 = 0
        var digits: UInt32 = 0
        for byte in pattern.utf8 {
            guard isDigit(byte) else { break }
            prefix = prefix * 10 + UInt32(byte - 48)
            digits += 1
        }
        self.length = UInt32(pattern.utf8.count)
        self.prefix = prefix
        self.prefixDigits = digits
    }

    init(length: UInt32, prefix: UInt32, prefixDigits: UInt32) {
        self.length = length
        self.prefix = prefix
        self.prefixDigits = prefixDigits
    }

    /// `length * 10_000 + value`: unique per AI, whatever its leading zeros.
    static func code(_ ai: String) -> UInt32 {
        UInt32(ai.utf8.count) * 10_000 + value(ai)
    }

    private static func value(_ ai: String) -> UInt32 {
        ai.utf8.reduce(UInt32(0)) { $0 * 10 + UInt32($1 &- 48) }
    }

    @inline(__always)
    func matches(_ code: UInt32) -> Bool {
        let length = code / 10_000
        guard length == self.length else { return false }
        var value = code % 10_000
        var drop = length - prefixDigits
        while drop > 0 { value /= 10; drop -= 1 }
        return value == prefix
    }
}

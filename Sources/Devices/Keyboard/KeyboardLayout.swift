/// A keyboard layout as a keyboard-mode scanner types through it: which character each HID usage
/// id gives without modifier, with Shift and with AltGr, and which keys are dead keys.
///
/// A scanner set to a Swedish layout sends the usages that type its characters on a Swedish
/// keyboard, so the decoder must use the same layout to get the characters back.
public struct KeyboardLayout: Hashable, Sendable, CustomStringConvertible {
    /// What a key gives at one level.
    public enum Output: Hashable, Sendable {
        /// A character.
        case character(Character)
        /// A dead key: it changes the next character (`^` then `e` is `ê`) and gives this
        /// character when followed by space.
        case dead(Character)
    }

    /// The shift levels a scanner uses.
    public enum Level: Int, Hashable, Sendable, CaseIterable {
        case base, shift, altGr, shiftAltGr
    }

    /// The short name: `us`, `uk`, `de`, `fr`, `se`, `dk`, `no`.
    public let name: String
    /// What the layout is called.
    public let title: String
    /// Per usage id: the outputs at each level (`nil` where the key gives nothing).
    let keys: [UInt8: [Output?]]

    init(name: String, title: String, keys: [UInt8: [Output?]]) {
        self.name = name
        self.title = title
        self.keys = keys
    }

    /// What `usage` gives at `level`, or `nil`.
    public func output(usage: UInt8, level: Level) -> Output? {
        guard let outputs = keys[usage], level.rawValue < outputs.count else { return nil }
        return outputs[level.rawValue]
    }

    /// Every key and level that types `character` directly (not through a dead key), for tests and
    /// for writing test reports.
    public func keystrokes(for character: Character) -> [(usage: UInt8, level: Level)] {
        keys.keys.sorted().flatMap { usage in
            Level.allCases.compactMap { level in output(usage: usage, level: level) == .character(character) ? (usage, level) : nil }
        }
    }

    public var description: String { name }

    /// The layouts by name, and the names people use for them.
    public static func named(_ name: String) -> KeyboardLayout? {
        switch name.lowercased() {
        case "us", "en-us", "en_us": .us
        case "uk", "gb", "en-gb", "en_gb": .uk
        case "de", "de-de", "de_de", "german": .german
        case "fr", "fr-fr", "fr_fr", "azerty", "french": .french
        case "se", "sv", "sv-se", "fi", "fi-fi", "swedish", "finnish": .swedish
        case "dk", "da", "da-dk", "danish": .danish
        case "no", "nb", "nb-no", "norwegian": .norwegian
        default: nil
        }
    }

    /// Every layout this package knows.
    public static let all: [KeyboardLayout] = [.us, .uk, .german, .french, .swedish, .danish, .norwegian]
}

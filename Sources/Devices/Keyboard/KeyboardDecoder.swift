import Foundation

/// Turns HID boot-keyboard reports from a scanner in keyboard mode into scans: a value-type state
/// machine fed one 8-byte report at a time (modifiers, reserved, six usage ids).
///
/// - A key counts when it appears in a report and was not in the one before: a key held over
///   several reports is one press, a release report between two equal characters makes two, and
///   with roll-over (a new key while the last is still down) only the new key counts.
/// - The characters come from the ``KeyboardLayout`` with the report's own modifiers; a modifier
///   sent in a report of its own before the key (as qemu does) works the same.
/// - Enter or Tab ends a scan (``Options/endKeys``). Ctrl with a key gives the ASCII control
///   character of that key's US position, as scanners send them: Ctrl+] is GS (29), Ctrl+6 RS,
///   Ctrl+D EOT. Left Alt with keypad digits types the character with that decimal code
///   (Alt+029 is GS).
public struct KeyboardDecoder: Sendable {
    /// Which keys end a scan.
    public enum EndKey: String, Hashable, Sendable, CaseIterable {
        case enter, tab
    }

    /// How a scanner in keyboard mode is set up.
    public struct Options: Hashable, Sendable {
        /// The layout the scanner types through.
        public var layout: KeyboardLayout
        /// The keys that end a scan (Enter and Tab by default); the others are typed as CR and TAB.
        public var endKeys: Set<EndKey>
        /// The usage id that, with Ctrl, is GS: 0x30 (the US `]` key) by default.
        public var groupSeparatorUsage: UInt8
        /// Text the scanner is configured to send instead of GS (e.g. `<GS>` or `~`); turned back into GS.
        public var groupSeparatorSubstitute: String?
        /// A scan longer than this is cut here.
        public var maximumLength: Int

        /// US layout, Enter and Tab end scans, Ctrl+] is GS, no substitute, unless told otherwise.
        public init(layout: KeyboardLayout = .us, endKeys: Set<EndKey> = [.enter, .tab], groupSeparatorUsage: UInt8 = 0x30,
                    groupSeparatorSubstitute: String? = nil, maximumLength: Int = ScanFraming.defaultMaximumLength) {
            self.layout = layout
            self.endKeys = endKeys
            self.groupSeparatorUsage = groupSeparatorUsage
            self.groupSeparatorSubstitute = groupSeparatorSubstitute
            self.maximumLength = maximumLength
        }
    }

    /// How the scanner is set up.
    public let options: Options
    /// The keys down in the last report.
    private var down: [UInt8] = []
    private var buffer: [UInt8] = []
    /// A dead key waiting for the next character.
    private var pendingDead: Character?
    /// Keypad digits typed with Alt held (an Alt code), until Alt is released.
    private var altCode: String?
    /// Key presses the layout has no character for (counted for logging).
    public private(set) var unmappedKeys = 0

    /// A decoder with nothing pressed and nothing buffered.
    public init(_ options: Options = Options()) {
        self.options = options
    }

    private static let leftControl: UInt8 = 0x01, leftShift: UInt8 = 0x02, leftAlt: UInt8 = 0x04
    private static let rightControl: UInt8 = 0x10, rightShift: UInt8 = 0x20, rightAlt: UInt8 = 0x40

    /// Takes one report and returns the scans it completes (usually none or one).
    public mutating func decode(_ report: some Collection<UInt8>) -> [[UInt8]] {
        let bytes = Array(report)
        guard bytes.count >= 3 else { return [] }
        let modifiers = bytes[0]
        let slots = bytes[2...].prefix(6)
        // ErrorRollOver: too many keys at once; the report says nothing about which, so keep the state.
        if slots.contains(0x01) { return [] }
        var scans: [[UInt8]] = []
        if altCode != nil, modifiers & Self.leftAlt == 0 { finishAltCode(into: &scans) }
        let keys = slots.filter { $0 >= 0x04 }
        for usage in keys where !down.contains(usage) {
            press(usage, modifiers: modifiers, into: &scans)
        }
        down = Array(keys)
        return scans
    }

    /// The scan cut off when the device went away, if any, and a clean state.
    public mutating func finish() -> [UInt8]? {
        flushDead()
        down = []
        altCode = nil
        return take()
    }

    private mutating func press(_ usage: UInt8, modifiers: UInt8, into scans: inout [[UInt8]]) {
        let control = modifiers & (Self.leftControl | Self.rightControl) != 0
        let shift = modifiers & (Self.leftShift | Self.rightShift) != 0
        let altGr = modifiers & Self.rightAlt != 0 || (modifiers & Self.leftControl != 0 && modifiers & Self.leftAlt != 0)
        let leftAltOnly = modifiers & Self.leftAlt != 0 && !control && !altGr

        if usage == 0x28 || usage == 0x58 {  // Enter, keypad Enter
            if options.endKeys.contains(.enter) { end(into: &scans) } else { append([13]) }
            return
        }
        if usage == 0x2B {  // Tab
            if options.endKeys.contains(.tab) { end(into: &scans) } else { append([9]) }
            return
        }
        if control && !altGr {
            if let code = controlCharacter(usage) { flushDead(); append([code]) } else { unmappedKeys += 1 }
            return
        }
        if leftAltOnly, let digit = keypadDigit(usage) {
            altCode = (altCode ?? "") + String(digit)
            return
        }
        let level: KeyboardLayout.Level = altGr ? (shift ? .shiftAltGr : .altGr) : (shift ? .shift : .base)
        switch options.layout.output(usage: usage, level: level) {
        case .character(let character)?:
            type(character)
        case .dead(let accent)?:
            if let waiting = pendingDead {
                // Two dead keys: the first is typed as itself.
                append(Array(String(waiting).utf8))
            }
            pendingDead = accent
        case nil:
            unmappedKeys += 1
        }
    }

    /// Types `character`, composing it with a waiting dead key where the two make one character.
    private mutating func type(_ character: Character) {
        guard let accent = pendingDead else {
            append(Array(String(character).utf8))
            return
        }
        pendingDead = nil
        if character == " " {
            append(Array(String(accent).utf8))
            return
        }
        if let mark = Self.combiningMarks[accent] {
            let composed = (String(character) + String(mark)).precomposedStringWithCanonicalMapping
            if composed.unicodeScalars.count == 1 {
                append(Array(composed.utf8))
                return
            }
        }
        append(Array((String(accent) + String(character)).utf8))
    }

    private static let combiningMarks: [Character: Unicode.Scalar] = [
        "´": "\u{0301}", "`": "\u{0300}", "^": "\u{0302}", "¨": "\u{0308}", "~": "\u{0303}",
    ]

    private mutating func flushDead() {
        if let accent = pendingDead {
            pendingDead = nil
            append(Array(String(accent).utf8))
        }
    }

    /// The control character Ctrl gives with `usage`, by the key's US position (how scanners send
    /// them whatever the layout), GS for the configured key.
    private func controlCharacter(_ usage: UInt8) -> UInt8? {
        if usage == options.groupSeparatorUsage { return 0x1D }
        switch usage {
        case 0x04...0x1D: return usage - 0x04 + 1  // Ctrl+A … Ctrl+Z
        case 0x2F: return 0x1B  // Ctrl+[  ESC
        case 0x31, 0x32: return 0x1C  // Ctrl+\  FS
        case 0x30: return 0x1D  // Ctrl+]  GS
        case 0x23: return 0x1E  // Ctrl+^ (6)  RS
        case 0x2D: return 0x1F  // Ctrl+_ (-)  US
        case 0x1F: return 0x00  // Ctrl+@ (2)  NUL
        default: return nil
        }
    }

    private func keypadDigit(_ usage: UInt8) -> Int? {
        switch usage {
        case 0x59...0x61: Int(usage - 0x59) + 1
        case 0x62: 0
        default: nil
        }
    }

    /// Alt held, keypad digits, Alt released: the character with that decimal code (Latin-1).
    private mutating func finishAltCode(into scans: inout [[UInt8]]) {
        defer { altCode = nil }
        guard let digits = altCode, let code = Int(digits), code > 0, code <= 255 else { return }
        flushDead()
        if code < 0x80 {
            append([UInt8(code)])
        } else {
            append(Array(String(Character(Unicode.Scalar(UInt8(code)))).utf8))
        }
    }

    private mutating func append(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= options.maximumLength, let scan = take() { overflow.append(scan) }
    }

    /// Scans cut at the maximum length, handed out with the next completed scan.
    private var overflow: [[UInt8]] = []

    private mutating func end(into scans: inout [[UInt8]]) {
        flushDead()
        scans += overflow
        overflow = []
        if let scan = take() { scans.append(scan) }
    }

    /// The buffer with the GS substitute turned back into GS, or `nil` when empty.
    private mutating func take() -> [UInt8]? {
        defer { buffer = [] }
        guard !buffer.isEmpty else { return nil }
        guard let substitute = options.groupSeparatorSubstitute, !substitute.isEmpty else { return buffer }
        return Self.replacing(Array(substitute.utf8), with: 0x1D, in: buffer)
    }

    static func replacing(_ pattern: [UInt8], with byte: UInt8, in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index...].starts(with: pattern) {
                out.append(byte)
                index += pattern.count
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}

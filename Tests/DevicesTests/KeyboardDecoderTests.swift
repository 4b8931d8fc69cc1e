import Devices
import Testing

/// Builds boot keyboard reports as a scanner sends them.
enum Reports {
    static func report(_ modifiers: UInt8, _ keys: UInt8...) -> [UInt8] {
        [modifiers, 0] + keys + Array(repeating: 0, count: 6 - keys.count)
    }

    /// Each key pressed with its modifiers in one report, then everything released.
    static func typing(_ presses: [(UInt8, UInt8)], modifierFirst: Bool = false) -> [[UInt8]] {
        presses.flatMap { modifiers, usage -> [[UInt8]] in
            (modifierFirst && modifiers != 0 ? [report(modifiers)] : []) + [report(modifiers, usage), report(0)]
        }
    }

    static let enter: (UInt8, UInt8) = (0, 0x28)
}

extension KeyboardDecoder {
    /// Decodes `reports` and returns the completed scans as text.
    mutating func scans(_ reports: [[UInt8]]) -> [String] {
        reports.flatMap { decode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}

@Suite struct KeyboardDecoderTests {
    private let shift: UInt8 = 0x02, altGr: UInt8 = 0x40

    // The layouts' published key tables (Windows KBD / xkb engravings), key by key: modifiers,
    // usage id, and the character printed on that key at that level.
    static let published: [(String, [(UInt8, UInt8, String)])] = [
        ("us", [(0x02, 0x1F, "@"), (0, 0x31, "\\"), (0x02, 0x34, "\""), (0x02, 0x35, "~"), (0x02, 0x23, "^"), (0, 0x30, "]"),
                (0x02, 0x2D, "_"), (0x02, 0x38, "?")]),
        ("uk", [(0x02, 0x1F, "\""), (0x02, 0x20, "£"), (0x02, 0x34, "@"), (0, 0x32, "#"), (0x02, 0x32, "~"), (0, 0x64, "\\"),
                (0x40, 0x21, "€"), (0x02, 0x35, "¬")]),
        ("de", [(0, 0x1C, "z"), (0, 0x1D, "y"), (0x02, 0x1D, "Y"), (0x02, 0x24, "/"), (0x40, 0x14, "@"), (0x40, 0x25, "["),
                (0x40, 0x26, "]"), (0, 0x2D, "ß"), (0x02, 0x2D, "?"), (0x40, 0x2D, "\\"), (0x40, 0x64, "|"), (0, 0x38, "-"),
                (0x02, 0x38, "_"), (0x02, 0x32, "'"), (0, 0x33, "ö"), (0x02, 0x34, "Ä"), (0x40, 0x08, "€"), (0x02, 0x20, "§"),
                (0x02, 0x27, "="), (0, 0x30, "+"), (0x40, 0x30, "~")]),
        ("fr", [(0, 0x14, "a"), (0, 0x04, "q"), (0, 0x1A, "z"), (0, 0x1D, "w"), (0x02, 0x1E, "1"), (0, 0x1E, "&"), (0, 0x1F, "é"),
                (0x40, 0x27, "@"), (0x40, 0x20, "#"), (0, 0x10, ","), (0x02, 0x10, "?"), (0, 0x33, "m"), (0x02, 0x37, "/"),
                (0, 0x38, "!"), (0x40, 0x2D, "]"), (0x40, 0x22, "["), (0, 0x23, "-"), (0, 0x25, "_"), (0, 0x26, "ç"),
                (0, 0x27, "à"), (0x02, 0x34, "%"), (0x02, 0x30, "£")]),
        ("se", [(0x40, 0x1F, "@"), (0x02, 0x20, "#"), (0x40, 0x21, "$"), (0x02, 0x21, "¤"), (0, 0x2F, "å"), (0, 0x33, "ö"),
                (0, 0x34, "ä"), (0x02, 0x2D, "?"), (0x40, 0x2D, "\\"), (0, 0x38, "-"), (0x02, 0x38, "_"), (0x40, 0x64, "|"),
                (0x40, 0x26, "]"), (0, 0x35, "§")]),
        ("dk", [(0, 0x33, "æ"), (0, 0x34, "ø"), (0x02, 0x34, "Ø"), (0x40, 0x1F, "@"), (0x40, 0x2E, "|"), (0x40, 0x64, "\\"),
                (0x02, 0x24, "/"), (0, 0x35, "½")]),
        ("no", [(0, 0x33, "ø"), (0, 0x34, "æ"), (0, 0x2E, "\\"), (0, 0x35, "|"), (0x40, 0x1F, "@"), (0x02, 0x27, "="),
                (0x40, 0x24, "{")]),
    ]

    @Test(arguments: published.map(\.0))
    func eachLayoutTypesItsPublishedKeys(name: String) throws {
        let layout = try #require(KeyboardLayout.named(name))
        let keys = Self.published.first { $0.0 == name }!.1
        var decoder = KeyboardDecoder(.init(layout: layout))
        let scans = decoder.scans(Reports.typing(keys.map { ($0.0, $0.1) } + [Reports.enter]))
        #expect(scans == [keys.map(\.2).joined()])
    }

    /// Every character GS1 allows in AI values (set 82) can be typed on every layout without dead
    /// keys, and comes back as typed, with and without the modifier in a report of its own.
    @Test(arguments: KeyboardLayout.all.map(\.name))
    func theGS1CharacterSetRoundTripsOnEveryLayout(name: String) throws {
        let layout = try #require(KeyboardLayout.named(name))
        let set82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
        var presses: [(UInt8, UInt8)] = []
        for character in set82 {
            let stroke = try #require(layout.keystrokes(for: character).first, "\(name) cannot type \(character)")
            let modifiers: UInt8 = switch stroke.level {
            case .base: 0
            case .shift: 0x02
            case .altGr: 0x40
            case .shiftAltGr: 0x42
            }
            presses.append((modifiers, stroke.usage))
        }
        for modifierFirst in [false, true] {
            var decoder = KeyboardDecoder(.init(layout: layout))
            #expect(decoder.scans(Reports.typing(presses + [Reports.enter], modifierFirst: modifierFirst)) == [set82])
        }
    }

    @Test func deadKeysComposeOrStandAloneBeforeSpace() {
        var german = KeyboardDecoder(.init(layout: .german))
        // ^ then space, ^ then e, Shift+´ (grave) then a, ´ then x (no such letter: both typed)
        let scans = german.scans(Reports.typing([(0, 0x35), (0, 0x2C), (0, 0x35), (0, 0x08), (shift, 0x2E), (0, 0x04),
                                                 (0, 0x2E), (0, 0x1B), Reports.enter]))
        #expect(scans == ["^êà´x"])
        var french = KeyboardDecoder(.init(layout: .french))
        #expect(french.scans(Reports.typing([(0, 0x2F), (0, 0x08), (shift, 0x2F), (0, 0x18), (altGr, 0x1F), (0, 0x2C),
                                             Reports.enter])) == ["êü~"])
        var swedish = KeyboardDecoder(.init(layout: .swedish))
        #expect(swedish.scans(Reports.typing([(altGr, 0x30), (0, 0x2C), (shift, 0x30), (0, 0x2C), (0, 0x2E), (0, 0x08),
                                              Reports.enter])) == ["~^é"])
        var norwegian = KeyboardDecoder(.init(layout: .norwegian))
        #expect(norwegian.scans(Reports.typing([(shift, 0x2E), (0, 0x2C), (altGr, 0x2E), (0, 0x18), Reports.enter])) == ["`ú"])
    }

    @Test func ctrlRightBracketIsGSAndAGS1ScanComesThroughWhole() {
        var decoder = KeyboardDecoder()
        // ]C1 0109501101530003 10ABC <GS> 21X, as the shared umockdev generator spells it (US).
        let us = KeyboardLayout.us
        var presses: [(UInt8, UInt8)] = []
        for character in "]C10109501101530003" + "10ABC" {
            let stroke = us.keystrokes(for: character)[0]
            presses.append((stroke.level == .shift ? shift : 0, stroke.usage))
        }
        presses += [(0x01, 0x30), (0, 0x1F), (0, 0x1E), (shift, 0x1B), Reports.enter]
        let scans = decoder.scans(Reports.typing(presses))
        #expect(scans == ["]C1010950110153000310ABC\u{1D}21X"])
        var right = KeyboardDecoder()
        #expect(right.scans(Reports.typing([(0x10, 0x30), Reports.enter])) == ["\u{1D}"])
    }

    @Test func ctrlGivesTheControlCharactersOfISO15434() {
        var decoder = KeyboardDecoder(.init(layout: .german))
        // RS (Ctrl+6), GS (Ctrl+]), EOT (Ctrl+D): US key positions whatever the layout.
        #expect(decoder.scans(Reports.typing([(0x01, 0x23), (0x01, 0x30), (0x01, 0x07), Reports.enter])) == ["\u{1E}\u{1D}\u{04}"])
    }

    @Test func aConfiguredSubstituteBecomesGS() {
        var decoder = KeyboardDecoder(.init(groupSeparatorSubstitute: "<GS>"))
        let presses: [(UInt8, UInt8)] = [(0, 0x1E), (shift, 0x36), (shift, 0x0A), (shift, 0x16), (shift, 0x37), (0, 0x1F), Reports.enter]
        #expect(decoder.scans(Reports.typing(presses)) == ["1\u{1D}2"])
    }

    @Test func altWithKeypadDigitsTypesThatCode() {
        var decoder = KeyboardDecoder()
        let reports = [Reports.report(0x04), Reports.report(0x04, 0x62), Reports.report(0x04), Reports.report(0x04, 0x5A),
                       Reports.report(0x04), Reports.report(0x04, 0x61), Reports.report(0x04), Reports.report(0)]
            + Reports.typing([(0, 0x04), Reports.enter])
        #expect(decoder.scans(reports) == ["\u{1D}a"])
    }

    @Test func aKeyHeldOverSeveralReportsIsOnePress() {
        var decoder = KeyboardDecoder()
        let reports = [Reports.report(0, 0x04), Reports.report(0, 0x04), Reports.report(0, 0x04), Reports.report(0)]
            + Reports.typing([Reports.enter])
        #expect(decoder.scans(reports) == ["a"])
    }

    @Test func aReleaseBetweenEqualCharactersMakesTwo() {
        var decoder = KeyboardDecoder()
        let reports = [Reports.report(0, 0x1F), Reports.report(0), Reports.report(0, 0x1F), Reports.report(0)]
            + Reports.typing([Reports.enter])
        #expect(decoder.scans(reports) == ["22"])
    }

    @Test func rollOverCountsOnlyTheNewKey() {
        var decoder = KeyboardDecoder()
        // a down, b down while a is held, a up, c down while b is held, all up; an ErrorRollOver report changes nothing.
        let reports = [Reports.report(0, 0x04), Reports.report(0, 0x04, 0x05), Reports.report(0, 0x05),
                       Reports.report(0, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01), Reports.report(0, 0x05, 0x06), Reports.report(0)]
            + Reports.typing([Reports.enter])
        #expect(decoder.scans(reports) == ["abc"])
    }

    @Test func enterAndTabEndScansUnlessConfiguredOtherwise() {
        var both = KeyboardDecoder()
        #expect(both.scans(Reports.typing([(0, 0x04), (0, 0x2B), (0, 0x05), (0, 0x58), (0, 0x28)])) == ["a", "b"])
        var enterOnly = KeyboardDecoder(.init(endKeys: [.enter]))
        #expect(enterOnly.scans(Reports.typing([(0, 0x04), (0, 0x2B), (0, 0x05), Reports.enter])) == ["a\tb"])
    }

    @Test func aModifierInItsOwnReportBeforeTheKeyWorks() {
        var decoder = KeyboardDecoder()
        let reports = [Reports.report(0x02), Reports.report(0x02, 0x04), Reports.report(0x02), Reports.report(0)]
            + Reports.typing([Reports.enter])
        #expect(decoder.scans(reports) == ["A"])
    }

    @Test func layoutsAreFoundByTheirCommonNames() {
        #expect(KeyboardLayout.named("GB") == .uk)
        #expect(KeyboardLayout.named("fi") == .swedish)
        #expect(KeyboardLayout.named("azerty") == .french)
        #expect(KeyboardLayout.named("xx") == nil)
        #expect(KeyboardLayout.all.count == 7)
    }
}

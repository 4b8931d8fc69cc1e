/// The character sets of AI values: numeric, CSET 82 (`X`), CSET 39 (`Y`) and CSET 64 (`Z`).
enum CharacterSets {
    /// Membership bit fields (bit n of word n / 64 for byte n), as in the reference: constants, so
    /// a test costs a shift and a mask.
    @inline(__always)
    private static func member(_ byte: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        byte < 64 ? low & (1 << UInt64(byte)) != 0 : byte < 128 && high & (1 << UInt64(byte - 64)) != 0
    }

    // ! " % & ' ( ) * + , - . / 0-9 : ; < = > ?  |  A-Z _ a-z
    @inline(__always) static func isCSet82(_ byte: UInt8) -> Bool {
        member(byte, 0xFFFF_FFE6_0000_0000, 0x07FF_FFFE_87FF_FFFE)
    }
    // # - / 0-9  |  A-Z
    @inline(__always) static func isCSet39(_ byte: UInt8) -> Bool {
        member(byte, 0x03FF_A008_0000_0000, 0x0000_0000_07FF_FFFE)
    }
    // - 0-9  |  A-Z _ a-z
    @inline(__always) static func isCSet64(_ byte: UInt8) -> Bool {
        member(byte, 0x03FF_2000_0000_0000, 0x07FF_FFFE_87FF_FFFE)
    }

    static func checkNumeric(_ data: Bytes) -> LintFailure? {
        Linter.firstNonDigit(data).map { LintFailure(.nonDigitCharacter, $0, 1) }
    }

    static func checkCSet82(_ data: Bytes) -> LintFailure? {
        for index in 0..<data.count where !isCSet82(data[index]) { return LintFailure(.invalidCSet82Character, index, 1) }
        return nil
    }

    static func checkCSet39(_ data: Bytes) -> LintFailure? {
        for index in 0..<data.count where !isCSet39(data[index]) { return LintFailure(.invalidCSet39Character, index, 1) }
        return nil
    }

    /// CSET 64 (base64url) with at most two `=` pads, and pads only on a length that is a multiple of 3.
    static func checkCSet64(_ data: Bytes) -> LintFailure? {
        var pads = 0
        while pads < data.count, data[data.count - pads - 1] == UInt8(ascii: "=") { pads += 1 }
        let length = data.count - pads
        if pads > 2 || (pads > 0 && data.count % 3 != 0) { return LintFailure(.invalidCSet64Padding, length, pads) }
        for index in 0..<length where !isCSet64(data[index]) { return LintFailure(.invalidCSet64Character, index, 1) }
        return nil
    }
}

/// The GS1 rule for the century of a two-digit year (GS1 General Specifications 7.12): within 49
/// years before and 50 years after the current year.
public enum GS1Century {
    /// The four-digit year for `twoDigit` (0...99) seen in `currentYear`.
    public static func year(twoDigit: Int, currentYear: Int) -> Int {
        let century = currentYear / 100 * 100
        let difference = twoDigit - currentYear % 100
        if difference >= 51 { return century - 100 + twoDigit }
        if difference <= -50 { return century + 100 + twoDigit }
        return century + twoDigit
    }
}

/// A GS1 Barcode Syntax Test ("linter"): a content check on one component of an AI value.
///
/// The names are those of the GS1 Barcode Syntax Dictionary (`N6,yymmd0` runs `yymmd0`), and each
/// check follows the reference implementation in the GS1 Syntax Engine (GS1 AISBL, Apache-2.0):
/// same verdicts, same error and same highlighted span, so that our verdicts agree with it.
enum Linter: String, CaseIterable, Sendable {
    case couponcode, couponposoffer, csum, csumalpha, gcppos1, gcppos2, hasnondigit, hh, hhmi, hyphen
    case iban, importeridx, iso3166, iso3166999, iso3166alpha2, iso4217, iso5218, latitude, longitude
    case mediatype, mi, nonzero, nozeroprefix, packagetype, pcenc, pieceoftotal, posinseqslash, ss
    case winding, yesno, yymmd0, yymmdd, yyyymmd0, yyyymmdd, zero

    /// Checks `data`; `nil` when it passes.
    func check(_ data: Bytes, _ context: LintContext) -> LintFailure? {
        switch self {
        case .couponcode: Self.couponCode(data, context)
        case .couponposoffer: Self.couponPositiveOffer(data)
        case .csum: Self.checkDigit(data)
        case .csumalpha: Self.checkPair(data)
        case .gcppos1: Self.companyPrefix(data, context)
        case .gcppos2: Self.companyPrefixAfterIndicator(data, context)
        case .hasnondigit: Self.hasNonDigit(data)
        case .hh: Self.twoDigits(data, max: 23, tooShort: .hourTooShort, tooLong: .hourTooLong, illegal: .illegalHour)
        case .hhmi: Self.hourMinute(data)
        case .hyphen: Self.hyphens(data)
        case .iban: Self.iban(data)
        case .importeridx: Self.importerIndex(data)
        case .iso3166: CodeLists.isISO3166(data) ? nil : LintFailure(.notISO3166, 0, data.count)
        case .iso3166999: Self.iso3166Or999(data)
        case .iso3166alpha2: CodeLists.isISO3166Alpha2(data) ? nil : LintFailure(.notISO3166Alpha2, 0, data.count)
        case .iso4217: CodeLists.isISO4217(data) ? nil : LintFailure(.notISO4217, 0, data.count)
        case .iso5218: Self.biologicalSex(data)
        case .latitude: Self.degrees(data, max: 1_800_000_000, length: .latitudeInvalidLength, range: .invalidLatitude)
        case .longitude: Self.degrees(data, max: 3_600_000_000, length: .longitudeInvalidLength, range: .invalidLongitude)
        case .mediatype: CodeLists.isMediaType(data) ? nil : LintFailure(.invalidMediaType, 0, data.count)
        case .mi: Self.twoDigits(data, max: 59, tooShort: .minuteTooShort, tooLong: .minuteTooLong, illegal: .illegalMinute)
        case .nonzero: Self.nonZero(data)
        case .nozeroprefix: Self.noZeroPrefix(data)
        case .packagetype: CodeLists.isPackageType(data) ? nil : LintFailure(.invalidPackageType, 0, data.count)
        case .pcenc: Self.percentEncoding(data)
        case .pieceoftotal: Self.pieceOfTotal(data)
        case .posinseqslash: Self.positionInSequence(data)
        case .ss: Self.twoDigits(data, max: 59, tooShort: .secondTooShort, tooLong: .secondTooLong, illegal: .illegalSecond)
        case .winding: Self.oneOf(data, "019", .invalidWindingDirection)
        case .yesno: Self.oneOf(data, "01", .notZeroOrOne)
        case .yymmd0: Self.shortDate(data, context, allowDayZero: true)
        case .yymmdd: Self.shortDate(data, context, allowDayZero: false)
        case .yyyymmd0: Self.longDate(data, allowDayZero: true)
        case .yyyymmdd: Self.longDate(data, allowDayZero: false)
        case .zero: Self.zeros(data)
        }
    }

    /// Whether a failure of this check breaks a rule that lenient parsing may tolerate (a wrong
    /// check digit, an impossible date, an unknown country) rather than the shape of the data.
    static func isTolerable(_ error: LintError) -> Bool {
        switch error {
        case .nonDigitCharacter, .invalidCSet82Character, .invalidCSet39Character, .invalidCSet64Character,
             .invalidCSet64Padding:
            false
        default:
            true
        }
    }
}

/// What the checks need besides the data: the year for the century of two-digit years, and an
/// optional GS1 Company Prefix look-up.
struct LintContext: Sendable {
    /// The current year, for the GS1 century rule of `YYMMDD` dates.
    var currentYear: Int
    /// Answers whether a GS1 Company Prefix is allocated; `nil` skips the look-up.
    var companyPrefixLookup: (@Sendable (Bytes) -> CompanyPrefixStatus)?

    init(currentYear: Int, companyPrefixLookup: (@Sendable (Bytes) -> CompanyPrefixStatus)? = nil) {
        self.currentYear = currentYear
        self.companyPrefixLookup = companyPrefixLookup
    }
}

/// The answer of a GS1 Company Prefix look-up.
enum CompanyPrefixStatus: Sendable {
    case allocated, unallocated, unavailable
}

/// A failed check: the error and the span of the component it concerns.
struct LintFailure: Hashable, Sendable {
    var error: LintError
    var offset: Int
    var length: Int

    init(_ error: LintError, _ offset: Int, _ length: Int) {
        self.error = error
        self.offset = offset
        self.length = length
    }

    /// The same failure, moved `by` bytes to the right (when a check delegates to a part).
    func shifted(by delta: Int) -> LintFailure { LintFailure(error, offset + delta, length) }
}

/// A borrowed run of bytes; the parser never copies the scanned data to check it.
typealias Bytes = UnsafeBufferPointer<UInt8>

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes `range` of this buffer, as a buffer of their own.
    @inline(__always)
    func part(_ range: Range<Int>) -> Bytes { Bytes(rebasing: self[range]) }

    /// The decimal value of the two digits at `index` (the caller has checked they are digits).
    @inline(__always)
    func twoDigitValue(at index: Int) -> Int { Int(self[index] &- 48) * 10 + Int(self[index + 1] &- 48) }
}

@inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

// MARK: - The checks

extension Linter {
    static func firstNonDigit(_ data: Bytes) -> Int? {
        for index in 0..<data.count where !isDigit(data[index]) { return index }
        return nil
    }

    static func checkDigit(_ data: Bytes) -> LintFailure? {
        guard data.count > 0 else { return LintFailure(.tooShortForCheckDigit, 0, 0) }
        var weight = data.count % 2 == 0 ? 3 : 1
        var sum = 0
        for index in 0..<(data.count - 1) {
            guard isDigit(data[index]) else { return LintFailure(.nonDigitCharacter, index, 1) }
            sum += weight * Int(data[index] &- 48)
            weight = 4 - weight
        }
        let last = data[data.count - 1]
        guard isDigit(last) else { return LintFailure(.nonDigitCharacter, data.count - 1, 1) }
        let expected = (10 - sum % 10) % 10
        return Int(last &- 48) == expected ? nil : LintFailure(.incorrectCheckDigit, data.count - 1, 1)
    }

    /// The check digit `data` (ASCII digits) should end with, for messages.
    static func expectedCheckDigit(_ data: Bytes) -> Int {
        var weight = data.count % 2 == 0 ? 3 : 1
        var sum = 0
        for index in 0..<max(0, data.count - 1) {
            sum += weight * Int(data[index] &- 48)
            weight = 4 - weight
        }
        return (10 - sum % 10) % 10
    }

    private static let checkPairPrimes: [Int] = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193,
        197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307, 311,
        313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433,
        439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509,
    ]
    private static let checkPairCharacters = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ".utf8)

    /// The weight of a CSET 82 character in the check pair (1...82), 0 for others.
    private static func cset82Weight(_ byte: UInt8) -> Int {
        guard CharacterSets.isCSet82(byte) else { return 0 }
        // CSET 82 in code order: ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z
        switch byte {
        case 33, 34: return Int(byte) - 32                 // ! "
        case 37...63: return Int(byte) - 34                // % … ?
        case 65...90: return Int(byte) - 35                // A-Z
        case 95: return 56                                 // _
        default: return Int(byte) - 40                     // a-z
        }
    }

    static func checkPair(_ data: Bytes) -> LintFailure? {
        let count = data.count
        guard count <= checkPairPrimes.count + 2 else { return LintFailure(.tooLongForCheckPairImplementation, 0, count) }
        guard count >= 2 else { return LintFailure(.tooShortForCheckPair, 0, count) }
        if count == 2 {
            return data[0] == UInt8(ascii: "2") && data[1] == UInt8(ascii: "2") ? nil : LintFailure(.incorrectCheckPair, 0, 2)
        }
        var sum = 0
        for index in 0..<(count - 2) {
            let weight = cset82Weight(data[index])
            guard weight != 0 else { return LintFailure(.invalidCSet82Character, index, 1) }
            sum += (weight - 1) * checkPairPrimes[count - 3 - index]
        }
        sum %= 1021
        guard data[count - 2] == checkPairCharacters[sum >> 5], data[count - 1] == checkPairCharacters[sum & 31] else {
            return LintFailure(.incorrectCheckPair, count - 2, 2)
        }
        return nil
    }

    static func companyPrefix(_ data: Bytes, _ context: LintContext) -> LintFailure? {
        let minimum = 4  // the shortest GS1 Company Prefix has four digits
        guard data.count >= minimum else { return LintFailure(.tooShortForGCP, 0, data.count) }
        for index in 0..<minimum where !isDigit(data[index]) { return LintFailure(.invalidGCPPrefix, index, 1) }
        if let lookup = context.companyPrefixLookup {
            switch lookup(data) {
            case .allocated: break
            case .unallocated: return LintFailure(.invalidGCPPrefix, 0, data.count)
            case .unavailable: return LintFailure(.gcpDatasourceOffline, 0, data.count)
            }
        }
        return nil
    }

    static func companyPrefixAfterIndicator(_ data: Bytes, _ context: LintContext) -> LintFailure? {
        guard data.count >= 2 else { return LintFailure(.tooShortForGCP, 0, data.count) }
        return companyPrefix(data.part(1..<data.count), context)?.shifted(by: 1)
    }

    static func hasNonDigit(_ data: Bytes) -> LintFailure? {
        firstNonDigit(data) == nil ? LintFailure(.requiresNonDigitCharacter, 0, data.count) : nil
    }

    static func twoDigits(_ data: Bytes, max: Int, tooShort: LintError, tooLong: LintError, illegal: LintError) -> LintFailure? {
        guard data.count == 2 else { return LintFailure(data.count < 2 ? tooShort : tooLong, 0, data.count) }
        for index in 0..<2 where !isDigit(data[index]) { return LintFailure(.nonDigitCharacter, index, 1) }
        return data.twoDigitValue(at: 0) > max ? LintFailure(illegal, 0, 2) : nil
    }

    static func hourMinute(_ data: Bytes) -> LintFailure? {
        guard data.count == 4 else {
            return LintFailure(data.count < 4 ? .hourWithMinuteTooShort : .hourWithMinuteTooLong, 0, data.count)
        }
        if let failure = twoDigits(data.part(0..<2), max: 23, tooShort: .hourTooShort, tooLong: .hourTooLong, illegal: .illegalHour) {
            return failure
        }
        return twoDigits(data.part(2..<4), max: 59, tooShort: .minuteTooShort, tooLong: .minuteTooLong, illegal: .illegalMinute)?
            .shifted(by: 2)
    }

    static func hyphens(_ data: Bytes) -> LintFailure? {
        guard data.count > 0 else { return LintFailure(.notHyphen, 0, 0) }
        return data.allSatisfy { $0 == UInt8(ascii: "-") } ? nil : LintFailure(.notHyphen, 0, data.count)
    }

    static func iban(_ data: Bytes) -> LintFailure? {
        let count = data.count
        guard count >= 4 else { return LintFailure(.IBANTooShort, 0, count) }
        guard CodeLists.isISO3166Alpha2(data.part(0..<2)) else { return LintFailure(.illegalIBANCountryCode, 0, 2) }
        guard count <= 34 else { return LintFailure(.IBANTooLong, 0, count) }
        guard count > 10 else { return LintFailure(.IBANTooShort, 0, count) }
        var checksum = 0
        for position in 4..<(count + 4) {
            let index = position < count ? position : position - count
            let byte = data[index]
            let weight: Int
            switch byte {
            case 48...57: weight = Int(byte) - 47
            case 65...90: weight = Int(byte) - 54
            default: return LintFailure(.invalidIBANCharacter, index, 1)
            }
            checksum = (checksum * (weight <= 10 ? 10 : 100) + weight - 1) % 97
        }
        return checksum == 1 ? nil : LintFailure(.incorrectIBANChecksum, 2, 2)
    }

    static func importerIndex(_ data: Bytes) -> LintFailure? {
        guard data.count == 1 else { return LintFailure(.importerIdxMustBeOneCharacter, 0, data.count) }
        let byte = data[0]
        let valid = isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || (65...90).contains(byte) || (97...122).contains(byte)
        return valid ? nil : LintFailure(.invalidImportIdxCharacter, 0, 1)
    }

    static func iso3166Or999(_ data: Bytes) -> LintFailure? {
        if data.count == 3, data[0] == 57, data[1] == 57, data[2] == 57 { return nil }
        return CodeLists.isISO3166(data) ? nil : LintFailure(.notISO3166Or999, 0, data.count)
    }

    static func biologicalSex(_ data: Bytes) -> LintFailure? {
        guard data.count == 1 else { return LintFailure(.invalidBiologicalSexCode, 0, data.count) }
        return "0129".utf8.contains(data[0]) ? nil : LintFailure(.invalidBiologicalSexCode, 0, 1)
    }

    static func degrees(_ data: Bytes, max: Int, length: LintError, range: LintError) -> LintFailure? {
        guard data.count == 10 else { return LintFailure(length, 0, data.count) }
        var value = 0
        for index in 0..<10 {
            guard isDigit(data[index]) else { return LintFailure(.nonDigitCharacter, index, 1) }
            value = value * 10 + Int(data[index] &- 48)
        }
        return value > max ? LintFailure(range, 0, 10) : nil
    }

    static func nonZero(_ data: Bytes) -> LintFailure? {
        var nonZero = false
        for index in 0..<data.count {
            guard isDigit(data[index]) else { return LintFailure(.nonDigitCharacter, index, 1) }
            if data[index] != 48 { nonZero = true }
        }
        return nonZero ? nil : LintFailure(.illegalZeroValue, 0, data.count)
    }

    static func noZeroPrefix(_ data: Bytes) -> LintFailure? {
        if data.count > 0, data[0] == 48 { return LintFailure(.illegalZeroPrefix, 0, 1) }
        return firstNonDigit(data).map { LintFailure(.nonDigitCharacter, $0, 1) }
    }

    static func percentEncoding(_ data: Bytes) -> LintFailure? {
        var index = 0
        while index < data.count {
            if data[index] == UInt8(ascii: "%") {
                guard index + 2 < data.count else { return LintFailure(.invalidPercentSequence, index, data.count - index) }
                guard isHexDigit(data[index + 1]), isHexDigit(data[index + 2]) else {
                    return LintFailure(.invalidPercentSequence, index, 3)
                }
                index += 2
            }
            index += 1
        }
        return nil
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }

    static func pieceOfTotal(_ data: Bytes) -> LintFailure? {
        if let index = firstNonDigit(data) { return LintFailure(.nonDigitCharacter, index, 1) }
        let count = data.count
        guard count > 0, count % 2 == 0 else { return LintFailure(.invalidLengthForPieceOfTotal, 0, count) }
        let half = count / 2
        var pieceIsZero = true, totalIsZero = true
        var comparison = 0
        for index in 0..<half {
            let piece = data[index], total = data[half + index]
            if piece != 48 { pieceIsZero = false }
            if total != 48 { totalIsZero = false }
            if comparison == 0, piece != total { comparison = piece < total ? -1 : 1 }
        }
        if pieceIsZero { return LintFailure(.zeroPieceNumber, 0, half) }
        if totalIsZero { return LintFailure(.zeroTotalPieces, half, half) }
        return comparison == 1 ? LintFailure(.pieceNumberExceedsTotal, 0, count) : nil
    }

    static func positionInSequence(_ data: Bytes) -> LintFailure? {
        let count = data.count
        var slash = 0
        while slash < count, isDigit(data[slash]) { slash += 1 }
        guard slash > 0, slash < count, data[slash] == UInt8(ascii: "/") else {
            return LintFailure(.positionInSequenceMalformed, 0, count)
        }
        for index in (slash + 1)..<count where !isDigit(data[index]) {
            return LintFailure(.positionInSequenceMalformed, 0, count)
        }
        guard slash < count - 1 else { return LintFailure(.positionInSequenceMalformed, 0, count) }
        if data[0] == 48 { return LintFailure(.illegalZeroPrefix, 0, slash) }
        if data[slash + 1] == 48 { return LintFailure(.illegalZeroPrefix, slash + 1, count - slash - 1) }
        let endLength = count - slash - 1
        if slash == endLength {
            for index in 0..<slash where data[index] != data[slash + 1 + index] {
                return data[index] > data[slash + 1 + index] ? LintFailure(.positionExceedsEnd, 0, count) : nil
            }
        } else if slash > endLength {
            return LintFailure(.positionExceedsEnd, 0, count)
        }
        return nil
    }

    static func oneOf(_ data: Bytes, _ allowed: StaticString, _ error: LintError) -> LintFailure? {
        guard data.count == 1 else { return LintFailure(error, 0, data.count) }
        let byte = data[0]
        var found = false
        allowed.withUTF8Buffer { found = $0.contains(byte) }
        return found ? nil : LintFailure(error, 0, 1)
    }

    static func zeros(_ data: Bytes) -> LintFailure? {
        guard data.count > 0 else { return LintFailure(.notZero, 0, 0) }
        return data.allSatisfy { $0 == 48 } ? nil : LintFailure(.notZero, 0, data.count)
    }

    /// `YYMMDD` (or `YYMMD0` when day 00, the last day of the month, is allowed), with the century
    /// from the GS1 rule so that 29 February is checked in the right year.
    static func shortDate(_ data: Bytes, _ context: LintContext, allowDayZero: Bool) -> LintFailure? {
        guard data.count == 6 else { return LintFailure(data.count < 6 ? .dateTooShort : .dateTooLong, 0, data.count) }
        if let index = firstNonDigit(data) { return LintFailure(.nonDigitCharacter, index, 1) }
        let year = GS1Century.year(twoDigit: data.twoDigitValue(at: 0), currentYear: context.currentYear)
        if let failure = dateFailure(year: year, month: data.twoDigitValue(at: 2), day: data.twoDigitValue(at: 4),
                                     monthOffset: 2, allowDayZero: allowDayZero) {
            return failure
        }
        return nil
    }

    static func longDate(_ data: Bytes, allowDayZero: Bool) -> LintFailure? {
        guard data.count == 8 else { return LintFailure(data.count < 8 ? .dateTooShort : .dateTooLong, 0, data.count) }
        if let index = firstNonDigit(data) { return LintFailure(.nonDigitCharacter, index, 1) }
        let year = data.twoDigitValue(at: 0) * 100 + data.twoDigitValue(at: 2)
        return dateFailure(year: year, month: data.twoDigitValue(at: 4), day: data.twoDigitValue(at: 6),
                           monthOffset: 4, allowDayZero: allowDayZero)
    }

    private static func dateFailure(year: Int, month: Int, day: Int, monthOffset: Int, allowDayZero: Bool) -> LintFailure? {
        guard (1...12).contains(month) else { return LintFailure(.illegalMonth, monthOffset, 2) }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let maximum = month == 2 ? (leap ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        if day > maximum || (day == 0 && !allowDayZero) { return LintFailure(.illegalDay, monthOffset + 2, 2) }
        return nil
    }
}

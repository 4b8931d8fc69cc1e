/// The North American coupon checks (AIs 8110 and 8112), after the GS1 Syntax Engine's
/// `lint_couponcode.c` and `lint_couponposoffer.c` (GS1 AISBL, Apache-2.0).
extension Linter {
    /// A cursor over a coupon's digits that reports "truncated" spans the way the reference does.
    private struct Cursor {
        let data: Bytes
        var position = 0
        var atEnd: Bool { position == data.count }
        var remaining: Int { data.count - position }
        var current: UInt8 { data[position] }
        var digit: Int { Int(data[position] &- 48) }

        /// The span the reference highlights when a field is cut short: the rest, or everything if nothing is left.
        func truncated(_ error: LintError) -> LintFailure {
            atEnd ? LintFailure(error, 0, data.count) : LintFailure(error, position, remaining)
        }

        func missing(_ error: LintError) -> LintFailure { LintFailure(error, 0, data.count) }
        func here(_ error: LintError) -> LintFailure { LintFailure(error, position, 1) }
    }

    static func couponCode(_ data: Bytes, _ context: LintContext) -> LintFailure? {
        if let index = firstNonDigit(data) { return LintFailure(.nonDigitCharacter, index, 1) }
        var c = Cursor(data: data)

        // Primary GS1 Company Prefix, with its length indicator
        if c.atEnd { return c.missing(.couponMissingGCPVLI) }
        if c.current > UInt8(ascii: "6") { return c.here(.couponInvalidGCPLength) }
        var length = c.digit + 6
        c.position += 1
        if c.remaining < length { return c.truncated(.couponTruncatedGCP) }
        if let failure = companyPrefix(data.part(c.position..<(c.position + length)), context) {
            return LintFailure(failure.error, c.position, length)
        }
        c.position += length

        // Offer code
        if c.remaining < 6 { return c.truncated(.couponTruncatedOfferCode) }
        c.position += 6

        // Save value
        if c.atEnd { return c.missing(.couponMissingSaveValueVLI) }
        if !(49...53).contains(c.current) { return c.here(.couponInvalidSaveValueLength) }
        length = c.digit
        c.position += 1
        if c.remaining < length { return c.truncated(.couponTruncatedSaveValue) }
        c.position += length

        // Primary purchase requirement, code and family code
        if c.atEnd { return c.missing(.couponMissingFirstPurchaseRequirementVLI) }
        if !(49...53).contains(c.current) { return c.here(.couponInvalidFirstPurchaseRequirementLength) }
        length = c.digit
        c.position += 1
        if c.remaining < length { return c.truncated(.couponTruncatedFirstPurchaseRequirement) }
        c.position += length
        if c.atEnd { return c.missing(.couponMissingFirstPurchaseRequirementCode) }
        if c.current > UInt8(ascii: "4"), c.current != UInt8(ascii: "9") { return c.here(.couponInvalidFirstPurchaseRequirementCode) }
        c.position += 1
        if c.remaining < 3 { return c.truncated(.couponTruncatedFirstPurchaseFamilyCode) }
        c.position += 3

        // Optional field 1: second qualifying purchase
        if !c.atEnd, c.current == UInt8(ascii: "1") {
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingAdditionalPurchaseRulesCode) }
            if c.current > UInt8(ascii: "3") { return c.here(.couponInvalidAdditionalPurchaseRulesCode) }
            c.position += 1
            if let failure = purchase(&c, context, .second) { return failure }
        }

        // Optional field 2: third qualifying purchase
        if !c.atEnd, c.current == UInt8(ascii: "2") {
            c.position += 1
            if let failure = purchase(&c, context, .third) { return failure }
        }

        // Optional field 3: expiration date
        var expiry: Int?
        if !c.atEnd, c.current == UInt8(ascii: "3") {
            c.position += 1
            if c.remaining < 6 { return c.truncated(.couponTooShortForExpirationDate) }
            if shortDate(data.part(c.position..<(c.position + 6)), context, allowDayZero: false) != nil {
                return LintFailure(.couponInvalidExpirationDate, c.position, 6)
            }
            expiry = c.position
            c.position += 6
        }

        // Optional field 4: start date
        if !c.atEnd, c.current == UInt8(ascii: "4") {
            c.position += 1
            if c.remaining < 6 { return c.truncated(.couponTooShortForStartDate) }
            if shortDate(data.part(c.position..<(c.position + 6)), context, allowDayZero: false) != nil {
                return LintFailure(.couponInvalidStartDate, c.position, 6)
            }
            if let expiry, compare(data, c.position, expiry, 6) > 0 {
                return LintFailure(.couponExpirationBeforeStart, c.position - 8, 14)
            }
            c.position += 6
        }

        // Optional field 5: serial number
        if !c.atEnd, c.current == UInt8(ascii: "5") {
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingSerialNumberVLI) }
            length = c.digit + 6
            c.position += 1
            if c.remaining < length { return c.truncated(.couponTruncatedSerialNumber) }
            c.position += length
        }

        // Optional field 6: retailer GCP or GLN
        if !c.atEnd, c.current == UInt8(ascii: "6") {
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingRetailerGCPOrGLNVLI) }
            if !(49...55).contains(c.current) { return c.here(.couponInvalidRetailerGCPOrGLNLength) }
            length = c.digit + 6
            c.position += 1
            if c.remaining < length { return c.truncated(.couponTruncatedRetailerGCPOrGLN) }
            if let failure = companyPrefix(data.part(c.position..<(c.position + length)), context) {
                return LintFailure(failure.error, c.position, length)
            }
            c.position += length
        }

        // Optional field 9: miscellaneous
        if !c.atEnd, c.current == UInt8(ascii: "9") {
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingSaveValueCode) }
            if !"01256".utf8.contains(c.current) { return c.here(.couponInvalidSaveValueCode) }
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingSaveValueAppliesToItem) }
            if c.current > UInt8(ascii: "2") { return c.here(.couponInvalidSaveValueAppliesToItem) }
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingStoreCouponFlag) }
            c.position += 1
            if c.atEnd { return c.missing(.couponMissingDontMultiplyFlag) }
            if c.current != UInt8(ascii: "0"), c.current != UInt8(ascii: "1") { return c.here(.couponInvalidDontMultiplyFlag) }
            c.position += 1
        }

        return c.atEnd ? nil : LintFailure(.couponExcessData, c.position, c.remaining)
    }

    private enum Purchase { case second, third }

    /// The requirement, requirement code, family code and company prefix of an additional purchase.
    private static func purchase(_ c: inout Cursor, _ context: LintContext, _ which: Purchase) -> LintFailure? {
        let second = which == .second
        if c.atEnd { return c.missing(second ? .couponMissingSecondPurchaseRequirementVLI : .couponMissingThirdPurchaseRequirementVLI) }
        if !(49...53).contains(c.current) {
            return c.here(second ? .couponInvalidSecondPurchaseRequirementLength : .couponInvalidThirdPurchaseRequirementLength)
        }
        var length = c.digit
        c.position += 1
        if c.remaining < length {
            return c.truncated(second ? .couponTruncatedSecondPurchaseRequirement : .couponTruncatedThirdPurchaseRequirement)
        }
        c.position += length
        if c.atEnd {
            return c.missing(second ? .couponMissingSecondPurchaseRequirementCode : .couponMissingThirdPurchaseRequirementCode)
        }
        if c.current > UInt8(ascii: "4"), c.current != UInt8(ascii: "9") {
            return c.here(second ? .couponInvalidSecondPurchaseRequirementCode : .couponInvalidThirdPurchaseRequirementCode)
        }
        c.position += 1
        if c.remaining < 3 {
            return c.truncated(second ? .couponTruncatedSecondPurchaseFamilyCode : .couponTruncatedThirdPurchaseFamilyCode)
        }
        c.position += 3
        if c.atEnd { return c.missing(second ? .couponMissingSecondPurchaseGCPVLI : .couponMissingThirdPurchaseGCPVLI) }
        if c.current > UInt8(ascii: "6"), c.current != UInt8(ascii: "9") {
            return c.here(second ? .couponInvalidSecondPurchaseGCPLength : .couponInvalidThirdPurchaseGCPLength)
        }
        length = c.current != UInt8(ascii: "9") ? c.digit + 6 : 0
        c.position += 1
        if c.remaining < length { return c.truncated(second ? .couponTruncatedSecondPurchaseGCP : .couponTruncatedThirdPurchaseGCP) }
        if length > 0 {
            if let failure = companyPrefix(c.data.part(c.position..<(c.position + length)), context) {
                return LintFailure(failure.error, c.position, length)
            }
            c.position += length
        }
        return nil
    }

    private static func compare(_ data: Bytes, _ a: Int, _ b: Int, _ count: Int) -> Int {
        for index in 0..<count where data[a + index] != data[b + index] {
            return data[a + index] < data[b + index] ? -1 : 1
        }
        return 0
    }

    static func couponPositiveOffer(_ data: Bytes) -> LintFailure? {
        if let index = firstNonDigit(data) { return LintFailure(.nonDigitCharacter, index, 1) }
        var c = Cursor(data: data)
        if c.atEnd { return c.missing(.couponMissingFormatCode) }
        if c.current != UInt8(ascii: "0"), c.current != UInt8(ascii: "1") { return c.here(.couponInvalidFormatCode) }
        c.position += 1
        if c.atEnd { return c.missing(.couponMissingFunderVLI) }
        if c.current > UInt8(ascii: "6") { return c.here(.couponInvalidFunderLength) }
        var length = c.digit + 6
        c.position += 1
        if c.remaining < length { return c.truncated(.couponTruncatedFunder) }
        c.position += length
        if c.remaining < 6 { return c.truncated(.couponTruncatedOfferCode) }
        c.position += 6
        if c.atEnd { return c.missing(.couponMissingSerialNumberVLI) }
        length = c.digit + 6
        c.position += 1
        if c.remaining < length { return c.truncated(.couponTruncatedSerialNumber) }
        c.position += length
        return c.atEnd ? nil : LintFailure(.couponExcessData, c.position, c.remaining)
    }
}

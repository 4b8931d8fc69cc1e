/// The GS1 mod-10 check digit shared by GTIN, GLN, SSCC and the other numeric keys.
public enum CheckDigit {
    /// The check digit for `digits` (the payload without its check digit), which must be ASCII digits.
    ///
    /// Weights alternate 3, 1, … starting from the rightmost payload digit.
    public static func compute<S: Collection>(_ digits: S) -> UInt8 where S.Element == UInt8 {
        var sum = 0
        var weight = 3
        for byte in digits.reversed() {
            sum += Int(byte &- UInt8(ascii: "0")) * weight
            weight = 4 - weight
        }
        return UInt8((10 - sum % 10) % 10)
    }
}

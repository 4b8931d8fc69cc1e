import Foundation
import Problems

/// Windows-1252 (Latin 1 with the euro, smart quotes and the letters of code page 1252's 0x80
/// row), the 8-bit character set EPL2 printers print their resident fonts in once told `I8,A`.
/// A printer reads bytes: UTF-8 sent as is prints `Ã¼` for `ü`.
enum Windows1252 {
    /// The bytes 0x80–0x9F stand for these (0 where 1252 leaves the byte undefined).
    private static let high: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    /// The byte of `scalar`, or nil when 1252 has no such character.
    static func byte(_ scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 0x80 || (0xA0...0xFF).contains(value) { return UInt8(value) }
        guard let index = high.firstIndex(of: value), value != 0 else { return nil }
        return UInt8(0x80 + index)
    }

    /// `text` in 1252, or the first character it cannot carry. Text is composed first (NFC):
    /// a `u` followed by a combining diaeresis is the one byte of `ü`.
    static func encode(_ text: String) -> Result<[UInt8], Unencodable> {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            out.append(contentsOf: text.utf8)
            return .success(out)
        }
        for scalar in text.composed.unicodeScalars {
            guard let byte = byte(scalar) else { return .failure(Unencodable(scalar: scalar)) }
            out.append(byte)
        }
        return .success(out)
    }

    struct Unencodable: Error {
        let scalar: Unicode.Scalar
    }
}

extension Unicode.Scalar {
    /// `'Ж' (U+0416)`: a character named so that it can be found even where it does not show.
    var named: String { "'\(self)' (U+\(String(value, radix: 16, uppercase: true).leftPadded(to: 4)))" }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

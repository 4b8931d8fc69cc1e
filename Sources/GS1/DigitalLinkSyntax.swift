/// The syntax of GS1 Digital Link URIs: allowed characters, percent-encoding, the deprecated
/// convenience path names, and the valid key-qualifier sequences of the dictionary's `dlpkey`s.
package enum DigitalLinkSyntax {
    @inline(__always)
    private static func member(_ byte: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        byte < 64 ? low & (1 << UInt64(byte)) != 0 : byte < 128 && high & (1 << UInt64(byte - 64)) != 0
    }

    /// Characters allowed in a URI: RFC 3986 unreserved and reserved characters, and `%`.
    static func isURICharacter(_ byte: UInt8) -> Bool { member(byte, 0xAFFF_FFFA_0000_0000, 0x47FF_FFFE_AFFF_FFFF) }

    /// Characters allowed in a URI but not in its host: `_~?#@!$&'()*+,;=%`.
    static func isBadDomainCharacter(_ byte: UInt8) -> Bool { member(byte, 0xA800_1FFA_0000_0000, 0x4000_0000_8000_0001) }

    /// Unreserved characters, which need no percent-encoding: letters, digits, `-._~`.
    static func isUnreserved(_ byte: UInt8) -> Bool { member(byte, 0x03FF_6000_0000_0000, 0x47FF_FFFE_87FF_FFFE) }

    /// Whether the data starts `http://` or `https://` (all lower or all upper case, as the
    /// reference accepts), and so is meant as a URI.
    static func hasWebScheme(_ data: Bytes) -> Bool { schemeLength(data) != nil }

    static func schemeLength(_ data: Bytes) -> Int? {
        // "http://" or "https://", all lower case or all upper case.
        guard data.count >= 7 else { return nil }
        let upper = data[0] == UInt8(ascii: "H")
        func letter(_ index: Int, _ lower: UInt8) -> Bool { data[index] == (upper ? lower - 32 : lower) }
        guard letter(0, UInt8(ascii: "h")), letter(1, UInt8(ascii: "t")), letter(2, UInt8(ascii: "t")), letter(3, UInt8(ascii: "p")) else {
            return nil
        }
        var index = 4
        if letter(4, UInt8(ascii: "s")) { index = 5 }
        guard index + 3 <= data.count, data[index] == UInt8(ascii: ":"), data[index + 1] == UInt8(ascii: "/"),
              data[index + 2] == UInt8(ascii: "/") else { return nil }
        return index + 3
    }

    /// Percent-decodes `input`; in a query `+` is a space. An invalid `%` sequence is kept as it
    /// is. `nil` when a `%00` would put a NUL in the value.
    static func unescape(_ input: Bytes, query: Bool) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%"), index + 2 < input.count,
               let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                let decoded = high << 4 | low
                if decoded == 0 { return nil }
                output.append(decoded)
                index += 3
                continue
            }
            output.append(query && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }

    /// Percent-encodes a value for a path segment (space as `%20`) or a query (space as `+`).
    package static func escape(_ value: String, query: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in value.utf8 {
            if isUnreserved(byte) {
                output.append(byte)
            } else if byte == UInt8(ascii: " ") && query {
                output.append(UInt8(ascii: "+"))
            } else {
                output.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The deprecated path names of Digital Link 1.0/1.1 and the AIs they stand for.
    static let convenienceAlphas: [String: String] = [
        "cpid": "8010", "cpsn": "8011", "cpv": "22", "gcn": "255", "gdti": "253", "giai": "8004", "ginc": "401",
        "gln": "414", "glnx": "254", "gmn": "8013", "grai": "8003", "gsin": "402", "gsrn": "8018", "gsrnp": "8017",
        "gtin": "01", "itip": "8006", "lot": "10", "party": "417", "refno": "8020", "ser": "21", "srin": "8019",
        "sscc": "00",
    ]

    /// Every valid path: the primary key followed by any in-order selection of one of its
    /// qualifier sequences, as space-separated AIs (`"01 22 10"`), sorted.
    static let keyQualifierPaths: [String] = {
        var paths = Set<String>()
        for entry in AIDictionary.standard.entries {
            guard let sequences = entry.keyQualifiers else { continue }
            for sequence in sequences {
                var choices: [[String]] = [[]]
                for qualifier in sequence { choices += choices.map { $0 + [qualifier] } }
                for choice in choices { paths.insert(([entry.ai] + choice).joined(separator: " ")) }
            }
        }
        return paths.sorted()
    }()

    private static let keyQualifierPathSet = Set(keyQualifierPaths)

    /// Whether a path of `key` and `qualifierCount` qualifiers (given by `qualifier`) is valid: the
    /// qualifiers are an in-order selection of one of the key's qualifier sequences.
    @inline(__always)
    static func isValidPath(key: AIEntry, qualifierCount: Int, _ qualifier: (Int) -> UInt32) -> Bool {
        guard let sequences = key.keyQualifierCodes else { return false }
        for sequence in sequences {
            var position = 0
            var valid = true
            for index in 0..<qualifierCount {
                let wanted = qualifier(index)
                while position < sequence.count, sequence[position] != wanted { position += 1 }
                if position == sequence.count { valid = false; break }
                position += 1
            }
            if valid { return true }
        }
        return false
    }

    /// The path with its qualifiers in the key's order, when that makes it valid.
    static func reordered(_ ais: [String]) -> [String]? {
        guard let key = ais.first, let sequences = AIDictionary.standard[key]?.keyQualifiers else { return nil }
        let qualifiers = ais.dropFirst()
        for sequence in sequences where qualifiers.allSatisfy(sequence.contains) {
            let sorted = [key] + qualifiers.sorted { sequence.firstIndex(of: $0)! < sequence.firstIndex(of: $1)! }
            if isValidPath(sorted) { return sorted }
        }
        return nil
    }

    /// Whether the AIs, in this order, form a valid Digital Link path.
    static func isValidPath(_ ais: [String]) -> Bool {
        keyQualifierPathSet.contains(ais.joined(separator: " "))
    }
}

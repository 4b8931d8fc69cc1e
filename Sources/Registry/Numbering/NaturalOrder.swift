/// Natural order of lot and serial numbers: `LOT-9` before `LOT-10`.
///
/// Stored as a sort key beside the number, so the database can order by it (sequential issue).
enum NaturalOrder {
    /// The number with every run of digits written as its length (two digits) and its value
    /// without leading zeros, so that plain text order is natural order.
    static func key(_ number: String) -> String {
        var key = ""
        key.reserveCapacity(number.utf8.count + 8)
        var digits = Substring()
        func flush() {
            guard !digits.isEmpty else { return }
            var trimmed = digits.drop { $0 == "0" }
            if trimmed.isEmpty { trimmed = "0" }
            key += NumberFormat.pad(trimmed.count, 2)
            key += trimmed
            digits = ""
        }
        var start = number.startIndex
        var index = number.startIndex
        while index < number.endIndex {
            let c = number[index]
            if c.isASCII && c.isNumber {
                if digits.isEmpty { start = index }
                digits = number[start...index]
            } else {
                flush()
                key.append(c)
            }
            index = number.index(after: index)
        }
        flush()
        return key
    }
}

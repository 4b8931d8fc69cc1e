public import Foundation

/// How many labels a payload prints, and the part of it that remains once some have printed.
///
/// ZPL: each format (`^XA` … `^XZ`) prints its `^PQ` quantity (1 without one). EPL: each print
/// command `Pn[,m]` prints n × m labels of the form before it. PNG: one image, printed `copies`
/// times. Status queries (`~HS`) print nothing. This assumes the default `^` and `~` prefixes:
/// Tracemark's writers never change them, and raw templates that do are refused.
public enum LabelCount {
    /// The labels `payload` prints.
    public static func count(_ payload: Data, language: PrinterLanguage, copies: Int = 1) -> Int {
        switch language {
        case .zpl: return zplFormats(payload).reduce(0) { saturatingSum($0, $1.quantity) }
        case .epl: return eplForms(payload).reduce(0) { saturatingSum($0, $1.quantity) }
        case .png: return max(1, copies)
        }
    }

    /// The part of `payload` still to print once its first `printed` labels came out, or nil when
    /// it cannot be cut there (a PNG, whose copies are the CUPS job's).
    public static func remainder(_ payload: Data, language: PrinterLanguage, afterPrinting printed: Int) -> Data? {
        guard printed > 0 else { return payload }
        switch language {
        case .zpl: return cut(payload, zplFormats(payload), printed)
        case .epl: return cut(payload, eplForms(payload), printed)
        case .png: return nil
        }
    }

    /// A unit that prints `quantity` labels: its bytes, and where its quantity is written.
    struct Unit {
        var range: Range<Int>
        var quantity: Int
        /// The digits of the quantity (nil: no quantity command, 1 label).
        var quantityDigits: Range<Int>?
    }

    static func zplFormats(_ payload: Data) -> [Unit] {
        let bytes = [UInt8](payload)
        var units: [Unit] = []
        var index = 0
        var start: Int?
        var quantity = 1
        var digits: Range<Int>?
        let caret = UInt8(ascii: "^")
        while index + 2 < bytes.count {
            if bytes[index] == caret {
                let a = bytes[index + 1] | 0x20, b = bytes[index + 2] | 0x20
                if a == UInt8(ascii: "x"), b == UInt8(ascii: "a") {
                    start = index
                    quantity = 1
                    digits = nil
                } else if a == UInt8(ascii: "p"), b == UInt8(ascii: "q"), start != nil {
                    var end = index + 3
                    while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
                    if end > index + 3, let value = saturatingNumber(bytes[(index + 3)..<end]) {
                        quantity = max(1, value)
                        digits = (index + 3)..<end
                    }
                } else if a == UInt8(ascii: "x"), b == UInt8(ascii: "z"), let first = start {
                    units.append(Unit(range: first..<(index + 3), quantity: quantity, quantityDigits: digits))
                    start = nil
                }
            }
            index += 1
        }
        return units
    }

    static func eplForms(_ payload: Data) -> [Unit] {
        let bytes = [UInt8](payload)
        var units: [Unit] = []
        var lineStart = 0
        var formStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let line = bytes[lineStart..<lineEnd]
            if line.first == UInt8(ascii: "P"), line.count > 1,
               (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[line.startIndex + 1]) {
                let text = String(decoding: line.dropFirst(), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let parts = text.split(separator: ",").map { saturatingNumber(Array($0.trimmingCharacters(in: .whitespaces).utf8)[...]) ?? 1 }
                let sets = max(1, parts.first ?? 1)
                let copies = parts.count > 1 ? max(1, parts[1]) : 1
                let (product, overflow) = sets.multipliedReportingOverflow(by: copies)
                var argumentsEnd = lineEnd
                if argumentsEnd > lineStart, bytes[argumentsEnd - 1] == UInt8(ascii: "\r") { argumentsEnd -= 1 }
                // The whole "n,m" is rewritten as the labels left: the sets are copies of one form.
                units.append(Unit(range: formStart..<min(bytes.count, lineEnd + 1), quantity: overflow ? Int.max : product,
                                  quantityDigits: (lineStart + 1)..<argumentsEnd))
                formStart = min(bytes.count, lineEnd + 1)
            }
            lineStart = lineEnd + 1
        }
        return units
    }

    /// `a + b`, or `Int.max` where that overflows: a payload asking for absurd quantities is
    /// counted as too many labels, never as a crash.
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    /// The decimal number in `digits`, `Int.max` when it is larger; nil when it is not all digits.
    static func saturatingNumber(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            if o1 || o2 { return Int.max }
            value = plus
        }
        return value
    }

    private static func cut(_ payload: Data, _ units: [Unit], _ printed: Int) -> Data? {
        let bytes = [UInt8](payload)
        var left = printed
        for unit in units {
            if left >= unit.quantity {
                left -= unit.quantity
                continue
            }
            var result: [UInt8] = []
            // Whatever came before the first unit (settings such as ~SD or ^MM) applies to all that follows.
            if let first = units.first { result += bytes[0..<first.range.lowerBound] }
            if left == 0 {
                result += bytes[unit.range.lowerBound..<bytes.count]
            } else {
                // A unit that straddles has a quantity above 1, so it has its quantity command.
                guard let digits = unit.quantityDigits else { return nil }
                result += bytes[unit.range.lowerBound..<digits.lowerBound]
                result += Array(String(unit.quantity - left).utf8)
                result += bytes[digits.upperBound..<bytes.count]
            }
            return Data(result)
        }
        return Data()
    }
}

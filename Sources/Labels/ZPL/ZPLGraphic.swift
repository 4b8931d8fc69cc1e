/// `^GF` graphic fields in ZPL's ASCII compression (ACS): hex digits, repeat counts as letters
/// (`G`–`Y` 1–19, `g`–`z` 20–400), `,` for a row that ends in zeros, `!` for one that ends in
/// ones, and `:` for a row that repeats the one before.
enum ZPLGraphic {
    /// `^GFA,total,total,bytesPerRow,data` for a bitmap (1 = black).
    static func field(_ bitmap: Bitmap) -> String {
        let (bytesPerRow, bytes) = bitmap.packedRows(blackBit: 1)
        let total = bytesPerRow * bitmap.height
        return "^GFA,\(total),\(total),\(bytesPerRow),\(compress(bytes, bytesPerRow: bytesPerRow, rows: bitmap.height))"
    }

    static func compress(_ bytes: [UInt8], bytesPerRow: Int, rows: Int) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count / 2)
        var previous: ArraySlice<UInt8>?
        var hex = [UInt8](repeating: 0, count: bytesPerRow * 2)
        for row in 0..<rows {
            let slice = bytes[(row * bytesPerRow)..<((row + 1) * bytesPerRow)]
            if let previous, previous == slice {
                out.append(UInt8(ascii: ":"))
                continue
            }
            previous = slice
            for (index, byte) in slice.enumerated() {
                hex[index * 2] = hexDigits[Int(byte >> 4)]
                hex[index * 2 + 1] = hexDigits[Int(byte & 0x0F)]
            }
            var end = hex.count
            var terminator: UInt8?
            while end > 0, hex[end - 1] == UInt8(ascii: "0") { end -= 1 }
            if end < hex.count {
                terminator = UInt8(ascii: ",")
            } else {
                while end > 0, hex[end - 1] == UInt8(ascii: "F") { end -= 1 }
                if end < hex.count { terminator = UInt8(ascii: "!") }
            }
            var index = 0
            while index < end {
                let character = hex[index]
                var run = 1
                while index + run < end, hex[index + run] == character { run += 1 }
                if run > 1 { appendCount(run, to: &out) }
                out.append(character)
                index += run
            }
            if let terminator { out.append(terminator) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendCount(_ count: Int, to out: inout [UInt8]) {
        var rest = count
        while rest >= 400 {
            out.append(UInt8(ascii: "z"))
            rest -= 400
        }
        if rest >= 20 {
            out.append(UInt8(ascii: "g") + UInt8(rest / 20 - 1))
            rest %= 20
        }
        if rest > 0 { out.append(UInt8(ascii: "G") + UInt8(rest - 1)) }
    }
}

/// Splits the bytes a ZPL printer receives into formats (`^XA … ^XZ`, with `^PQ` copies) and
/// status queries (`~HS`, `~HQ…`, SGD `! U1 getvar`), as a printer does: byte by byte, so a
/// command cut across TCP segments is still seen once.
///
/// Tilde commands act at once, even inside a format, and are not part of it; SGD lines count only
/// outside formats. Commands are read case-insensitively, as ZPL does.
struct ZPLStreamScanner {
    enum Event: Equatable {
        /// A whole format: its text (when recorded) and how many labels it prints.
        case format(text: [UInt8], copies: Int)
        case hostStatusQuery
        /// An SGD `getvar`, with the variable's name.
        case getVariable(String)
    }

    var recordsText: Bool
    /// Bytes that were part of formats.
    private(set) var formatBytes = 0
    private var window: UInt32 = 0
    /// The last three bytes as received (the window holds them upper-cased).
    private var raw3: UInt32 = 0
    private var inFormat = false
    private var text: [UInt8] = []
    private var copies = 1
    private var quantity: Int?
    private var line: [UInt8]?

    init(recordsText: Bool) {
        self.recordsText = recordsText
    }

    // The three-byte commands as the window holds them (literals: a static let would be a lazy
    // global, checked on every byte).
    private static let startFormat: UInt32 = 0x5E_58_41  // ^XA
    private static let endFormat: UInt32 = 0x5E_58_5A  // ^XZ
    private static let printQuantity: UInt32 = 0x5E_50_51  // ^PQ
    private static let hostStatus: UInt32 = 0x7E_48_53  // ~HS

    /// Reads `bytes`, calling `emit` for each format and query in order.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        for raw in bytes {
            let upper = raw >= 0x61 && raw <= 0x7A ? raw - 0x20 : raw
            window = ((window << 8) | UInt32(upper)) & 0xFF_FFFF
            raw3 = ((raw3 << 8) | UInt32(raw)) & 0xFF_FFFF
            if var current = line {
                if raw == 0x0A {
                    line = nil
                    if let name = Self.variable(in: current) { emit(.getVariable(name)) }
                } else if current.count < 256 {
                    current.append(raw)
                    line = current
                } else {
                    line = nil
                }
                continue
            }
            if window == Self.hostStatus {
                emit(.hostStatusQuery)
                if inFormat {
                    if recordsText { text.removeLast(min(2, text.count)) }
                    formatBytes -= 2
                }
                continue
            }
            guard inFormat else {
                if window == Self.startFormat {
                    inFormat = true
                    copies = 1
                    quantity = nil
                    formatBytes += 3
                    if recordsText { text = [UInt8(truncatingIfNeeded: raw3 >> 16), UInt8(truncatingIfNeeded: raw3 >> 8), raw] }
                } else if raw == UInt8(ascii: "!") {
                    line = [raw]
                }
                continue
            }
            formatBytes += 1
            if recordsText { text.append(raw) }
            if let value = quantity {
                if raw >= 0x30 && raw <= 0x39 {
                    quantity = min(value * 10 + Int(raw - 0x30), 99_999_999)
                    continue
                }
                copies = max(1, value)
                quantity = nil
            }
            if window == Self.printQuantity {
                quantity = 0
            } else if window == Self.endFormat {
                inFormat = false
                emit(.format(text: text, copies: copies))
                text = []
            }
        }
    }

    /// The variable an SGD line asks for (`! U1 getvar "name"`), if it is a getvar.
    private static func variable(in line: [UInt8]) -> String? {
        let text = String(decoding: line, as: UTF8.self)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\r" || $0 == "\t" })
        guard words.count >= 4, words[0] == "!", words[1].uppercased() == "U1", words[2].lowercased() == "getvar" else { return nil }
        return String(words[3].filter { $0 != "\"" })
    }
}

import GS1
import Synchronization

/// Rows and columns of a symbol, in modules (a linear symbol has one row).
struct SymbolSize: Hashable, Sendable {
    let rows: Int
    let columns: Int
}

/// The size libzint gives a symbol, remembered by the *shape* of its data.
///
/// A symbol's size depends on how many codewords its data takes, and every encoder (Code 128's
/// subsets, DataMatrix's ASCII/C40/Text/X12/EDIFACT/Base 256, QR's numeric/alphanumeric/byte
/// modes) chooses by character class, never by which digit or which letter it is. So data with
/// each digit written `0`, each capital `A` and each small letter `a` (everything else, AIs
/// included, left as it is) has the same size: a production run's labels, whose numbers differ
/// but keep their pattern, are sized once. ZPL sizes its DataMatrix and places text under
/// linear symbols from this without encoding the symbol at all; the printer draws it.
///
/// The data is still checked for every label (GS1 syntax, check digits and dates by the GS1
/// target, EAN/UPC/ITF/Code 39 by ``BarcodeContent``); only data whose shape libzint accepted
/// before is sized from memory.
enum SymbolSizes {
    /// The shape with a digest computed once (hashing an array of bytes feeds the hasher one
    /// byte at a time, which cost more than the rest of the look-up).
    private struct Key: Hashable {
        let symbology: Symbology
        let shape: [UInt8]
        let digest: UInt64

        init(symbology: Symbology, shape: [UInt8]) {
            self.symbology = symbology
            self.shape = shape
            var digest: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
            for byte in shape { digest = (digest ^ UInt64(byte)) &* 0x0100_0000_01B3 }
            self.digest = digest
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(symbology)
            hasher.combine(digest)
        }

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.digest == rhs.digest && lhs.symbology == rhs.symbology && lhs.shape == rhs.shape
        }
    }

    /// Enough for the few shapes of a run's data; cleared when full rather than tracked.
    static let capacity = 4096
    private static let sizes = Mutex<[Key: SymbolSize]>([:])

    /// The size of `content` in `symbology`, and the modules when they had to be encoded to
    /// find it (the first label of a shape).
    static func size(of content: BarcodeContent, as symbology: Symbology) throws(LabelError) -> (SymbolSize, SymbolMatrix?) {
        let key = Key(symbology: symbology, shape: shape(of: content))
        if let known = sizes.withLock({ $0[key] }) { return (known, nil) }
        let matrix = try ZintSymbol.encode(content, as: symbology)
        let size = SymbolSize(rows: matrix.rows, columns: matrix.columns)
        sizes.withLock { sizes in
            if sizes.count >= capacity { sizes.removeAll(keepingCapacity: true) }
            sizes[key] = size
        }
        return (size, matrix)
    }

    /// Forgets every size (tests compare remembered sizes with fresh encodings).
    static func forget() {
        sizes.withLock { $0.removeAll() }
    }

    /// The data with digits as `0`, capitals as `A`, small letters as `a`; GS1 AIs in brackets.
    static func shape(of content: BarcodeContent) -> [UInt8] {
        var out: [UInt8] = []
        func append(classOf value: String) {
            for byte in value.utf8 {
                switch byte {
                case 0x30...0x39: out.append(0x30)
                case 0x41...0x5A: out.append(0x41)
                case 0x61...0x7A: out.append(0x61)
                default: out.append(byte)
                }
            }
        }
        switch content {
        case .gs1(let elements):
            out.reserveCapacity(elements.elements.reduce(0) { $0 + $1.ai.utf8.count + $1.value.utf8.count + 2 })
            for element in elements.elements {
                out.append(0x5B)
                out += element.ai.utf8
                out.append(0x5D)
                append(classOf: element.value)
            }
        case .text(let text):
            out.reserveCapacity(text.utf8.count)
            append(classOf: text)
        }
        return out
    }
}

import CFreeType
import Foundation
import Synchronization

/// The fonts that text is measured and drawn with (DejaVu Sans, Debian `fonts-dejavu-core`),
/// through FreeType. One FreeType library serves the process, behind a lock (FreeType objects
/// are not thread-safe).
final class FontFace: Sendable {
    /// Regular and bold faces, loaded on first use.
    static let shared: FontFace? = FontFace()

    private let faces: Mutex<FacesBox>

    /// A rendered glyph: its dots (1 = black, row-major), where they sit from the pen, and the advance.
    struct Glyph {
        let left: Int
        let top: Int
        let width: Int
        let rows: Int
        let dots: [UInt8]
        let advance: Int
    }

    struct AdvanceKey: Hashable {
        let bold: Bool
        let em: Int
        let scalar: UInt32
    }

    /// FT handles are plain pointers; the mutex is what makes sharing them safe.
    private final class FacesBox: @unchecked Sendable {
        let library: FT_Library
        let regular: FT_Face
        let bold: FT_Face
        /// Advance widths by (bold, em size, scalar): measuring is on every label's path.
        var advances: [AdvanceKey: Int] = [:]
        /// The ASCII advances of one (bold, em size), looked up once per text rather
        /// than once per character: most label text is ASCII.
        var asciiAdvances: [Int: [Int]] = [:]
        /// Rendered glyphs by the same key: hinting each glyph again for every label is slow.
        var glyphs: [AdvanceKey: Glyph] = [:]
        /// A long-running service sees text of every size and script: past this many entries a
        /// cache starts again rather than growing without end.
        static let limit = 20_000
        init(library: FT_Library, regular: FT_Face, bold: FT_Face) {
            self.library = library
            self.regular = regular
            self.bold = bold
        }
        deinit {
            FT_Done_Face(regular)
            FT_Done_Face(bold)
            FT_Done_FreeType(library)
        }
    }

    /// Folders searched for the fonts: `TRACEMARK_FONT_DIR`, then `fonts/truetype/dejavu` under
    /// each of `XDG_DATA_DIRS` and the standard `/usr/local/share` and `/usr/share`.
    static func fontFile(_ name: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        var folders: [String] = []
        if let own = environment["TRACEMARK_FONT_DIR"] { folders.append(own) }
        let dataDirs = (environment["XDG_DATA_DIRS"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/local/share", "/usr/share"]
        folders += dataDirs.map { "\($0)/fonts/truetype/dejavu" }
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    private init?() {
        guard let regularPath = Self.fontFile("DejaVuSans.ttf"), let boldPath = Self.fontFile("DejaVuSans-Bold.ttf") else {
            return nil
        }
        var library: FT_Library?
        guard FT_Init_FreeType(&library) == 0, let library else { return nil }
        var regular: FT_Face?
        guard FT_New_Face(library, regularPath, 0, &regular) == 0, let regular else {
            FT_Done_FreeType(library)
            return nil
        }
        var bold: FT_Face?
        guard FT_New_Face(library, boldPath, 0, &bold) == 0, let bold else {
            FT_Done_Face(regular)
            FT_Done_FreeType(library)
            return nil
        }
        faces = Mutex(FacesBox(library: library, regular: regular, bold: bold))
    }

    /// The em size in pixels for a text line `lineHeight` dots high: DejaVu's ascender plus
    /// descender is 1.164 em.
    static func emSize(lineHeight: Int) -> Int { max(1, Int((Double(lineHeight) / 1.164).rounded())) }

    /// The first character of `text` the face has no glyph for (it would draw as an empty box),
    /// or nil. Characters that draw nothing by design (joiners, variation selectors, other
    /// format characters) are not asked about.
    func missing(in text: String, bold: Bool) -> Unicode.Scalar? {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return nil }
        return faces.withLock { box in
            let face = bold ? box.bold : box.regular
            return text.unicodeScalars.first { scalar in
                guard scalar.value >= 0x80, scalar.properties.generalCategory != .format,
                      !(0xFE00...0xFE0F).contains(scalar.value) else { return false }
                return FT_Get_Char_Index(face, FT_ULong(scalar.value)) == 0
            }
        }
    }

    /// Refuses a text run with a character the label font has no glyph for. PNG would print it
    /// as an empty box, and a ZPL printer's resident font has fewer characters still (no Chinese,
    /// Japanese or Korean, no symbols of that kind): a label with a product's name in boxes is
    /// refused rather than printed. Without the font installed, nothing can be known.
    static func checkGlyphs(_ run: TextRun) throws(LabelError) {
        try checkCharacters(run.text)
        if let (scalar, script) = rightToLeft(in: run.text) {
            throw LabelError(.unencodable,
                "the text \"\(run.text)\" has \(script) letters (U+\(String(format: "%04X", scalar.value))), which are written right to left: the label engine lays text out left to right, and would print it backwards\(script == "Arabic" ? " and unjoined" : ""); write it in Latin letters, or leave it out")
        }
        guard let face = shared, let missing = face.missing(in: run.text, bold: run.bold) else { return }
        throw LabelError(.unencodable,
            "the text \"\(run.text)\" has \(missing.named), which the label font (DejaVu Sans\(run.bold ? " Bold" : "")) does not have: it would print as an empty box; leave the character out or write it in Latin, Greek or Cyrillic letters")
    }

    /// Refuses text with a character that prints nothing readable: a control character or an
    /// invisible one. `lineBreaks`: LF and CR are let through (a raw template's field puts its
    /// value on one line).
    static func checkCharacters(_ text: String, lineBreaks: Bool = false) throws(LabelError) {
        // A control character (NUL, ESC, a tab) prints nothing a person can read, on any printer,
        // and is a printer's or a terminal's command elsewhere: refused, like a missing glyph
        // (a QA run saw NUL and ESC reach a ZPL printer, hex-escaped but printed as garbage).
        if let control = text.unicodeScalars.first(where: { ($0.value < 0x20 && !(lineBreaks && ($0 == "\n" || $0 == "\r"))) || (0x7F...0x9F).contains($0.value) }) {
            throw LabelError(.unencodable,
                "the text \"\(text.debugDescription.dropFirst().dropLast())\" has a control character (U+\(String(format: "%04X", control.value))), which prints nothing readable: leave it out of the data")
        }
        // An invisible character (a byte order mark, a zero-width space, a soft hyphen: text
        // pasted from a spreadsheet or a CSV file) prints nothing, or bytes a printer's resident
        // font draws as garbage: refused, named.
        if let invisible = text.unicodeScalars.first(where: { $0.value >= 0x80 && $0.properties.generalCategory == .format }) {
            let name = switch invisible.value {
            case 0xFEFF: "a byte order mark"
            case 0x200B: "a zero-width space"
            case 0x00AD: "a soft hyphen"
            case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: "a direction mark"
            case 0x200C, 0x200D: "a zero-width joiner"
            default: "a format character"
            }
            throw LabelError(.unencodable,
                "the text \"\(text.unicodeScalars.filter { $0 != invisible }.map(String.init).joined())\" has an invisible character, \(name) (U+\(String(format: "%04X", invisible.value))), before character \(text.unicodeScalars.prefix { $0 != invisible }.count + 1): it prints nothing readable; leave it out of the data (it often comes with text copied from a spreadsheet or a CSV file)")
        }
        // A line or paragraph separator breaks no line on a printer: garbage or nothing.
        if let separator = text.unicodeScalars.first(where: { $0.value == 0x2028 || $0.value == 0x2029 }) {
            throw LabelError(.unencodable,
                "the text \"\(text.unicodeScalars.filter { $0 != separator }.map(String.init).joined())\" has a \(separator.value == 0x2028 ? "line" : "paragraph") separator (U+\(String(format: "%04X", separator.value))), which prints nothing readable: leave it out of the data")
        }
    }

    /// The first letter of a script written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko
    /// and the others of the blocks from U+0590 to U+08FF, their presentation forms, and the
    /// right-to-left blocks of the supplementary planes), with its script's name, or nil. The
    /// label font has Hebrew and Arabic glyphs, and a QA run saw them drawn in the order they are
    /// stored: backwards, and Arabic unjoined. Until text is shaped (HarfBuzz), it is refused.
    static func rightToLeft(in text: String) -> (Unicode.Scalar, String)? {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return nil }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0590...0x05FF, 0xFB1D...0xFB4F: return (scalar, "Hebrew")
            // Not U+FEFF at the end of the block: the byte order mark, invisible (found by a QA run).
            case 0x0600...0x06FF, 0x0750...0x077F, 0x0870...0x08FF, 0xFB50...0xFDFF, 0xFE70...0xFEFE: return (scalar, "Arabic")
            case 0x0700...0x074F, 0x0860...0x086F: return (scalar, "Syriac")
            case 0x0780...0x07BF: return (scalar, "Thaana")
            case 0x07C0...0x085F, 0x10800...0x10FFF, 0x1E800...0x1EFFF: return (scalar, "right-to-left")
            default: continue
            }
        }
        return nil
    }

    /// The width in dots of `text` on one line.
    func width(of text: String, lineHeight: Int, bold: Bool) -> Int {
        faces.withLock { box in
            let face = bold ? box.bold : box.regular
            let em = Self.emSize(lineHeight: lineHeight)
            var sizeSet = false
            let sizeKey = em * 2 + (bold ? 1 : 0)
            let ascii: [Int]
            if let known = box.asciiAdvances[sizeKey] {
                ascii = known
            } else {
                FT_Set_Pixel_Sizes(face, 0, FT_UInt(em))
                sizeSet = true
                ascii = (0..<128).map { code in
                    guard FT_Load_Char(face, FT_ULong(code), tm_ft_load_mono()) == 0 else { return 0 }
                    return Int(face.pointee.glyph.pointee.advance.x) >> 6
                }
                if box.asciiAdvances.count >= 512 { box.asciiAdvances.removeAll(keepingCapacity: true) }
                box.asciiAdvances[sizeKey] = ascii
            }
            var width = 0
            var isASCII = true
            for byte in text.utf8 {
                guard byte < 0x80 else {
                    isASCII = false
                    break
                }
                width += ascii[Int(byte)]
            }
            if isASCII { return width }
            width = 0
            for scalar in text.unicodeScalars {
                if scalar.value < 0x80 {
                    width += ascii[Int(scalar.value)]
                    continue
                }
                let key = AdvanceKey(bold: bold, em: em, scalar: scalar.value)
                if let advance = box.advances[key] {
                    width += advance
                    continue
                }
                if !sizeSet {
                    FT_Set_Pixel_Sizes(face, 0, FT_UInt(em))
                    sizeSet = true
                }
                var advance = 0
                if FT_Load_Char(face, FT_ULong(scalar.value), tm_ft_load_mono()) == 0 {
                    advance = Int(face.pointee.glyph.pointee.advance.x) >> 6
                }
                if box.advances.count >= FacesBox.limit { box.advances.removeAll(keepingCapacity: true) }
                box.advances[key] = advance
                width += advance
            }
            return width
        }
    }

    /// Renders one glyph 1-bit at the face's current size (an empty glyph when the font has none).
    private static func renderGlyph(_ face: FT_Face, _ scalar: Unicode.Scalar) -> Glyph {
        guard FT_Load_Char(face, FT_ULong(scalar.value), tm_ft_render_mono()) == 0, let slot = face.pointee.glyph else {
            return Glyph(left: 0, top: 0, width: 0, rows: 0, dots: [], advance: 0)
        }
        let bitmap = slot.pointee.bitmap
        let width = Int(bitmap.width), rows = Int(bitmap.rows), pitch = Int(bitmap.pitch)
        var dots = [UInt8](repeating: 0, count: width * rows)
        if let buffer = bitmap.buffer {
            let mono = Int(bitmap.pixel_mode) == Int(tm_ft_pixel_mode_mono())
            for row in 0..<rows {
                for column in 0..<width {
                    let dark = mono
                        ? (buffer[row * pitch + column >> 3] >> UInt8(7 - column & 7)) & 1 == 1
                        : buffer[row * pitch + column] >= 128
                    if dark { dots[row * width + column] = 1 }
                }
            }
        }
        return Glyph(left: Int(slot.pointee.bitmap_left), top: Int(slot.pointee.bitmap_top), width: width, rows: rows,
                     dots: dots, advance: Int(slot.pointee.advance.x) >> 6)
    }

    /// Draws one line of text, black on white, `lineHeight` dots high and as wide as it is.
    func render(_ text: String, lineHeight: Int, bold: Bool) -> Bitmap {
        let width = self.width(of: text, lineHeight: lineHeight, bold: bold)
        var bitmap = Bitmap(width: max(1, width), height: max(1, lineHeight))
        faces.withLock { box in
            let face = bold ? box.bold : box.regular
            let em = Self.emSize(lineHeight: lineHeight)
            let baseline = Int((Double(em) * 0.928).rounded())
            var penX = 0
            var sizeSet = false
            for scalar in text.unicodeScalars {
                let key = AdvanceKey(bold: bold, em: em, scalar: scalar.value)
                let glyph: Glyph
                if let cached = box.glyphs[key] {
                    glyph = cached
                } else {
                    if !sizeSet {
                        FT_Set_Pixel_Sizes(face, 0, FT_UInt(em))
                        sizeSet = true
                    }
                    glyph = Self.renderGlyph(face, scalar)
                    if box.glyphs.count >= FacesBox.limit { box.glyphs.removeAll(keepingCapacity: true) }
                    box.glyphs[key] = glyph
                }
                let left = penX + glyph.left
                let top = baseline - glyph.top
                for row in 0..<glyph.rows {
                    let y = top + row
                    guard y >= 0, y < bitmap.height else { continue }
                    for column in 0..<glyph.width where glyph.dots[row * glyph.width + column] != 0 {
                        let x = left + column
                        if x >= 0, x < bitmap.width { bitmap[x, y] = true }
                    }
                }
                penX += glyph.advance
            }
        }
        return bitmap
    }
}

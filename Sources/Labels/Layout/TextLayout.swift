/// Breaks text into lines and places them, measuring with the label font (DejaVu Sans through
/// FreeType), so that all outputs put each line at the same place.
enum TextLayout {
    /// Smallest line height a shrinking text goes down to: ZPL's scalable font (`^A0`) is at
    /// least 10 dots high, and a printer refuses a smaller one.
    static let minimumLineHeight = 10

    static func width(_ text: String, lineHeight: Int, bold: Bool) -> Int {
        if let face = FontFace.shared { return face.width(of: text, lineHeight: lineHeight, bold: bold) }
        // Without the font (not installed): DejaVu Sans averages about 0.55 em a character.
        return Int(Double(text.count * lineHeight) * 0.55 / 1.164)
    }

    /// The lines of `text` in their boxes, rotated about the block's top-left corner (x, y).
    static func runs(
        _ text: String, x: Int, y: Int, lineHeight requested: Int, bold: Bool, alignment: TextAlignment,
        rotation: Int, boxWidth: Int?, boxHeight: Int?, fit: TextFit
    ) throws(LabelError) -> [TextRun] {
        var lineHeight = max(1, requested)
        var lines: [String]
        let paragraphs = text.utf8.contains(0x0A)
            ? text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : [text]
        if let boxWidth, fit == .shrink {
            // One line per paragraph, smaller until the widest fits (and the lines fit the height).
            lines = paragraphs
            while lineHeight > minimumLineHeight {
                let widest = lines.map { width($0, lineHeight: lineHeight, bold: bold) }.max() ?? 0
                let tall = boxHeight.map { lines.count * lineHeight > $0 } ?? false
                if widest <= boxWidth, !tall { break }
                lineHeight -= 1
            }
            // Still too wide at the smallest size: the printer would cut the text off at the
            // box, and a label with half a number on it is refused rather than printed.
            if let line = lines.first(where: { width($0, lineHeight: lineHeight, bold: bold) > boxWidth }) {
                throw LabelError(.invalidValue,
                    "the text \"\(line)\" does not fit its box (\(boxWidth) dots wide) even shrunk to \(lineHeight) dots high; widen the box or shorten the text")
            }
        } else if let boxWidth {
            let wrapped = { (height: Int) in paragraphs.flatMap { wrap($0, width: boxWidth, lineHeight: height, bold: bold) } }
            lines = wrapped(lineHeight)
            // The lines the box holds (one at least: a box may be drawn lower than its text).
            let holds = { (height: Int) in boxHeight.map { max(1, $0 / height) } ?? .max }
            if fit == .truncate {
                if lines.count > holds(lineHeight) { lines = cut(lines, to: holds(lineHeight), width: boxWidth, lineHeight: lineHeight, bold: bold) }
            } else if let boxHeight, lines.count > holds(lineHeight) {
                // More lines than the box holds: smaller, wrapped again, until they fit. Cutting
                // them lost the end of a hazard statement without a word (found by a QA run).
                while lines.count > holds(lineHeight), lineHeight > minimumLineHeight {
                    lineHeight -= 1
                    lines = wrapped(lineHeight)
                }
                if lines.count > holds(lineHeight) {
                    let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
                    throw LabelError(.invalidValue,
                        "the text \"\(shown)\" (\(text.count) characters) needs \(lines.count) lines in its box (\(boxWidth) × \(boxHeight) dots), which holds \(holds(lineHeight)) even at \(lineHeight) dots high: make the box larger or the text shorter (fit: truncate cuts a text a label may shorten)")
                }
            }
        } else {
            lines = paragraphs
        }
        let blockWidth = boxWidth ?? (lines.map { width($0, lineHeight: lineHeight, bold: bold) }.max() ?? 0)
        let blockHeight = lines.count * lineHeight
        return lines.enumerated().map { index, line in
            let along = index * lineHeight
            let (lineX, lineY): (Int, Int) = switch rotation {
            case 90: (x + blockHeight - along - lineHeight, y)
            case 180: (x, y + blockHeight - along - lineHeight)
            case 270: (x + along, y)
            default: (x, y + along)
            }
            return TextRun(x: lineX, y: lineY, text: line, length: blockWidth, lineHeight: lineHeight, bold: bold,
                           alignment: alignment, rotation: rotation, boxed: boxWidth != nil)
        }
    }

    /// The first `count` lines, the last ending with "..." (ASCII: every printer font has it).
    static func cut(_ lines: [String], to count: Int, width maximum: Int, lineHeight: Int, bold: Bool) -> [String] {
        var kept = Array(lines.prefix(count))
        guard var last = kept.popLast() else { return kept }
        while !last.isEmpty, width(last + "...", lineHeight: lineHeight, bold: bold) > maximum { last.removeLast() }
        if last.last == " " { last = String(last.dropLast(last.reversed().prefix { $0 == " " }.count)) }
        kept.append(last + "...")
        return kept
    }

    /// Word wrap; a word longer than the line is broken between characters.
    static func wrap(_ paragraph: String, width maximum: Int, lineHeight: Int, bold: Bool) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if width(candidate, lineHeight: lineHeight, bold: bold) <= maximum {
                current = candidate
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = ""
            for character in word {
                let longer = current + String(character)
                if !current.isEmpty, width(longer, lineHeight: lineHeight, bold: bold) > maximum {
                    lines.append(current)
                    current = String(character)
                } else {
                    current = longer
                }
            }
        }
        lines.append(current)
        return lines
    }
}

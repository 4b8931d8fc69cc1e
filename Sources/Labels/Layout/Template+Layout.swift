import Foundation
import GS1
import Problems

extension Template {
    /// Fills the template with `data` and places everything in dots at `dpi` (the template's own
    /// when `nil`). The parsed template is reused: this is the per-label work.
    ///
    /// - Throws: ``LabelError`` naming the element when a barcode cannot encode its data.
    public func layout(_ data: LabelData, dpi: Int? = nil, copies: Int? = nil) throws(LabelError) -> LabelLayout {
        let dpi = dpi ?? self.dpi
        var items: [LayoutItem] = []
        items.reserveCapacity(elements.count + 2)
        var lastGS1: GS1Built?
        var owners: [Int] = []
        owners.reserveCapacity(elements.count + 2)
        for (index, element) in elements.enumerated() {
            do {
                try layout(element, data: data, dpi: dpi, lastGS1: &lastGS1, into: &items)
            } catch {
                throw error.located(file: file, line: element.line, element: element.name)
            }
            while owners.count < items.count { owners.append(index) }
        }
        try Self.checkAIsTogether(items, file: file, placed: { item in owners.indices.contains(item) ? elements[owners[item]] : nil })
        var count = copies ?? 1
        if copies == nil, let field = self.copies {
            let rendered = try field.render(data, formats: formats)
            // Digits alone (the usual case) need no trimming.
            let text = rendered.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) ? rendered : rendered.trimmingCharacters(in: .whitespaces)
            // Data that does not say (a production run's numbers, straight from the registry):
            // one copy, as the help promises; a value it does give must be a count.
            if !text.isEmpty {
                guard let value = Int(text), value >= 1 else {
                    throw LabelError(.invalidValue, "copies must be a whole number of at least 1, not '\(text)'", file: file,
                                     line: copiesLine, element: "copies")
                }
                count = value
            }
        }
        guard count <= TemplateLimits.copies else {
            throw LabelError(.invalidValue, "\(count) copies of one label: at most \(TemplateLimits.copies) in one job", file: file,
                             line: copies == nil ? copiesLine : nil, element: copies == nil && self.copies != nil ? "copies" : nil)
        }
        let label = LabelLayout(width: size.width.dots(dpi), height: size.height.dots(dpi), dpi: dpi, copies: count, items: items,
                                elements: elements, owners: owners, file: file)
        try label.checkOnLabel()
        return label
    }

    /// Checks the GS1 rules between AIs (e.g. (37) needs (02) and (00)) over all GS1 barcodes of
    /// the label together.
    /// A broken rule is placed at the element whose barcode carries the AI it names (`placed`:
    /// the template element that drew an item), so that the message has its line and element as
    /// every other template error does (found by a QA run).
    private static func checkAIsTogether(_ items: [LayoutItem], file: String?, placed: (Int) -> Element?) throws(LabelError) {
        var seen: Set<String> = []
        var all: [AIElement] = []
        var carrier: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            guard case .barcode(let barcode) = item, case .gs1(let elements) = barcode.content else { continue }
            for element in elements.elements where seen.insert(element.ai).inserted {
                all.append(element)
                carrier[element.ai] = index
            }
        }
        guard !all.isEmpty else { return }
        do {
            // Each barcode's values were checked when it was built; what is left are the rules
            // between the AIs of all of them.
            try ElementStringBuilder().checkAssociations(all)
        } catch {
            let element = error.ai.flatMap { carrier[$0] }.flatMap(placed)
            throw LabelError(.unencodable, "the GS1 AIs of the label together: \(error.message)", file: file,
                             line: element?.line, element: element?.name)
        }
    }

    /// GS1 data as filled in and as built, for the next barcode of the label with the same
    /// AIs (a GS1-128 and a DataMatrix side by side usually carry the same): built once.
    struct GS1Built {
        let elements: [AIElement]
        let built: ElementString
    }

    /// The GS1 or plain content of a barcode element filled with `data`.
    func content(of barcode: BarcodeElement, data: LabelData, lastGS1: inout GS1Built?) throws(LabelError) -> BarcodeContent {
        if barcode.symbology.isGS1 {
            try checkTwoDigitYears(barcode, data: data)
            let elements = try barcode.ais.map { (ai) throws(LabelError) in AIElement(ai: ai.ai, value: try ai.value.render(data, formats: formats)) }
            if let lastGS1, lastGS1.elements == elements { return .gs1(lastGS1.built) }
            // An AI whose value the data leaves empty is the data's fault, not the template's:
            // said as what the record lacks ("product PUMP-200 has no GTIN"), where the GS1 rule
            // alone ("AI (01): has no value") read as a fault of the template (found by a QA run).
            if let empty = elements.firstIndex(where: { $0.value.isEmpty }) {
                throw LabelError(.unencodable, Self.emptyAI(barcode.ais[empty].ai, source: barcode.ais[empty].value.source, data: data))
            }
            do {
                // Rules between AIs are checked over the whole label (a pallet label has (00) in
                // one barcode and (02)/(37) in another), after all barcodes are laid out.
                let built = try ElementStringBuilder(checksRequiredAIs: false).build(elements)
                lastGS1 = GS1Built(elements: elements, built: built)
                return .gs1(built)
            } catch {
                throw LabelError(.unencodable, "\(barcode.symbology.rawValue): \(error.message)")
            }
        }
        return try BarcodeContent.plain(try barcode.data?.render(data, formats: formats) ?? "", for: barcode.symbology)
    }

    /// What an empty AI lacks, in the words of the record it comes from.
    static func emptyAI(_ ai: String, source: String, data: LabelData) -> String {
        let article: String? = if case .string(let text)? = data[path: "product.article"] { text } else { nil }
        if source.contains("product.gtin"), let article {
            return "(\(ai)) takes the product's GTIN, and product \(article) has none: give it one (tracemark product update \(article) --gtin …)"
        }
        return "(\(ai)) takes \(source), which is empty for this label: the data has no value for it"
    }

    /// Refuses a date written into a GS1 AI with a two-digit year (`yyMMdd`, as (17) takes it)
    /// when a scanner would read that year in another century: GS1 reads `YY` as within 49 years
    /// before and 50 after the year it is scanned in, so in 2026 an expiry of 2080-06-30 printed
    /// as `800630` is read as 1980-06-30, and the label says the goods expired long ago.
    func checkTwoDigitYears(_ barcode: BarcodeElement, data: LabelData) throws(LabelError) {
        // This year in UTC, asked once per barcode and only when it has a two-digit year.
        var year: Int?
        for (ai, value) in barcode.ais {
            for (path, name) in value.formatted {
                guard case .date(let pattern)? = formats[name], pattern.contains("yy"), !pattern.contains("yyyy"),
                      case .string(let text)? = data[path: path], let date = DateParts(iso: text) else { continue }
                let thisYear = year ?? {
                    var calendar = Calendar(identifier: .gregorian)
                    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
                    return calendar.component(.year, from: Date())
                }()
                year = thisYear
                let read = GS1Century.year(twoDigit: date.year % 100, currentYear: thisYear)
                guard read != date.year else { continue }
                let first = GS1Century.year(twoDigit: (thisYear + 51) % 100, currentYear: thisYear)
                throw LabelError(.unencodable,
                    "(\(ai)): \(path) \(text) cannot be written with a two-digit year: a scanner reads \(String(format: "%02d", date.year % 100)) as \(read) (GS1 reads such a year as from \(first) to \(first + 99)); check the date")
            }
        }
    }

    /// A barcode at (`x`, `y`) with bars `height` dots high, and its text line if it has one.
    private static func item(_ barcode: BarcodeElement, _ content: BarcodeContent, name: String, x: Int, y: Int, height: Int,
                             dpi: Int) throws(LabelError) -> BarcodeItem {
        let (symbolSize, encoded) = try SymbolSizes.size(of: content, as: barcode.symbology)
        var item = BarcodeItem(
            x: x, y: y, symbology: barcode.symbology, content: content, symbolSize: symbolSize, encoded: encoded,
            module: max(1, barcode.module.dots(dpi)), height: height, humanReadable: nil, name: name)
        if barcode.humanReadable {
            let lineHeight = max(8, barcode.textSize.dots(dpi))
            item.humanReadable = TextRun(
                x: item.x, y: item.y + item.size.height + max(1, lineHeight / 8), text: content.humanReadable,
                length: item.size.width, lineHeight: lineHeight, bold: false, alignment: .center, rotation: 0, boxed: true)
        }
        return item
    }

    /// A GS1-128 too wide for the label as two symbols in the space of one: the AIs before
    /// `ai`, and below them the AIs from `ai` on, each with its text line. A 20-character lot
    /// with a GTIN and an expiry is about 107 mm at 0.25 mm a module; as two it is 45 and 72 mm.
    private func split(_ barcode: BarcodeElement, at ai: String, data: LabelData, name: String, x: Int, y: Int, height: Int,
                       dpi: Int) throws(LabelError) -> [BarcodeItem] {
        // Its dates were checked by ``content(of:data:lastGS1:)``, which lays the whole symbol out first.
        let filled = try barcode.ais.map { (ai) throws(LabelError) in AIElement(ai: ai.ai, value: try ai.value.render(data, formats: formats)) }
        guard let index = filled.firstIndex(where: { $0.ai == ai }) else { return [] }
        let text = barcode.humanReadable ? max(8, barcode.textSize.dots(dpi)) : 0
        let textBlock = text + (text > 0 ? max(1, text / 8) : 0)
        // The element's whole height (bars and text line) holds both, with half a text line
        // (at least 1 mm) between them.
        let gap = max(text / 2, Length(1, .mm).dots(dpi))
        let bars = (height + textBlock - gap) / 2 - textBlock, lowest = Length(5, .mm).dots(dpi)
        guard bars >= lowest else {
            let needed = Double(2 * lowest + textBlock + gap) / Length.dotsPerMillimetre(dpi)
            throw LabelError(.invalidValue, "the data is too wide for one symbol, and the barcode's height \(barcode.height) too low to split it over two (bars of at least 5 mm): give it a height of at least \(String(format: "%.1f", needed)) mm")
        }
        var parts: [BarcodeItem] = []
        for (number, group) in [Array(filled[..<index]), Array(filled[index...])].enumerated() {
            let built: ElementString
            do {
                built = try ElementStringBuilder(checksRequiredAIs: false).build(group)
            } catch {
                throw LabelError(.unencodable, "\(barcode.symbology.rawValue): \(error.message)")
            }
            parts.append(try Self.item(barcode, .gs1(built), name: name, x: x, y: y + number * (bars + textBlock + gap), height: bars, dpi: dpi))
        }
        return parts
    }

    private func layout(_ element: Element, data: LabelData, dpi: Int, lastGS1: inout GS1Built?,
                        into items: inout [LayoutItem]) throws(LabelError) {
        switch element.kind {
        case .text(let text):
            // Composed (NFC): `e` and a combining accent, from data not read from the registry,
            // went to a ZPL printer as two characters its font draws apart (a QA run); EPL's and
            // the PNG's text is the same text.
            let value = try text.text.render(data, formats: formats).composed
            items += try TextLayout.runs(
                value, x: text.at.x.dots(dpi), y: text.at.y.dots(dpi), lineHeight: text.fontSize.dots(dpi),
                bold: text.bold, alignment: text.alignment, rotation: text.rotation,
                boxWidth: text.box?.width.dots(dpi), boxHeight: text.box?.height.dots(dpi), fit: text.fit
            ).map(LayoutItem.text)
        case .barcode(let barcode):
            let content = try self.content(of: barcode, data: data, lastGS1: &lastGS1)
            let x = barcode.at.x.dots(dpi), y = barcode.at.y.dots(dpi), height = max(1, barcode.height.dots(dpi))
            let whole = try Self.item(barcode, content, name: element.name, x: x, y: y, height: height, dpi: dpi)
            // Too wide with its quiet zone: a symbol ending at the edge does not scan reliably.
            let quiet = LabelVerifier.Zone.quiet(around: whole)
            guard let split = barcode.split, quiet.x + quiet.width > size.width.dots(dpi) + 1 else {
                items.append(.barcode(whole))
                return
            }
            items += try self.split(barcode, at: split, data: data, name: element.name, x: x, y: y, height: height, dpi: dpi).map(LayoutItem.barcode)
        case .line(let line):
            let thickness = max(1, line.thickness.dots(dpi))
            let x0 = line.from.x.dots(dpi), y0 = line.from.y.dots(dpi)
            let x1 = line.to.x.dots(dpi), y1 = line.to.y.dots(dpi)
            if y0 == y1 {
                items.append(.box(x: min(x0, x1), y: y0, width: max(thickness, abs(x1 - x0)), height: thickness, thickness: thickness, radius: 0))
            } else {
                items.append(.box(x: x0, y: min(y0, y1), width: thickness, height: max(thickness, abs(y1 - y0)), thickness: thickness, radius: 0))
            }
        case .box(let box):
            let width = max(1, box.size.width.dots(dpi)), height = max(1, box.size.height.dots(dpi))
            let thickness = box.filled ? min(width, height) : max(1, box.thickness.dots(dpi))
            items.append(.box(x: box.at.x.dots(dpi), y: box.at.y.dots(dpi), width: width, height: height,
                              thickness: thickness, radius: box.radius.dots(dpi)))
        case .reverse(let area):
            items.append(.reverse(x: area.at.x.dots(dpi), y: area.at.y.dots(dpi),
                                  width: area.size.width.dots(dpi), height: area.size.height.dots(dpi)))
        case .image(let image):
            var bitmap = image.bitmap
            if let size = image.size {
                bitmap = bitmap.scaled(width: max(1, size.width.dots(dpi)), height: max(1, size.height.dots(dpi)))
            }
            items.append(.image(x: image.at.x.dots(dpi), y: image.at.y.dots(dpi), bitmap: bitmap))
        }
    }
}

extension LabelLayout {
    /// Every text and barcode as filled with this label's data, at this resolution, ends on the
    /// label (one dot of rounding allowed): a serial longer than the template's sample ran past
    /// the right edge and printed without its last digit, and a long Code 128 printed cut off and
    /// did not scan, both with exit status 0. The template's own check sees only its sample at
    /// its own resolution; this sees what is printed.
    func checkOnLabel() throws(LabelError) {
        func fits(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> Bool { x >= -1 && y >= -1 && x + w <= width + 1 && y + h <= height + 1 }
        /// A text run past the edge: the error naming it, else nil.
        func pastEdge(_ run: TextRun, _ what: String) -> String? {
            let (w, h) = run.rotation % 180 == 0 ? (run.length, run.lineHeight) : (run.lineHeight, run.length)
            guard !fits(run.x, run.y, w, h) else { return nil }
            return "\(what) \(run.text.debugDescription) is \(w) x \(h) dots at (\(run.x), \(run.y)) and runs past the edge of the \(width) x \(height) dot label at \(dpi) dpi: it would print cut off"
        }
        for (index, item) in items.enumerated() {
            var problem: String?
            switch item {
            case .text(let run):
                problem = pastEdge(run, "the text").map { $0 + "; shorten the data, or give the text a box that wraps or shrinks it" }
            case .barcode(let barcode):
                let (w, h) = barcode.size
                if !fits(barcode.x, barcode.y, w, h) {
                    // A barcode split over two symbols (`split`, when one was too wide) is said as
                    // such: its size alone read as the whole barcode's (found by a QA run).
                    let symbols = index < owners.count
                        ? items.indices.filter { other in
                            guard other < owners.count, owners[other] == owners[index], case .barcode = items[other] else { return false }
                            return true
                        }
                        : [index]
                    let what = symbols.count > 1
                        ? "symbol \((symbols.firstIndex(of: index) ?? 0) + 1) of the \(symbols.count) the barcode was split into (one was too wide for the label)"
                        : "the barcode"
                    problem = "\(what) is \(w) x \(h) dots with this data at (\(barcode.x), \(barcode.y)) and does not fit on the \(width) x \(height) dot label at \(dpi) dpi: it would print cut off and not scan; move it, make the module smaller, or shorten the data"
                } else if let run = barcode.humanReadable, let past = pastEdge(run, "the barcode's text line") {
                    problem = past
                } else {
                    problem = quietZoneProblem(barcode, index: index)
                }
            default:
                break
            }
            if let problem { throw located(LabelError(.invalidValue, problem), item: index) }
        }
    }

    /// The clear space a scanner needs beside a barcode (its quiet zone: 10 modules either side
    /// of a linear symbol, 1 around a DataMatrix, 4 around a QR code) on the label and free of
    /// ink, or what is wrong with it. A symbol at the label's edge, or with a frame's line at its
    /// last bar, decoded from the rendered image and was printed; a scanner does not read it
    /// reliably (found by a QA run).
    func quietZoneProblem(_ barcode: BarcodeItem, index: Int) -> String? {
        let zone = LabelVerifier.Zone.quiet(around: barcode)
        let clear = zone.x > barcode.x ? 0 : barcode.x - zone.x, along = zone.y > barcode.y ? 0 : barcode.y - zone.y
        let size = "\(clear > 0 ? "\(clear) dots either side" : "")\(clear > 0 && along > 0 ? ", " : "")\(along > 0 ? "\(along) dots above and below" : "")"
        if zone.x < -1 || zone.y < -1 || zone.x + zone.width > width + 1 || zone.y + zone.height > height + 1 {
            let sides = [zone.x < -1 ? "left" : nil, zone.x + zone.width > width + 1 ? "right" : nil,
                         zone.y < -1 ? "top" : nil, zone.y + zone.height > height + 1 ? "bottom" : nil].compactMap { $0 }
            return "the barcode's quiet zone (the clear space a scanner needs: \(size)) runs past the label's \(sides.joined(separator: " and ")) edge with this data at \(dpi) dpi: move the barcode in, make its module smaller, or shorten the data"
        }
        let by = items.indices.filter { other in
            other != index && LabelVerifier.Zone.inked(by: items[other]).contains { $0.intersects(zone) }
        }
        guard !by.isEmpty else { return nil }
        let names = Array(Set(by.compactMap { owner(of: $0) })).sorted()
        let what = names.isEmpty ? "something else on the label" : names.joined(separator: ", ")
        return "\(what) is drawn in the barcode's quiet zone (the clear space a scanner needs: \(size)) with this data: move it apart, make the module smaller, or shorten the data"
    }
}

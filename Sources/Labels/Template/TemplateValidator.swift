/// The checks of a loaded template that need its sample data: every field refers to data the
/// sample has, every transform is a known format, and every barcode encodes.
struct TemplateValidator {
    let template: Template
    /// Checking a label's own data (``Template/check(_:)``) rather than the template's sample.
    var checksData = false

    func validate() throws(LabelError) {
        if let raw = template.raw {
            for part in raw.parts {
                if case .field(let field, let line) = part { try check(field, element: "placeholder \(field.source)", line: line) }
            }
            return
        }
        if let copies = template.copies { try check(copies, element: "copies", line: nil) }
        for element in template.elements {
            for field in fields(of: element) {
                try check(field, element: element.name, line: element.line)
            }
        }
        try checkPlacement(width: template.size.width.dots(template.dpi), height: template.size.height.dots(template.dpi), dpi: template.dpi)
        // Filling the sample encodes every barcode (through libzint, which refuses what a
        // scanner could not read back) and finds data a symbology cannot take; a barcode or text
        // that the sample makes run past the label's edge is refused there too (as for every
        // label's own data, at the resolution it prints at).
        _ = try template.layout(template.sample)
    }

    /// Every element's own geometry on the label: a text that starts off it, a line, box, reverse
    /// area or image that runs past an edge prints clipped or not at all, so it is a typo to be
    /// told about (one dot of rounding is allowed), not a label to print.
    private func checkPlacement(width: Int, height: Int, dpi: Int) throws(LabelError) {
        func dots(_ length: Length) -> Int { length.dots(dpi) }
        for element in template.elements {
            var rectangle: (x: Int, y: Int, width: Int, height: Int)?
            var what = ""
            switch element.kind {
            case .text(let text):
                let (x, y) = (dots(text.at.x), dots(text.at.y))
                if x < 0 || y < 0 || x >= width || y >= height {
                    throw LabelError(.invalidValue,
                        "the text starts at (\(x), \(y)) dots, off the \(width) x \(height) dot label at \(dpi) dpi; move it onto the label",
                        file: template.file, line: element.line, element: element.name)
                }
                if let box = text.box, text.rotation == 0 {
                    rectangle = (x, y, dots(box.width), dots(box.height))
                    what = "the text's box"
                }
            case .line(let line):
                let points = [(dots(line.from.x), dots(line.from.y)), (dots(line.to.x), dots(line.to.y))]
                if let (x, y) = points.first(where: { $0.0 < -1 || $0.1 < -1 || $0.0 > width + 1 || $0.1 > height + 1 }) {
                    throw LabelError(.invalidValue,
                        "the line reaches (\(x), \(y)) dots, off the \(width) x \(height) dot label at \(dpi) dpi; end it on the label",
                        file: template.file, line: element.line, element: element.name)
                }
            case .box(let box):
                rectangle = (dots(box.at.x), dots(box.at.y), dots(box.size.width), dots(box.size.height))
                what = "the box"
            case .reverse(let reverse):
                rectangle = (dots(reverse.at.x), dots(reverse.at.y), dots(reverse.size.width), dots(reverse.size.height))
                what = "the reverse area"
            case .image(let image):
                rectangle = (dots(image.at.x), dots(image.at.y), image.size.map { dots($0.width) } ?? image.bitmap.width,
                             image.size.map { dots($0.height) } ?? image.bitmap.height)
                what = "the image"
            case .barcode:
                break  // measured once encoded, below
            }
            if let r = rectangle, r.x < -1 || r.y < -1 || r.x + r.width > width + 1 || r.y + r.height > height + 1 {
                throw LabelError(.invalidValue,
                    "\(what) is \(r.width) x \(r.height) dots at (\(r.x), \(r.y)) and does not fit on the \(width) x \(height) dot label at \(dpi) dpi; move it or make it smaller",
                    file: template.file, line: element.line, element: element.name)
            }
        }
    }

    func fields(of element: Element) -> [Field] {
        switch element.kind {
        case .text(let text): [text.text]
        case .barcode(let barcode): (barcode.data.map { [$0] } ?? []) + barcode.ais.map(\.value)
        default: []
        }
    }

    private func check(_ field: Field, element: String, line: Int?) throws(LabelError) {
        for name in field.transforms where template.formats[name] == nil && !Field.builtInTransforms.contains(name) {
            throw LabelError(
                .invalidValue, "unknown format '\(name)' in '\(field.source)' (define it under formats:)",
                file: template.file, line: line, element: element)
        }
        try checkPaths(field, element: element, line: line)
    }

    /// A value a date or number format applies to must be one: `abc` under `0` printed `abc`
    /// (found by a QA run). Checked with the data, not the sample.
    func checkFormatted(_ field: Field, element: String, line: Int?) throws(LabelError) {
        guard checksData else { return }
        for (path, name) in field.formatted {
            guard let format = template.formats[name], let value = template.sample[path: path], value != .null,
                  format.apply(to: value) == nil else { continue }
            let kind: String
            switch format {
            case .date(let pattern): kind = "a date (YYYY-MM-DD) for the date format '\(pattern)'"
            case .number(let pattern): kind = "a number for the number format '\(pattern)'"
            }
            throw LabelError(.invalidValue, "field '\(path)' is \(value.text.debugDescription), not \(kind)",
                             file: template.file, line: line, element: element)
        }
    }

    func checkPaths(_ field: Field, element: String, line: Int?) throws(LabelError) {
        for path in field.requiredPaths {
            guard let value = template.sample[path: path], value != .null else {
                throw LabelError(
                    .missingField, checksData
                        ? "field '\(path)' is not in the label data: the template prints it, so give it (from the registry: a lot or serial that has it; a production run: its --expiry or --production)"
                            + (path.hasPrefix("lot.") || path.hasPrefix("serial.") ? "; or is this template for another kind of number than the product has?" : "")
                        : "field '\(path)' is not in the label data (\(template.file == nil ? "sample" : "the template's sample")); add it to the sample or fix the name",
                    file: template.file, line: line, element: element)
            }
        }
    }
}

extension Template {
    /// Checks that `data` has every field the template prints (outside Mustache sections), so a
    /// label is refused rather than printed with a blank lot number.
    public func check(_ data: LabelData) throws(LabelError) {
        var copy = self
        copy.sample = data
        let validator = TemplateValidator(template: copy, checksData: true)
        if let raw {
            for part in raw.parts {
                if case .field(let field, let line) = part {
                    try validator.checkPaths(field, element: "placeholder \(field.source)", line: line)
                    try validator.checkFormatted(field, element: "placeholder \(field.source)", line: line)
                }
            }
            return
        }
        for element in elements {
            for field in validator.fields(of: element) {
                try validator.checkPaths(field, element: element.name, line: element.line)
                try validator.checkFormatted(field, element: element.name, line: element.line)
            }
        }
    }
}

extension Template {
    /// A field the template prints that some label data lacks, and what prints it.
    public struct MissingField: Sendable, Hashable {
        public var path: String
        /// The element (or raw placeholder) that prints it.
        public var element: String
        public var line: Int?
    }

    /// Every field the template prints (not only within a section) that `data` lacks: what a
    /// kind of label data can never give, listed whole rather than one refusal at a time.
    public func missingFields(in data: LabelData) -> [MissingField] {
        var placed: [(field: Field, element: String, line: Int?)] = []
        if let raw {
            for part in raw.parts {
                if case .field(let field, let line) = part { placed.append((field, "placeholder \(field.source)", line)) }
            }
        } else {
            let validator = TemplateValidator(template: self)
            for element in elements {
                placed += validator.fields(of: element).map { ($0, element.name, element.line) }
            }
        }
        var missing: [MissingField] = []
        for (field, element, line) in placed {
            for path in field.requiredPaths where (data[path: path] ?? .null) == .null && !missing.contains(where: { $0.path == path }) {
                missing.append(MissingField(path: path, element: element, line: line))
            }
        }
        return missing
    }
}

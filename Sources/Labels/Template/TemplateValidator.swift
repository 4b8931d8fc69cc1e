/// The checks of a loaded template that need its sample data: every field refers to data the
/// sample has, every transform is a known format, and every barcode encodes.
struct TemplateValidator {
    let template: Template
    /// Checking a label's own data (``Template/check(_:)``) rather than the template's sample.
    var checksData = false

    func validate() throws(LabelError) {
        if let raw = template.raw {
            for part in raw.parts {
                if case .field(let field) = part { try check(field, element: "placeholder \(field.source)", line: nil) }
            }
            return
        }
        if let copies = template.copies { try check(copies, element: "copies", line: nil) }
        for element in template.elements {
            for field in fields(of: element) {
                try check(field, element: element.name, line: element.line)
            }
        }
        // Filling the sample encodes every barcode (through libzint, which refuses what a
        // scanner could not read back) and finds data a symbology cannot take.
        let label = try template.layout(template.sample)
        // A barcode cut off by the label's edge does not scan: refuse it here, at the template's
        // resolution, rather than on the printer.
        for item in label.items {
            guard case .barcode(let barcode) = item else { continue }
            let (width, height) = barcode.size
            if barcode.x < 0 || barcode.y < 0 || barcode.x + width > label.width || barcode.y + height > label.height {
                let element = template.elements.first { $0.name == barcode.name }
                throw LabelError(
                    .invalidValue,
                    "the barcode is \(width) x \(height) dots at (\(barcode.x), \(barcode.y)) and does not fit on the \(label.width) x \(label.height) dot label at \(label.dpi) dpi; move it or make the module smaller",
                    file: template.file, line: element?.line, element: barcode.name)
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
                if case .field(let field) = part { try validator.checkPaths(field, element: "placeholder \(field.source)", line: nil) }
            }
            return
        }
        for element in elements {
            for field in validator.fields(of: element) {
                try validator.checkPaths(field, element: element.name, line: element.line)
            }
        }
    }
}

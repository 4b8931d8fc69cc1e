public import Foundation
public import Labels
public import Printing

/// Turns a template and its data into what a printer reads.
public enum LabelRendering {
    /// Renders `data` with `template` for a printer of `language`.
    ///
    /// The data is checked against the template's fields first. With `verify`, every barcode is
    /// read back (zbar, libdmtx) and a label whose barcode would not give the data put in is refused;
    /// a raw ZPL template's barcodes are read as the printer reads them first (subset C dropping
    /// letters, GS1 data that is not valid). Raw templates (.zpl, .epl with placeholders) render
    /// only in their own language; raw EPL is not checked.
    public static func render(_ template: Template, _ data: LabelData, language: PrinterLanguage, dpi: Int? = nil,
                              copies: Int? = nil, verify: Bool = true, preview: Bool = false) throws(LabelError) -> Data {
        try rendered(template, data, language: language, dpi: dpi, copies: copies, verify: verify, preview: preview, reading: false).bytes
    }

    /// ``render(_:_:for:copies:verify:)``, with what each barcode of the label carries as a
    /// scanner reads it (`nil` for a raw EPL template): what a production line's verify scanner
    /// must read off the unit, kept with it when it is printed.
    public static func renderReading(_ template: Template, _ data: LabelData, for printer: PrinterConfig, copies: Int? = nil,
                                     verify: Bool = true) throws(LabelError) -> (bytes: Data, readings: [LabelReading]?) {
        if let problem = mediaProblem(template, printer) { throw LabelError(.invalidValue, problem) }
        return try rendered(template, data, language: printer.language, dpi: printer.dpi, copies: copies, verify: verify, preview: false,
                            reading: true)
    }

    private static func rendered(_ template: Template, _ data: LabelData, language: PrinterLanguage, dpi: Int?, copies: Int?,
                                 verify: Bool, preview: Bool, reading: Bool) throws(LabelError) -> (bytes: Data, readings: [LabelReading]?) {
        try template.check(data)
        if let raw = template.rawLanguage {
            if let problem = languageProblem(template, language) { throw LabelError(.unsupported, problem) }
            let filled = try template.fillRaw(data)
            // Raw ZPL is checked field by field as the printer reads it, each value against the
            // barcode it went into; raw EPL is sent as is.
            if verify, raw == .zpl { try LabelVerifier().verify(rawZPL: filled.text, placed: filled.placed) }
            if raw == .epl { return (Data(try template.rawEPLBytes(filled.text)), nil) }
            return (Data(filled.text.utf8), reading ? try Template.readings(rawZPL: filled.text) : nil)
        }
        let label = try template.layout(data, dpi: dpi, copies: copies)
        if verify { try LabelVerifier().verify(label) }
        let readings = reading ? label.readings : nil
        switch language {
        case .zpl: return (Data(try ZPLWriter().write(label).utf8), readings)
        case .epl: return (Data(try EPLWriter().write(label)), readings)
        case .png: return (try PNGRenderer().png(label, preview: preview), readings)
        }
    }

    /// `render` for `printer`: its language and resolution, after checking that the template's
    /// label fits the printer's media when the printer says what it holds. A 100 x 150 mm pallet
    /// label queued for a printer of 100 x 50 mm labels printed its top third on one label and
    /// the rest over the next two, with exit status 0.
    public static func render(_ template: Template, _ data: LabelData, for printer: PrinterConfig, copies: Int? = nil,
                              verify: Bool = true) throws(LabelError) -> Data {
        if let problem = mediaProblem(template, printer) { throw LabelError(.invalidValue, problem) }
        return try render(template, data, language: printer.language, dpi: printer.dpi, copies: copies, verify: verify)
    }

    /// Why `template` cannot be written in `language`, or nil: a raw template prints only in
    /// its own.
    public static func languageProblem(_ template: Template, _ language: PrinterLanguage) -> String? {
        guard let raw = template.rawLanguage, raw.rawValue != language.rawValue else { return nil }
        let name = raw.rawValue.uppercased()
        return "\(template.name) is a raw \(name) template: it prints only on \(raw == .epl ? "an" : "a") \(name) printer, not \(language.rawValue.uppercased())"
    }

    /// Why `template`'s label does not fit `printer`'s media, or nil (also when the printer does
    /// not say its media, or the template is raw and says nothing of its size). Half a
    /// millimetre is allowed for rounding.
    public static func mediaProblem(_ template: Template, _ printer: PrinterConfig) -> String? {
        guard template.rawLanguage == nil else { return nil }
        let width = template.size.width.millimetres, length = template.size.height.millimetres
        let tooWide = printer.widthMillimetres.map { width > $0 + 0.5 } ?? false
        let tooLong = printer.lengthMillimetres.map { length > $0 + 0.5 } ?? false
        guard tooWide || tooLong else { return nil }
        func mm(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value) }
        let media = "\(printer.widthMillimetres.map(mm) ?? "?") x \(printer.lengthMillimetres.map(mm) ?? "?") mm"
        return "template \(template.name) is a \(mm(width)) x \(mm(length)) mm label, larger than printer \(printer.name)'s \(media) labels: it would print cut off, or over several labels; choose a template of the printer's size, or set the printer's media to what it holds (tracemark printers add \(printer.name) … --width --length)"
    }
}

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
        try template.check(data)
        if let raw = template.rawLanguage {
            guard raw.rawValue == language.rawValue else {
                throw LabelError(.unsupported,
                    "\(template.name) is a raw \(raw.rawValue) template: it prints only on a \(raw.rawValue) printer, not \(language.rawValue)")
            }
            let filled = try template.fillRaw(data)
            // Raw ZPL is checked field by field as the printer reads it, each value against the
            // barcode it went into; raw EPL is sent as is.
            if verify, raw == .zpl { try LabelVerifier().verify(rawZPL: filled.text, placed: filled.placed) }
            return raw == .epl ? Data(try template.rawEPLBytes(filled.text)) : Data(filled.text.utf8)
        }
        let label = try template.layout(data, dpi: dpi, copies: copies)
        if verify { try LabelVerifier().verify(label) }
        switch language {
        case .zpl: return Data(try ZPLWriter().write(label).utf8)
        case .epl: return Data(try EPLWriter().write(label))
        case .png: return try PNGRenderer().png(label, preview: preview)
        }
    }
}

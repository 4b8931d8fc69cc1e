import ArgumentParser
import Foundation
import Labels
import Printing
import Registry
import Stations

struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Fill a label template with data and write it as ZPL II, EPL2 or PNG.",
        discussion: """
            Example: tracemark render Templates/gs1-lot-100x50.yaml --data lot.json --format png --out lot.png. \
            Without --data the template's sample data is used. --product ARTICLE with --lot or --serial NUMBER \
            takes product and lot/serial from the registry (--db), over --data (partner, quantity, copies …). \
            Every barcode is read back before anything is written (--no-verify skips it); a label whose \
            barcode would not scan back to its data is refused with exit status 1. TEMPLATE is a file (.yaml, or a raw .zpl/.epl \
            with Mustache placeholders) or the name of a template in ./Templates (or $TRACEMARK_TEMPLATES). \
            Output goes to --out, or to standard output.
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The template file or name.") var template: String
    @OptionGroup var labelData: LabelDataOptions
    @Option(help: "zpl, epl or png.") var format: PrinterLanguage = .zpl
    @Option(help: "Printer resolution in dots per inch: 152, 203, 300 or 600 (default: the template's).") var dpi: Int?
    @Option(parsing: .unconditional, help: "Copies of the label (default: the template's copies field, or 1).") var copies: Int?
    @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var out: String?
    @Flag(help: "PNG as 8-bit grey for previews instead of 1-bit for printing.") var preview = false
    @Flag(inversion: .prefixedNo, help: "Check before print: read every barcode back (zbar, libdmtx) and refuse the label unless it gives the data put in.")
    var verify = true

    func validate() throws {
        if let dpi, ![152, 203, 300, 600].contains(dpi) {
            throw ValidationError("--dpi must be 152, 203, 300 or 600")
        }
        if let copies, copies < 1 { throw ValidationError("--copies must be at least 1") }
        // A PNG is one label: the copies were dropped without a word (found by a QA run).
        if let copies, copies > 1, format == .png {
            throw ValidationError("--copies \(copies): a PNG is one label; ZPL and EPL carry copies for the printer, and print (through CUPS) prints a PNG's copies")
        }
        // Taken in silence, it wrote ZPL while the user waited for a grey PNG (found by a QA run).
        if preview, format != .png { throw ValidationError("--preview makes a grey PNG: give --format png with it, not \(format.rawValue)") }
    }

    func run() async throws {
        // A template's error under --json takes every command's failure shape, with where in
        // the template beside it (Tracemark.fail).
        let url = TemplateLocation.resolve(template, raw: format == .png ? nil : format.rawValue)
        let template = try TemplateLoader().load(contentsOf: url)
        let labelData = try await self.labelData.load(for: template, options: options)
        let bytes = try render(template, labelData)
        if let out {
            do { try bytes.write(to: URL(fileURLWithPath: out)) } catch {
                throw LabelError(.io, "cannot write \(out): \(error.localizedDescription)")
            }
        } else {
            Terminal.writeOut(bytes)
        }
        if options.json {
            // Numbers as JSON numbers (they were strings; found by a QA run).
            let summary: [String: Any] = [
                "template": template.name, "format": format.rawValue, "bytes": bytes.count,
                "dpi": dpi ?? template.dpi, "out": out ?? "-",
            ]
            let encoded = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            FileHandle.standardError.write(encoded + Data("\n".utf8))
        }
    }

    private func render(_ template: Template, _ data: LabelData) throws(LabelError) -> Data {
        try LabelRendering.render(template, data, language: format, dpi: dpi, copies: copies, verify: verify,
                                  preview: preview)
    }
}

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "List the label templates in a folder and validate each (fields, barcodes, images).",
        discussion: "Exit status 1 when any template does not load; the message names file, line and element.")

    @Argument(help: "The folder (default ./Templates or $TRACEMARK_TEMPLATES).") var folder: String?

    func run() async throws {
        let root = folder.map { URL(fileURLWithPath: $0) } ?? TemplateLocation.folder
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder) else {
            throw ValidationError("folder \(root.path) does not exist: give the folder that holds the templates")
        }
        guard isFolder.boolValue else {
            throw ValidationError("\(root.path) is a file, not a folder: `tracemark render \(root.lastPathComponent)` checks one template")
        }
        // Subfolders too (raw/ holds the raw ZPL and EPL templates), as a template is named by its
        // path in the folder (`tracemark render raw/lot-label.zpl`).
        let names = ((try? FileManager.default.subpathsOfDirectory(atPath: root.path)) ?? []).filter {
            ["yaml", "yml", "zpl", "epl"].contains(($0 as NSString).pathExtension.lowercased())
        }
        guard !names.isEmpty else {
            FileHandle.standardError.write(Data("no templates (.yaml, .yml, .zpl, .epl) in \(root.path)\n".utf8))
            throw ExitCode(1)
        }
        var failed = false
        for name in names.sorted() {
            do {
                let template = try TemplateLoader().load(contentsOf: root.appendingPathComponent(name))
                // A raw template's sample is filled as a print fills it: a value it cannot take
                // (outside a field, a barcode it would not read as) fails here, not at the printer.
                if let raw = template.rawLanguage, let language = PrinterLanguage(rawValue: raw.rawValue), template.sample != .object([:]) {
                    _ = try LabelRendering.render(template, template.sample, language: language)
                }
                print("\(name)  ok  \(template.name)")
            } catch {
                failed = true
                print("\(name)  error  \(error)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// Where a label's data comes from: `--data` JSON, the registry (`--product` with `--lot` or
/// `--serial`), or the template's sample.
struct LabelDataOptions: ParsableArguments {
    @Option(help: "Label data as JSON (default: the template's sample, unless --product is given).") var data: String?
    @Option(help: "Take product data from the registry (--db) for this article number.") var product: String?
    @Option(parsing: .unconditional, help: "With --product: take the lot's data from the registry.") var lot: String?
    @Option(parsing: .unconditional, help: "With --product: take the serial's data from the registry.") var serial: String?

    func validate() throws {
        if (lot != nil || serial != nil) && product == nil { throw ValidationError("--lot and --serial need --product") }
        if lot != nil && serial != nil { throw ValidationError("give --lot or --serial, not both") }
    }

    /// The data for `template`: the sample without other sources; registry records over `--data`.
    func load(for template: Template, options: GlobalOptions) async throws -> LabelData {
        var json: Data?
        if let data {
            do { json = try InputFile.read(data) } catch {
                throw LabelError(.io, "cannot read --data \(data): \(error)")
            }
        }
        let source = LabelSource(json: json, product: product, number: lot ?? serial, numberIsLot: lot != nil)
        guard source.needsRegistry else { return try await source.data(for: template, registry: nil) }
        return try await options.withRegistry { registry in try await source.data(for: template, registry: registry) }
    }
}

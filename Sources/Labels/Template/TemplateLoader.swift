public import Foundation
import GS1
import Yams

/// Loads templates: YAML label designs (`.yaml`/`.yml`) and raw printer-language labels
/// (`.zpl`/`.epl` with Mustache placeholders, their sample data in `NAME.json` beside them).
///
/// Loading validates the whole template, and fills it with its sample data once to check that
/// every field exists and every barcode can be encoded. Errors name the file, the line and the
/// element.
public struct TemplateLoader: Sendable {
    public init() {}

    /// Loads a template file; images are read relative to the file's folder.
    public func load(contentsOf url: URL) throws(LabelError) -> Template {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw LabelError(.io, "no such template (a name without a folder is looked for in the templates folder: ./Templates, the one TRACEMARK_TEMPLATES names, or the service's templates:)",
                                 file: url.path)
            }
            throw LabelError(.io, "cannot read template: \(error.localizedDescription)", file: url.path)
        }
        let folder = url.deletingLastPathComponent()
        switch url.pathExtension.lowercased() {
        case "zpl", "epl":
            let language: RawTemplate.Language = url.pathExtension.lowercased() == "zpl" ? .zpl : .epl
            let sampleURL = url.deletingPathExtension().appendingPathExtension("json")
            var sample = LabelData.object([:])
            if let json = try? Data(contentsOf: sampleURL) {
                do {
                    sample = try LabelData(json: json)
                } catch {
                    throw error.located(file: sampleURL.path, line: nil, element: nil)
                }
            }
            return try loadRaw(text, language: language, file: url.path, sample: sample)
        default:
            return try load(yaml: text, file: url.path, folder: folder)
        }
    }

    /// Loads a YAML template from text; `folder` is where relative image paths start.
    public func load(yaml: String, file: String? = nil, folder: URL? = nil) throws(LabelError) -> Template {
        var parser = YAMLTemplateParser(file: file, folder: folder)
        let template = try parser.parse(yaml)
        try TemplateValidator(template: template).validate()
        return template
    }

    /// A raw ZPL template that changes ZPL's command characters (`^CC`/`~CC` the caret, `^CT`/`~CT`
    /// the tilde, `^CD`/`~CD` the delimiter) is refused: values are escaped against `^` and `~`,
    /// and after `~CT+` a value's `+JA` would be a command (found by a QA run). No label needs it.
    static func refuseCommandCharacterChanges(_ text: String, file: String?) throws(LabelError) {
        let bytes = Array(text.utf8)
        var line = 1
        for index in bytes.indices {
            if bytes[index] == 0x0A { line += 1 }
            guard bytes[index] == 0x5E || bytes[index] == 0x7E, index + 2 < bytes.count, bytes[index + 1] & 0xDF == 0x43 else { continue }
            let which = bytes[index + 2] & 0xDF
            guard which == 0x43 || which == 0x54 || which == 0x44 else { continue }
            let command = String(decoding: bytes[index...(index + 2)], as: UTF8.self)
            let what = which == 0x43 ? "the command character ^" : which == 0x54 ? "the control character ~" : "the delimiter ,"
            throw LabelError(.syntax,
                "\(command) changes \(what): values placed on the label are escaped against ZPL's own characters, so a raw template may not change them; remove \(command)",
                file: file, line: line)
        }
    }

    /// A raw ZPL or EPL template: the text is kept as is and placeholders are filled with escaped values.
    public func loadRaw(
        _ text: String, language: RawTemplate.Language, file: String? = nil, sample: LabelData = .object([:])
    ) throws(LabelError) -> Template {
        if language == .zpl { try Self.refuseCommandCharacterChanges(text, file: file) }
        var formats: [String: FieldFormat] = [:]
        var parts: [RawTemplate.RawPart] = []
        var rest = Substring(text)
        var line = 1
        var quotes = EPLQuotes()
        while let open = rest.range(of: "{{") {
            let before = rest[..<open.lowerBound]
            line += before.utf8.count { $0 == 0x0A }
            parts.append(.text(String(before)))
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw LabelError(.syntax, "'{{' without '}}'", file: file, line: line)
            }
            let source = String(rest[open.lowerBound..<close.upperBound])
            // In an EPL string a `\` escapes the next byte: right before a placeholder it would
            // escape the value's first (a value's `"`, written `\"`, would end the string).
            quotes.read(before)
            if language == .epl, quotes.inside, quotes.escaping {
                throw LabelError(.syntax, "a \\ right before \(source) would escape the value's first character: write \\\\ for a backslash",
                                 file: file, line: line)
            }
            do {
                parts.append(.field(try Field(source, formats: &formats), line: line))
            } catch {
                throw error.located(file: file, line: line, element: "placeholder \(source)")
            }
            rest = rest[close.upperBound...]
        }
        parts.append(.text(String(rest)))
        let name = file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "raw"
        let template = Template(
            name: name, file: file, size: Size(width: Length(0, .dots), height: Length(0, .dots)), dpi: 203,
            copies: nil, elements: [], formats: formats, sample: sample,
            raw: RawTemplate(language: language, parts: parts))
        try TemplateValidator(template: template).validate()
        return template
    }
}

/// Walks the YAML nodes of a template, keeping line numbers for every message.
struct YAMLTemplateParser {
    let file: String?
    let folder: URL?
    var formats: [String: FieldFormat] = [:]
    var unit: Length.Unit = .mm

    init(file: String?, folder: URL?) {
        self.file = file
        self.folder = folder
    }

    private func error(_ code: LabelError.Code, _ message: String, _ node: Node?, _ element: String? = nil) -> LabelError {
        LabelError(code, message, file: file, line: node?.mark?.line, element: element)
    }

    mutating func parse(_ yaml: String) throws(LabelError) -> Template {
        try TemplateLimits.checkText(yaml, file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw error(.syntax, "the template is empty", nil)
            }
            root = node
        } catch let labelError as LabelError {
            throw labelError
        } catch let yamlError as YamlError {
            let (message, line) = YAMLErrors.locate(yamlError, in: yaml)
            throw LabelError(.syntax, "not valid YAML: \(message)", file: file, line: line)
        } catch {
            throw LabelError(.syntax, "not valid YAML: \(error)", file: file)
        }
        let top = try mapping(root, "the template", allowed: ["name", "size", "units", "dpi", "copies", "formats", "elements", "sample"])

        if let unitNode = top["units"] {
            let text = try string(unitNode, "units")
            guard let parsed = Length.Unit(rawValue: text == "inch" ? "in" : text) else {
                throw error(.invalidValue, "units must be mm, in or dots, not '\(text)'", unitNode)
            }
            unit = parsed
        }
        guard let sizeNode = top["size"] else { throw error(.syntax, "the template has no size: [WIDTH, HEIGHT]", root) }
        let size = try self.size(sizeNode, "size")
        guard size.width.value > 0, size.height.value > 0 else {
            throw error(.invalidValue, "the label size must be positive", sizeNode)
        }
        guard size.width.millimetres <= TemplateLimits.labelWidth, size.height.millimetres <= TemplateLimits.labelLength else {
            throw error(.invalidValue,
                "the label size \(size.width) × \(size.height) is larger than a label printer prints: at most \(Int(TemplateLimits.labelWidth)) mm wide and \(Int(TemplateLimits.labelLength)) mm long",
                sizeNode)
        }
        var dpi = 203
        if let dpiNode = top["dpi"] {
            guard let value = Int(try string(dpiNode, "dpi")), [152, 203, 300, 600].contains(value) else {
                throw error(.invalidValue, "dpi must be 152, 203, 300 or 600", dpiNode)
            }
            dpi = value
        }
        if let formatsNode = top["formats"] {
            for (key, value) in try mapping(formatsNode, "formats", allowed: nil) {
                let name = try string(key, "a format name")
                let spec = try mapping(value, "format \(name)", allowed: ["date", "number"])
                let format: FieldFormat
                if let pattern = spec["date"] {
                    format = .date(try string(pattern, "date"))
                } else if let pattern = spec["number"] {
                    format = .number(try string(pattern, "number"))
                } else {
                    throw error(.syntax, "format \(name) needs date: or number:", value)
                }
                do { try format.validate() } catch { throw error.located(file: file, line: value.mark?.line, element: "format \(name)") }
                formats[name] = format
            }
        }
        var copies: Field?
        if let copiesNode = top["copies"] {
            copies = try field(copiesNode, "copies")
        }
        var elements: [Element] = []
        if let elementsNode = top["elements"] {
            guard case .sequence(let sequence) = elementsNode else {
                throw error(.syntax, "elements must be a list", elementsNode)
            }
            for (index, node) in sequence.enumerated() {
                let made = try element(node, index: index)
                // A module that rounds to no dot at the template's resolution is a typo (0.01 for
                // 0.1): drawn at one dot in silence, the barcode was another size than written
                // (found by a QA run).
                if case .barcode(let barcode) = made.kind, barcode.module.dots(dpi) < 1 {
                    let moduleNode: Node? = if case .mapping(let pairs) = node { pairs.first { $0.key.scalar?.string == "module" }?.value } else { nil }
                    throw error(.invalidValue,
                        "module \(barcode.module) is less than one dot at \(dpi) dpi (a dot is \(String(format: "%.3f", 25.4 / Double(dpi))) mm): a barcode's bars are at least a dot wide",
                        moduleNode ?? node)
                }
                elements.append(made)
            }
        }
        var sample = LabelData.object([:])
        if let sampleNode = top["sample"] { sample = Self.data(sampleNode) }
        let name = try top["name"].map { node throws(LabelError) in try string(node, "name") }
            ?? file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "label"
        return Template(
            name: name, file: file, size: size, dpi: dpi, copies: copies, elements: elements,
            formats: formats, sample: sample, raw: nil, copiesLine: top["copies"]?.mark?.line)
    }

    // MARK: Elements

    private static let common: Set<String> = ["type", "id", "at"]
    private static let properties: [String: Set<String>] = [
        "text": common.union(["text", "size", "bold", "align", "rotate", "box", "fit"]),
        "barcode": common.union(["symbology", "data", "ais", "module", "height", "hri", "text-size", "split"]),
        "line": ["type", "id", "from", "to", "thickness"],
        "box": common.union(["size", "thickness", "radius", "filled"]),
        "reverse": common.union(["size"]),
        "image": common.union(["file", "size"]),
    ]

    private mutating func element(_ node: Node, index: Int) throws(LabelError) -> Element {
        guard case .mapping(let map) = node else {
            throw error(.syntax, "an element must be a mapping with a type", node, "elements[\(index)]")
        }
        guard let typeNode = map["type"], let type = typeNode.scalar?.string else {
            throw error(.syntax, "the element has no type (text, barcode, line, box, reverse or image)", node, "elements[\(index)]")
        }
        let id = map["id"]?.scalar?.string
        let name = id.map { "\(type) '\($0)'" } ?? "\(type) elements[\(index)]"
        guard let allowed = Self.properties[type] else {
            throw error(.unknownElement, "unknown element type '\(type)' (use text, barcode, line, box, reverse or image)", typeNode, name)
        }
        for (key, _) in map {
            let keyName = key.scalar?.string ?? "?"
            guard allowed.contains(keyName) else {
                throw error(.unknownProperty, "unknown property '\(keyName)' of \(type) (allowed: \(allowed.sorted().joined(separator: ", ")))", key, name)
            }
        }
        do {
            let kind = try self.kind(type, map, node)
            return Element(name: name, line: node.mark?.line ?? 0, kind: kind)
        } catch {
            throw error.located(file: file, line: node.mark?.line, element: name)
        }
    }

    private mutating func kind(_ type: String, _ map: Node.Mapping, _ node: Node) throws(LabelError) -> Element.Kind {
        func require(_ key: String) throws(LabelError) -> Node {
            guard let value = map[key] else { throw error(.syntax, "\(type) needs '\(key)'", node) }
            return value
        }
        switch type {
        case "text":
            let rotation = try map["rotate"].map { node throws(LabelError) in try int(node, "rotate") } ?? 0
            guard [0, 90, 180, 270].contains(rotation) else {
                throw error(.invalidValue, "rotate must be 0, 90, 180 or 270", map["rotate"])
            }
            let alignText = try map["align"].map { node throws(LabelError) in try string(node, "align") } ?? "left"
            guard let alignment = TextAlignment(rawValue: alignText) else {
                throw error(.invalidValue, "align must be left, center or right", map["align"])
            }
            let fitText = try map["fit"].map { node throws(LabelError) in try string(node, "fit") } ?? "wrap"
            guard let fit = TextFit(rawValue: fitText) else {
                throw error(.invalidValue, "fit must be wrap, shrink or truncate", map["fit"])
            }
            let fontSize = try positive(require("size"), "size")
            guard fontSize.millimetres <= TemplateLimits.textSize else {
                throw error(.invalidValue, "text size \(fontSize) is too large: at most \(Int(TemplateLimits.textSize)) mm", map["size"])
            }
            return .text(TextElement(
                at: try position(require("at"), "at"), text: try field(require("text"), "text"), fontSize: fontSize,
                bold: try map["bold"].map { node throws(LabelError) in try bool(node, "bold") } ?? false,
                alignment: alignment, rotation: rotation,
                box: try map["box"].map { node throws(LabelError) in try size(node, "box") }, fit: fit))
        case "barcode":
            let symbologyNode = try require("symbology")
            let symbologyName = try string(symbologyNode, "symbology")
            guard let symbology = Symbology(rawValue: symbologyName) else {
                throw error(.invalidValue, "unknown symbology '\(symbologyName)' (use \(Symbology.allCases.map(\.rawValue).joined(separator: ", ")))", symbologyNode)
            }
            var data: Field?
            var ais: [(ai: String, value: Field)] = []
            if symbology.isGS1 {
                guard map["data"] == nil else { throw error(.unknownProperty, "a GS1 barcode takes 'ais', not 'data'", map["data"]) }
                let aisNode = try require("ais")
                for (key, value) in try mapping(aisNode, "ais", allowed: nil) {
                    let ai = try string(key, "an AI")
                    guard (2...4).contains(ai.count), ai.allSatisfy(\.isASCII), ai.allSatisfy(\.isNumber) else {
                        throw error(.invalidValue, "'\(ai)' is not an AI (2 to 4 digits; quote it: \"01\")", key)
                    }
                    ais.append((ai, try field(value, "AI (\(ai))")))
                }
                guard !ais.isEmpty else { throw error(.syntax, "ais is empty", aisNode) }
            } else {
                guard map["ais"] == nil else { throw error(.unknownProperty, "only GS1 barcodes take 'ais'; use 'data'", map["ais"]) }
                data = try field(require("data"), "data")
            }
            var split: String?
            if let splitNode = map["split"] {
                let ai = try string(splitNode, "split")
                guard symbology == .gs1_128 else {
                    throw error(.unknownProperty, "only a gs1-128 barcode can split its data over two symbols", splitNode)
                }
                guard let index = ais.firstIndex(where: { $0.ai == ai }) else {
                    throw error(.invalidValue, "split names AI (\(ai)), which is not among the barcode's ais (\(ais.map { "(\($0.ai))" }.joined()))", splitNode)
                }
                guard index > 0 else {
                    throw error(.invalidValue, "split names the first AI (\(ai)): the second symbol starts at a later one, e.g. \"10\"", splitNode)
                }
                split = ai
            }
            let defaultModule = symbology.isMatrix ? Length(0.5, .mm) : Length(0.33, .mm)
            return .barcode(BarcodeElement(
                at: try position(require("at"), "at"), symbology: symbology, data: data, ais: ais,
                module: try map["module"].map { node throws(LabelError) in try positive(node, "module") } ?? defaultModule,
                height: try map["height"].map { node throws(LabelError) in try positive(node, "height") } ?? Length(15, .mm),
                humanReadable: try map["hri"].map { node throws(LabelError) in try bool(node, "hri") } ?? !symbology.isMatrix,
                textSize: try map["text-size"].map { node throws(LabelError) in try positive(node, "text-size") } ?? Length(2.5, .mm),
                split: split))
        case "line":
            let from = try position(require("from"), "from")
            let to = try position(require("to"), "to")
            guard from.x == to.x || from.y == to.y else {
                throw error(.invalidValue, "a line must be horizontal or vertical (same x or same y); use a box for frames", node)
            }
            return .line(LineElement(
                from: from, to: to,
                thickness: try map["thickness"].map { node throws(LabelError) in try positive(node, "thickness") } ?? Length(0.25, .mm)))
        case "box":
            return .box(BoxElement(
                at: try position(require("at"), "at"), size: try size(require("size"), "size"),
                thickness: try map["thickness"].map { node throws(LabelError) in try positive(node, "thickness") } ?? Length(0.25, .mm),
                radius: try map["radius"].map { node throws(LabelError) in try length(node, "radius") } ?? Length(0, .dots),
                filled: try map["filled"].map { node throws(LabelError) in try bool(node, "filled") } ?? false))
        case "reverse":
            return .reverse(ReverseElement(at: try position(require("at"), "at"), size: try size(require("size"), "size")))
        default:  // image
            let fileNode = try require("file")
            let path = try string(fileNode, "file")
            // Inside the template's folder: a template (or a request naming one) reads no other file.
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains(".."), !path.contains("\\") else {
                throw error(.invalidValue, "image \(path): give a path inside the template's folder (no absolute path, no ..)", fileNode)
            }
            let base = (folder ?? URL(fileURLWithPath: ".")).standardizedFileURL.resolvingSymlinksInPath()
            let url = base.appendingPathComponent(path).resolvingSymlinksInPath()
            guard url.path.hasPrefix(base.path.hasSuffix("/") ? base.path : base.path + "/") else {
                throw error(.invalidValue, "image \(path) leads outside the template's folder (a symbolic link)", fileNode)
            }
            let bitmap: Bitmap
            do {
                bitmap = try PNGFile.readMonochrome(url)
            } catch {
                throw LabelError(.missingImage, "image \(path): \(error.message)", file: file, line: fileNode.mark?.line)
            }
            return .image(ImageElement(
                at: try position(require("at"), "at"), bitmap: bitmap,
                size: try map["size"].map { node throws(LabelError) in try size(node, "size") }, file: path))
        }
    }

    // MARK: Values

    private func mapping(_ node: Node, _ what: String, allowed: Set<String>?) throws(LabelError) -> Node.Mapping {
        guard case .mapping(let map) = node else { throw error(.syntax, "\(what) must be a mapping", node) }
        if let allowed {
            for (key, _) in map {
                let name = key.scalar?.string ?? "?"
                guard allowed.contains(name) else {
                    throw error(.unknownProperty, "unknown property '\(name)' in \(what) (allowed: \(allowed.sorted().joined(separator: ", ")))", key)
                }
            }
        }
        return map
    }

    private func string(_ node: Node, _ what: String) throws(LabelError) -> String {
        guard let text = node.scalar?.string else { throw error(.syntax, "\(what) must be a single value", node) }
        return text
    }

    private func int(_ node: Node, _ what: String) throws(LabelError) -> Int {
        guard let value = Int(try string(node, what)) else { throw error(.invalidValue, "\(what) must be a whole number", node) }
        return value
    }

    private func bool(_ node: Node, _ what: String) throws(LabelError) -> Bool {
        switch try string(node, what).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(.invalidValue, "\(what) must be true or false", node)
        }
    }

    private mutating func field(_ node: Node, _ what: String) throws(LabelError) -> Field {
        let text = try string(node, what)
        do {
            return try Field(text, formats: &formats)
        } catch {
            throw error.located(file: file, line: node.mark?.line, element: nil)
        }
    }

    private func length(_ node: Node, _ what: String) throws(LabelError) -> Length {
        let text = try string(node, what)
        guard let length = Length(parsing: text, defaultUnit: unit) else {
            throw error(.invalidValue, "\(what) '\(text)' is not a length (12.5mm, 0.5in, 40dots, or a number in \(unit.rawValue))", node)
        }
        guard length.value >= 0 else {
            throw error(.invalidValue, "\(what) '\(text)' is below zero: lengths and positions are measured from the label's top left corner, and are 0 or more", node)
        }
        guard length.millimetres <= TemplateLimits.length else {
            throw error(.invalidValue, "\(what) '\(text)' is too large: no length on a label is more than \(Int(TemplateLimits.length)) mm", node)
        }
        return length
    }

    private func positive(_ node: Node, _ what: String) throws(LabelError) -> Length {
        let value = try length(node, what)
        guard value.value > 0 else { throw error(.invalidValue, "\(what) must be more than zero", node) }
        return value
    }

    private func pair(_ node: Node, _ what: String) throws(LabelError) -> (Length, Length) {
        guard case .sequence(let items) = node, items.count == 2 else {
            throw error(.syntax, "\(what) must be a pair [a, b]", node)
        }
        return (try length(items[0], what), try length(items[1], what))
    }

    private func position(_ node: Node, _ what: String) throws(LabelError) -> Position {
        let (x, y) = try pair(node, what)
        return Position(x: x, y: y)
    }

    private func size(_ node: Node, _ what: String) throws(LabelError) -> Size {
        let (width, height) = try pair(node, what)
        return Size(width: width, height: height)
    }

    /// Sample data: numbers stay numbers, except digit strings with a leading zero (a GTIN).
    static func data(_ node: Node) -> LabelData {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            if scalar.style != .plain { return .string(text) }
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(node.bool ?? false)
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                let leadingZero = text.count > 1 && text.hasPrefix("0") && !text.hasPrefix("0.")
                if !leadingZero, let number = Decimal(string: text) { return .number(number) }
                return .string(text)
            default: return .string(text)
            }
        case .mapping(let map):
            var members: [String: LabelData] = [:]
            for (key, value) in map { members[key.scalar?.string ?? ""] = data(value) }
            return .object(members)
        case .sequence(let items):
            return .list(items.map(data))
        case .alias:
            return .null
        }
    }

}

/// What a template may ask for: enough for any label printer, bounded so that a template from
/// anyone cannot exhaust the memory or the time of the service that loads it.
enum TemplateLimits {
    /// The largest template file.
    static let bytes = 1 << 20
    /// Brackets (`[`, `{`) inside one another, and indentation levels.
    static let nesting = 32
    /// Millimetres: any length; the label's width and length; a text's size.
    static let length = 1000.0
    static let labelWidth = 250.0
    static let labelLength = 600.0
    static let textSize = 100.0
    /// Copies of one label in one job.
    static let copies = 10_000
    /// An image's pixels, as its PNG header declares them.
    static let imageSide = 8192
    static let imagePixels = 16 << 20

    /// Refuses, before YAML is parsed, what makes a parser blow up: a huge file, anchors and
    /// aliases (a few lines of nested aliases expand to gigabytes), deep nesting.
    static func checkText(_ text: String, file: String?) throws(LabelError) {
        guard text.utf8.count <= bytes else {
            throw LabelError(.invalidValue, "the template is \(text.utf8.count) bytes: at most \(bytes)", file: file)
        }
        var depth = 0
        for (index, line) in lines(text).enumerated() {
            let indent = line.prefix { $0 == " " }.count
            guard indent <= nesting * 4 else {
                throw LabelError(.invalidValue, "indented \(indent) spaces: a template nests at most \(nesting) levels", file: file, line: index + 1)
            }
            // Flow brackets, outside quotes and comments.
            var quote: Unicode.Scalar?
            var previous: Unicode.Scalar = " "
            for scalar in line {
                defer { previous = scalar }
                if let open = quote {
                    if scalar == open { quote = nil }
                    continue
                }
                let atNodeStart = " \t[{,:".unicodeScalars.contains(previous)
                if scalar == "#", previous == " " || previous == "\t" { break }
                if scalar == "\"" || scalar == "'", atNodeStart { quote = scalar; continue }
                if scalar == "[" || scalar == "{" {
                    depth += 1
                    guard depth <= nesting else {
                        throw LabelError(.invalidValue, "brackets nested more than \(nesting) deep", file: file, line: index + 1)
                    }
                } else if scalar == "]" || scalar == "}" {
                    depth = max(0, depth - 1)
                }
            }
            if let anchor = Self.anchor(in: line) {
                throw LabelError(.invalidValue,
                    "YAML anchors and aliases ('\(anchor)') are not allowed in a template: a few of them can expand to gigabytes; a text that begins with & or * goes in quotes",
                    file: file, line: index + 1)
            }
        }
    }

    /// The lines of `text` as YAML (libyaml) counts them, as Unicode scalars: CR LF, CR, LF, NEL,
    /// LS and PS each end one. Scalars, not characters: a combining mark makes one character of a
    /// `&` and what follows it, which YAML still reads as an anchor.
    static func lines(_ text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = [[]]
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            switch scalar {
            case "\n" where previous == "\r": continue
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": lines.append([])
            default: lines[lines.count - 1].append(scalar)
            }
        }
        return lines
    }

    /// The first `&name` or `*name` of a line that YAML could read as an anchor or an alias:
    /// outside quotes and comments, after a space, a line's start, a tag or any flow or block
    /// indicator (`[`, `{`, `,`, `:`, `?`, `-`). Erring on the side of refusing: `A *b` in a plain
    /// text is refused too, and reads in quotes. (The fuzzer found `{"a":&x …}`, `? &x`,
    /// `!!str &x`, a `&` with a combining mark and a line ended by a lone CR past a narrower rule.)
    static func anchor(in line: [Unicode.Scalar]) -> String? {
        var quote: Unicode.Scalar?
        var previous: Unicode.Scalar = " "
        for (index, scalar) in line.enumerated() {
            defer { previous = scalar }
            if let open = quote {
                if scalar == open { quote = nil }
                continue
            }
            if scalar == "#", previous == " " || previous == "\t" { return nil }
            // A quote opens only where YAML starts a node with one; elsewhere it is text.
            if scalar == "\"" || scalar == "'", Self.startsNode(line, at: index) { quote = scalar; continue }
            guard scalar == "&" || scalar == "*", index == 0 || " \t[{,:?-\u{FEFF}".unicodeScalars.contains(previous) else { continue }
            let name = line[(index + 1)...].prefix { !" \t,[]{}".unicodeScalars.contains($0) }
            if !name.isEmpty {
                var text = String.UnicodeScalarView()
                text.append(scalar)
                text.append(contentsOf: name)
                return String(text)
            }
        }
        return nil
    }

    /// Whether `index` is where a node starts: after `key: `, `- `, `? `, `[`, `{`, `,` or at the line's start.
    private static func startsNode(_ line: [Unicode.Scalar], at index: Int) -> Bool {
        guard let last = line[..<index].last(where: { $0 != " " && $0 != "\t" }) else { return true }
        return ":-[{,?".unicodeScalars.contains(last)
    }
}

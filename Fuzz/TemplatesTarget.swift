#if canImport(Labels)
import Labels
#endif
import Foundation
import CYaml

/// Template files from anyone: the first byte chooses YAML through a `.yaml` file, YAML as text,
/// or a raw `.zpl` or `.epl` template (the rest split at the first NUL byte: the label text, then
/// its `.json` sample). Loading either gives a template or throws ``LabelError``; a template that
/// loads is laid out with its sample and written as ZPL and EPL (raw ones filled), which may also
/// only throw ``LabelError``. Nothing may crash, hang or take gigabytes (`-timeout`,
/// `-rss_limit_mb`). What loads keeps the loader's promises: no YAML anchor or alias in it, and
/// no image read from outside the template's folder, through `..`, an absolute path or a link.
private let base = FileManager.default.temporaryDirectory
    .appendingPathComponent("tracemark-templates-fuzz-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)

private let folders: (templates: URL, outside: URL) = {
    let templates = base.appendingPathComponent("templates", isDirectory: true)
    let outside = base.appendingPathComponent("o.png")
    do {
        try FileManager.default.createDirectory(at: templates.appendingPathComponent("images"), withIntermediateDirectories: true)
        // Images inside the folder, 16 x 16; one outside it, 13 x 7, with a link to it inside.
        let inside = try PNGFile.encode(Bitmap(width: 16, height: 16), dpi: 203)
        for name in ["m.png", "images/m.png", "images/exclamation-ghs07.png"] {
            try inside.write(to: templates.appendingPathComponent(name))
        }
        try PNGFile.encode(Bitmap(width: outsideSize.width, height: outsideSize.height), dpi: 203).write(to: outside)
        try? FileManager.default.removeItem(at: templates.appendingPathComponent("l.png"))
        try FileManager.default.createSymbolicLink(atPath: templates.appendingPathComponent("l.png").path, withDestinationPath: "../o.png")
    } catch {
        fatalError("cannot set up \(base.path): \(error)")
    }
    atexit { try? FileManager.default.removeItem(at: base) }
    return (templates, outside)
}()

private let outsideSize = (width: 13, height: 7)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    guard let mode = bytes.first else { return 0 }
    let rest = bytes.dropFirst()
    let loader = TemplateLoader()
    let template: Template
    // No empty files: Foundation (swift 6.3.1) leaks the 4 KB buffer of every empty file it
    // reads, which LeakSanitizer reports. An empty template is loaded as text (mode 1).
    do throws(LabelError) {
        switch mode % 4 {
        case 0:
            guard !rest.isEmpty else { return 0 }
            let url = folders.templates.appendingPathComponent("t.yaml")
            try? Data(rest).write(to: url)
            template = try loader.load(contentsOf: url)
        case 1:
            template = try loader.load(yaml: String(decoding: rest, as: UTF8.self), file: "t.yaml", folder: folders.templates)
        default:
            let url = folders.templates.appendingPathComponent(mode % 4 == 2 ? "t.zpl" : "t.epl")
            let sample = folders.templates.appendingPathComponent("t.json")
            let nul = rest.firstIndex(of: 0)
            let text = rest[..<(nul ?? rest.endIndex)]
            let json = rest[(nul.map { $0 + 1 } ?? rest.endIndex)...]
            guard !text.isEmpty else { return 0 }
            try? Data(text).write(to: url)
            if json.isEmpty {
                try? FileManager.default.removeItem(at: sample)
            } else {
                try? Data(json).write(to: sample)
            }
            template = try loader.load(contentsOf: url)
        }
    } catch {
        _ = error.description
        return 0
    }
    if mode % 4 < 2 { check(template, yaml: String(decoding: rest, as: UTF8.self)) }
    if template.rawLanguage != nil {
        _ = try? template.renderRaw(template.sample)
    } else if let label = try? template.layout(template.sample) {
        _ = try? ZPLWriter().write(label)
        _ = try? EPLWriter().write(label)
    }
    return 0
}

/// A YAML template that loaded has no anchors or aliases, and reads no image outside its folder.
private func check(_ template: Template, yaml: String) {
    if let (anchor, line) = anchorOrAlias(yaml) {
        fatalError("a template with the YAML anchor or alias '\(anchor)' (line \(line + 1)) loaded")
    }
    let base = folders.templates.resolvingSymlinksInPath().path + "/"
    for element in template.elements {
        guard case .image(let image) = element.kind else { continue }
        let resolved = folders.templates.appendingPathComponent(image.file).resolvingSymlinksInPath().path
        if image.file.hasPrefix("/") || image.file.split(separator: "/").contains("..") || !resolved.hasPrefix(base) {
            fatalError("image '\(image.file)' loaded from \(resolved), outside \(base)")
        }
        if image.bitmap.width == outsideSize.width, image.bitmap.height == outsideSize.height {
            fatalError("image '\(image.file)' is the picture outside the template's folder")
        }
    }
}

/// The first anchor or alias libyaml reads in `yaml`, and its 0-based line. Yams' nodes keep no
/// anchors, and an alias comes back as its node.
private func anchorOrAlias(_ yaml: String) -> (String, line: Int)? {
    var bytes = Array(yaml.utf8)
    guard !bytes.isEmpty else { return nil }
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { fatalError("libyaml: no parser") }
    defer { yaml_parser_delete(&parser) }
    return bytes.withUnsafeMutableBufferPointer { buffer -> (String, line: Int)? in
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var event = yaml_event_t()
        while yaml_parser_parse(&parser, &event) == 1 {
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return nil }
            let anchor: UnsafeMutablePointer<yaml_char_t>? = switch event.type {
            case YAML_ALIAS_EVENT: event.data.alias.anchor
            case YAML_SCALAR_EVENT: event.data.scalar.anchor
            case YAML_SEQUENCE_START_EVENT: event.data.sequence_start.anchor
            case YAML_MAPPING_START_EVENT: event.data.mapping_start.anchor
            default: nil
            }
            if let anchor {
                let name = (event.type == YAML_ALIAS_EVENT ? "*" : "&") + String(cString: anchor)
                return (name, Int(event.start_mark.line))
            }
        }
        return nil
    }
}

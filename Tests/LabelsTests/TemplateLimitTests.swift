import Foundation
import Testing
import TracemarkTesting
@testable import Labels

/// What a template from anyone may ask of the process that loads it (#17 item 2): each limit is
/// refused with an error naming the file, the line and what is too large, and nothing crashes.
@Suite struct TemplateLimitTests {
    func loadError(_ yaml: String, folder: URL? = nil) -> LabelError? {
        do {
            _ = try TemplateLoader().load(yaml: yaml, file: "t.yaml", folder: folder)
            return nil
        } catch {
            return error
        }
    }

    /// `size: [1e30mm, 50mm]` trapped `tracemark render` (a crash with a backtrace).
    @Test func anEnormousLabelIsRefusedNotACrash() async throws {
        let folder = try Command.temporaryFolder("limits")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "size: [1e30mm, 50mm]\nelements: []\n".write(to: folder.appendingPathComponent("huge.yaml"), atomically: true, encoding: .utf8)
        let run = try await Command.tracemark(["render", "huge.yaml", "-o", "huge.zpl"], in: folder)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("huge.yaml:1") && run.stderr.contains("no length on a label is more than 1000 mm"), "\(run.stderr)")
        let wide = try #require(loadError("size: [400mm, 50mm]\nelements: []\n"))
        #expect(wide.message.contains("at most 250 mm wide and 600 mm long"), "\(wide.message)")
        let text = try #require(loadError("size: [100mm, 50mm]\nelements:\n  - {type: text, at: [1, 1], text: A, size: 500mm}\n"))
        #expect(text.message.contains("text size 500mm is too large"), "\(text.message)")
    }

    /// Nested aliases (a "billion laughs"): 8 levels of 9 took 54 s and 1.5 GB to load. Anchors
    /// and aliases are refused before the YAML is parsed.
    @Test func yamlAliasesAreRefusedBeforeTheyExpand() throws {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let previous = "*a\(level - 1)"
            yaml += "a\(level): &a\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]\n"
        }
        yaml += "size: [50mm, 25mm]\nelements: []\n"
        let error = try #require(loadError(yaml))
        #expect(error.line == 1 && error.message.contains("anchors and aliases ('&a0')"), "\(error)")
        // Where the fuzzer slipped anchors past the first rule: after a JSON-style key's colon, as
        // a complex key, after a tag. Each is refused, naming its line.
        for (yaml, anchor) in [("size: [50mm, 25mm]\nsample: {\"a\":&x b, \"c\":*x}\n", "&x"),
                               ("size: [50mm, 25mm]\nelements: []\nsample:\n  ? &k [x, x]\n  : v\n", "&k"),
                               ("size: [50mm, 25mm]\nelements: []\nsample: {a: !!str &s hello}\n", "&s"),
                               ("size: [50mm, 25mm]\nelements: []\nsample: [&\u{301}c x, *\u{301}c]\n", "&\u{301}c"),
                               ("size: [50mm, 25mm]\nelements: []\rsample: &r [x]\n", "&r")] {
            let refused = try #require(loadError(yaml), "\(yaml)")
            #expect(refused.message.contains("anchors and aliases ('\(anchor)')"), "\(refused)")
        }
        // A & or * inside text is text.
        #expect(loadError("size: [50mm, 25mm]\nelements:\n  - {type: text, at: [1, 1], text: \"Salt & *pepper\", size: 3mm}\n  - {type: text, at: [1, 5], text: R&D *, size: 3mm}\n") == nil)
        let deep = try #require(loadError("size: [50mm, 25mm]\nsample: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"))
        #expect(deep.message.contains("nested more than 32 deep"), "\(deep.message)")
    }

    /// An image path reads only inside the template's folder; a PNG whose header claims a
    /// gigapixel is refused before it is decoded.
    @Test func imagesStayInTheTemplatesFolderAndWithinTheirSize() async throws {
        let folder = try Command.temporaryFolder("limits")
        defer { try? FileManager.default.removeItem(at: folder) }
        let templates = folder.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        let outside = Repository.templates.appendingPathComponent("images/exclamation-ghs07.png")
        try FileManager.default.copyItem(at: outside, to: folder.appendingPathComponent("secret.png"))
        try FileManager.default.createSymbolicLink(at: templates.appendingPathComponent("link.png"),
                                                   withDestinationURL: folder.appendingPathComponent("secret.png"))
        func image(_ path: String) -> String {
            "size: [50mm, 25mm]\nelements:\n  - {type: image, at: [1, 1], file: \"\(path)\"}\n"
        }
        for path in ["../secret.png", folder.appendingPathComponent("secret.png").path] {
            let error = try #require(loadError(image(path), folder: templates), "\(path)")
            #expect(error.message.contains("inside the template's folder"), "\(error.message)")
        }
        #expect(try #require(loadError(image("link.png"), folder: templates)).message.contains("leads outside"))
        // A valid PNG header declaring 100000 × 100000 pixels, with one byte of image data.
        let bomb = templates.appendingPathComponent("bomb.png")
        let made = try await Command.run("python3", ["-c", """
            import struct, sys, zlib
            def chunk(kind, data):
                return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
            header = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
            open(sys.argv[1], "wb").write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\\0")) + chunk(b"IEND", b""))
            """, bomb.path])
        #expect(made.status == 0, "\(made.stderr)")
        let error = try #require(loadError(image("bomb.png"), folder: templates))
        #expect(error.message.contains("100000 × 100000 pixels: at most 8192 on a side"), "\(error.message)")
        // The shipped template's image, inside its folder, still loads.
        _ = try TemplateLoader().load(contentsOf: Repository.templates.appendingPathComponent("hazard-100x100.yaml"))
    }

    @Test func copiesAreBounded() throws {
        let template = try TemplateLoader().load(yaml: "size: [50mm, 25mm]\ncopies: \"{{n}}\"\nelements: []\nsample: {n: 2}\n")
        #expect(try template.layout(.object(["n": .number(10_000)])).copies == 10_000)
        #expect(throws: LabelError.self) { try template.layout(.object(["n": .number(10_001)])) }
    }
}

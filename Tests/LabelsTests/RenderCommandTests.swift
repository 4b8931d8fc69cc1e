import Foundation
import TracemarkTesting
import Testing

/// `tracemark render` and `tracemark templates` as a user runs them: a real process, its files,
/// its exit status (the executable is built beside the test bundle).
@Suite struct RenderCommandTests {
    /// Runs the command in `folder`, finding templates by name in the repository's.
    func tracemark(_ arguments: [String], in folder: URL, stdin: String? = nil) async throws -> Command.Result {
        try await Command.tracemark(arguments, in: folder, stdin: stdin, environment: ["TRACEMARK_TEMPLATES": Repository.templates.path])
    }

    func temporaryFolder() throws -> URL { try Command.temporaryFolder("render") }

    @Test func renderWritesAPNGFromDataThatDecodes() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = #"{"product": {"gtin": "09501101530003", "article": "B-7", "description": "Test"}, "serial": {"number": "XY99"}}"#
        try Data(data.utf8).write(to: folder.appendingPathComponent("data.json"))
        let run = try await tracemark(
            ["render", "serial-50x25", "--data", "data.json", "--format", "png", "--dpi", "300", "--out", "label.png"], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try await BarcodeOracle.decode(try Data(contentsOf: folder.appendingPathComponent("label.png")), extension: "png")
        #expect(result.labels.first?.width == 591)
        #expect(result.labels.first?.barcodes.map(\.text) == ["(01)09501101530003(21)XY99"])
    }

    /// A template name that is not there says which file was looked for, in the templates
    /// folder, not beside the working directory; `demo` without its template leaves out its
    /// labels, saying why, rather than failing after its documents.
    @Test func aMissingTemplateSaysWhereItWasLookedFor() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = try await tracemark(["render", "nosuch"], in: folder)
        #expect(missing.status != 0)
        // --preview is a grey PNG: with another format it is refused, not ignored.
        let preview = try await tracemark(["render", "serial-50x25", "--preview", "--format", "zpl"], in: folder)
        #expect(preview.status == 64 && preview.stderr.contains("--preview makes a grey PNG: give --format png with it"), "\(preview.stderr)")
        #expect(missing.stderr.contains("\(Repository.templates.path)/nosuch.yaml: no such template"), "\(missing.stderr)")
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let demo = try await Command.tracemark(["demo", "--db", "registry.sqlite"], in: folder, environment: ["TRACEMARK_TEMPLATES": empty.path])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("Production run and its labels left out: \(empty.path)/gs1-lot-100x50.yaml: no such template"), "\(demo.stdout)")
    }

    @Test func renderWithoutDataUsesTheSampleAndWritesZPLAndEPL() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try await tracemark(["render", "gs1-lot-100x50", "--copies", "3", "-o", "l.zpl"], in: folder).status == 0)
        let zpl = try String(contentsOf: folder.appendingPathComponent("l.zpl"), encoding: .utf8)
        #expect(zpl.hasPrefix("^XA\n^CI28\n^PW800\n^LL400\n"))
        #expect(zpl.contains("^PQ3,0,1,N"))
        #expect(try await tracemark(["render", "gs1-lot-100x50", "--format", "epl", "-o", "l.epl"], in: folder).status == 0)
        #expect(try Data(contentsOf: folder.appendingPathComponent("l.epl")).starts(with: Array("\nI8,A,001\nN\nq800\n".utf8)))
        // A PNG is one label: copies asked of it are refused, not dropped; the summary's numbers
        // are numbers (both found by a QA run).
        let png = try await tracemark(["render", "gs1-lot-100x50", "--copies", "3", "--format", "png", "-o", "l.png"], in: folder)
        #expect(png.status == 64 && png.stderr.contains("--copies 3: a PNG is one label"), "\(png.stderr)")
        let summary = try await tracemark(["render", "gs1-lot-100x50", "-o", "s.zpl", "--json"], in: folder)
        let object = try JSONSerialization.jsonObject(with: Data(summary.stderr.utf8)) as? [String: Any]
        #expect(object?["dpi"] as? Int == 203 && (object?["bytes"] as? Int ?? 0) > 0, "\(summary.stderr)")
    }

    /// `make install`'s script: the installed command, run where there is no `Templates` folder
    /// and no TRACEMARK_TEMPLATES, finds the templates installed beside it; the systemd unit
    /// points at the prefix.
    @Test func theInstalledCommandFindsItsTemplates() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = folder.appendingPathComponent("root"), prefix = "/opt/tm-test"
        let installed = try await Command.run(Repository.root.appendingPathComponent("scripts/install.sh").path,
                                              [Repository.tracemark.path, prefix], environment: ["DESTDIR": root.path])
        #expect(installed.status == 0, "\(installed.stderr)")
        let binary = root.appendingPathComponent(String(prefix.dropFirst())).appendingPathComponent("bin/tracemark")
        let elsewhere = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let run = try await Command.run("env", ["-u", "TRACEMARK_TEMPLATES", binary.path, "render", "gs1-lot-100x50", "-o", "l.zpl"], in: elsewhere)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("l.zpl").path))
        let unit = try String(contentsOf: root.appendingPathComponent("etc/systemd/system/tracemark.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix)/bin/tracemark serve") && unit.contains("TRACEMARK_TEMPLATES=\(prefix)/share/tracemark/Templates"))
        #expect(!unit.contains("/opt/tracemark/"))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("etc/udev/rules.d/70-tracemark.rules").path))
    }

    @Test func dataThatLacksAFieldIsRefusedWithExitStatus1() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"product": {"gtin": "09501101530003"}}"#.utf8).write(to: folder.appendingPathComponent("data.json"))
        let run = try await tracemark(["render", "serial-50x25", "--data", "data.json", "--json"], in: folder)
        #expect(run.status == 1)
        let error = (try JSONSerialization.jsonObject(with: Data(run.stderr.utf8)) as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "missing-field", "\(run.stderr)")
        #expect(error?["exitStatus"] as? Int == 1)
        #expect(error?["element"] as? String == "barcode 'datamatrix'")
    }

    /// A user's raw ZPL whose Code 128 would lose the lot's letters (subset C) is refused before
    /// anything is written, naming the field.
    @Test func aRawZPLTemplateWhoseBarcodeWouldLoseDataIsRefused() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("^XA\n^FO40,40^BY2^BCN,100,N,N,N^FD>;>80109501101530003>810{{lot}}^FS\n^XZ\n".utf8)
            .write(to: folder.appendingPathComponent("bad.zpl"))
        try Data(#"{"lot": "4711"}"#.utf8).write(to: folder.appendingPathComponent("bad.json"))
        #expect(try await tracemark(["render", "bad.zpl", "-o", "good.zpl"], in: folder).status == 0)
        try Data(#"{"lot": "LOT4711"}"#.utf8).write(to: folder.appendingPathComponent("data.json"))
        let run = try await tracemark(["render", "bad.zpl", "--data", "data.json", "-o", "out.zpl", "--json"], in: folder)
        #expect(run.status == 1)
        let error = (try JSONSerialization.jsonObject(with: Data(run.stderr.utf8)) as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unverified", "\(run.stderr)")
        #expect(error?["element"] as? String == "^BC field at line 2")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.zpl").path))
    }

    /// Product and lot from the registry (SQLite), partner and quantity from --data.
    @Test func renderTakesTheLotFromTheRegistry() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = ["--db", folder.appendingPathComponent("registry.sqlite").path]
        #expect(try await tracemark(["class", "add", "LOTS", "--tracking", "lot", "--format", "L{counter:4}"] + db, in: folder).status == 0)
        #expect(try await tracemark(["product", "add", "OIL", "--gtin", "9501101530003", "--class", "LOTS",
                                     "--description", "Oil 5 l"] + db, in: folder).status == 0)
        #expect(try await tracemark(["lot", "register", "OIL", "L-77", "--expiry", "2027-03-31"] + db, in: folder).status == 0)
        try Data(#"{"quantity": 5, "unit": "l", "partner": {"name": "ACME"}, "copies": 1}"#.utf8)
            .write(to: folder.appendingPathComponent("rest.json"))
        let run = try await tracemark(["render", "gs1-lot-100x50", "--product", "OIL", "--lot", "L-77", "--data", "rest.json",
                                       "--format", "png", "-o", "lot.png"] + db, in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try await BarcodeOracle.decode(try Data(contentsOf: folder.appendingPathComponent("lot.png")), extension: "png")
        #expect(Set(result.labels.flatMap(\.barcodes).map(\.text)) == ["(01)09501101530003(17)270331(10)L-77"])
        let unknown = try await tracemark(["render", "gs1-lot-100x50", "--product", "OIL", "--lot", "L-78", "--data", "rest.json"] + db, in: folder)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no lot L-78"))
    }

    /// A shipped lot label renders from the registry alone: the unit, the quantity in stock and
    /// the supplier of the lot's receipt come from the registry, where no --data gives them.
    @Test func aShippedLotLabelRendersFromTheRegistryAlone() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = ["--db", folder.appendingPathComponent("registry.sqlite").path]
        #expect(try await tracemark(["class", "add", "LOTS", "--tracking", "lot", "--format", "L{counter:4}"] + db, in: folder).status == 0)
        #expect(try await tracemark(["product", "add", "OIL", "--gtin", "9501101530003", "--class", "LOTS", "--unit", "l",
                                     "--description", "Oil 5 l"] + db, in: folder).status == 0)
        #expect(try await tracemark(["warehouse", "add", "MAIN"] + db, in: folder).status == 0)
        #expect(try await tracemark(["partner", "add", "ACME", "--name", "Acme Oils", "--role", "supplier"] + db, in: folder).status == 0)
        // An expiry a year from whenever the test runs: goods already expired are not received.
        let expiry = relativeDate(days: 365, format: "yyyy-MM-dd")
        let received = try await tracemark(["receive", "--warehouse", "MAIN", "--supplier", "ACME", "--product", "OIL",
                                            "--lot", "L-9", "--quantity", "12", "--expiry", expiry] + db, in: folder)
        #expect(received.status == 0, "\(received.stderr)")
        let run = try await tracemark(["render", "gs1-lot-100x50", "--product", "OIL", "--lot", "L-9", "-o", "lot.zpl"] + db, in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let zpl = try String(contentsOf: folder.appendingPathComponent("lot.zpl"), encoding: .utf8)
        #expect(zpl.contains("^FDQTY 12 l^FS"))
        #expect(zpl.contains("^FDAcme Oils^FS"))
        #expect(Set(try await BarcodeOracle.texts(Data(zpl.utf8), extension: "zpl")) == ["(01)09501101530003(17)\(expiry.dropFirst(2).replacingOccurrences(of: "-", with: ""))(10)L-9"])

        // What the registry does not keep (a hazard statement) is given as JSON beside --product:
        // the registry's product fields go over it, not in place of it.
        let produced = relativeDate(days: -10, format: "yyyy-MM-dd")
        #expect(try await tracemark(["receive", "--warehouse", "MAIN", "--supplier", "ACME", "--product", "OIL", "--lot", "H-1",
                                     "--quantity", "5", "--expiry", expiry, "--production", produced] + db, in: folder).status == 0)
        try Data(#"{"product": {"hazard": "H319 Causes serious eye irritation."}}"#.utf8).write(to: folder.appendingPathComponent("hazard.json"))
        let hazard = try await tracemark(["render", "hazard-100x100", "--product", "OIL", "--lot", "H-1", "--data", "hazard.json", "-o", "h.zpl"] + db,
                                         in: folder)
        #expect(hazard.status == 0, "\(hazard.stderr)")
        let hazardLabel = try String(contentsOf: folder.appendingPathComponent("h.zpl"), encoding: .utf8)
        #expect(hazardLabel.contains("H319") && hazardLabel.contains("Oil 5 l"), "\(hazardLabel)")

        // A blocked lot's label prints (goods held back are labelled too), with a word of it: it
        // printed without one (found by a QA run).
        #expect(try await tracemark(["status", "OIL", "L-9", "--set", "blocked", "--reason", "failed viscosity"] + db, in: folder).status == 0)
        #expect(try await tracemark(["printers", "add", "folder", "--uri", "file://\(folder.appendingPathComponent("out").path)"] + db, in: folder).status == 0)
        let blocked = try await tracemark(["print", "gs1-lot-100x50", "--printer", "folder", "--product", "OIL", "--lot", "L-9"] + db, in: folder)
        #expect(blocked.status == 0 && blocked.stderr.contains("note: lot L-9 of OIL is blocked: its label says nothing of that; it is printed"), "\(blocked.stderr)")
    }

    /// `--data` may be a pipe (`<(…)`, `/dev/stdin`): it was refused with a message about
    /// permission. A file that is not there says so.
    @Test func labelDataComesFromAPipe() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = #"{"product": {"gtin": "09501101530003", "article": "B-7", "description": "Test"}, "serial": {"number": "PIPE1"}}"#
        let run = try await tracemark(["render", "serial-50x25", "--data", "/dev/stdin", "--out", "label.zpl"], in: folder, stdin: data)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOf: folder.appendingPathComponent("label.zpl"), encoding: .utf8).contains("PIPE1"))
        let missing = try await tracemark(["render", "serial-50x25", "--data", "nosuch.json"], in: folder)
        #expect(missing.status == 1 && missing.stderr.contains("cannot read --data nosuch.json: no such file or directory"), "\(missing.stderr)")
    }

    @Test func aBadCommandLineExits64() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try await tracemark(["render", "serial-50x25", "--dpi", "250"], in: folder).status == 64)
        #expect(try await tracemark(["render", "serial-50x25", "--format", "pdf"], in: folder).status == 64)
        #expect(try await tracemark(["render", "serial-50x25", "--lot", "L1"], in: folder).status == 64)
    }

    @Test func templatesValidatesAFolder() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let listed = try await tracemark(["templates"], in: folder)
        #expect(listed.status == 0)
        // The raw templates in raw/ are listed and checked too, by the path that names them.
        #expect(listed.stdout.contains("raw/lot-label.zpl  ok") && listed.stdout.contains("raw/lot-label.epl  ok"), "\(listed.stdout)")
        // Rendered by that name without its extension, the file of the language asked for.
        for (format, start) in [("zpl", "^XA"), ("epl", "\nN\n")] {
            let rendered = try await tracemark(["render", "raw/lot-label", "--format", format], in: folder)
            #expect(rendered.status == 0 && rendered.stdout.hasPrefix(start), "\(format): \(rendered.stderr)\(rendered.stdout.prefix(20))")
        }
        try "size: [50mm, 25mm]\nelements:\n  - type: blob\n".write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        #expect(try await tracemark(["templates", folder.path], in: folder).status == 1)

        // A folder that is not there, a file, a folder without templates: each said, none "ok"
        // in silence (found by a QA run).
        let missing = try await tracemark(["templates", folder.appendingPathComponent("nope").path], in: folder)
        #expect(missing.status == 64 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        let file = try await tracemark(["templates", folder.appendingPathComponent("bad.yaml").path], in: folder)
        #expect(file.status == 64 && file.stderr.contains("is a file, not a folder"), "\(file.stderr)")
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try await tracemark(["templates", empty.path], in: folder)
        #expect(none.status == 1 && none.stderr.contains("no templates"), "\(none.stderr)")
        // A raw template whose sample cannot be printed is not "ok".
        let raw = folder.appendingPathComponent("rawcheck")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        try "^XA\n^FO30,30^A0N,40,40^FD{{a}}^FS\n^PQ{{copies}}\n^XZ\n".write(to: raw.appendingPathComponent("cc.zpl"), atomically: true, encoding: .utf8)
        try #"{"a": "x", "copies": "1+2"}"#.write(to: raw.appendingPathComponent("cc.json"), atomically: true, encoding: .utf8)
        let sample = try await tracemark(["templates", raw.path], in: folder)
        #expect(sample.status == 1 && sample.stdout.contains("cc.zpl  error"), "\(sample.stdout)")
    }
}

import Foundation
import GS1
import Registry
import SQLKit
import Store
import Testing
import TracemarkTesting

/// Certificates attached to lots: bounded, and never handed back changed.
@Suite struct AttachmentTests {
    @Test(arguments: Backend.available)
    func anAttachmentIsBoundedAndCheckedWhenReadBack(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.register(NewLotSerial(product: "MILK", number: "L-1", expiry: day0.adding(days: 90)))
            let certificate = Data("certificate of analysis: lot L-1, fat 3.5 %".utf8)
            let saved = try await registry.attach(product: "MILK", number: "L-1", fileName: "coa.txt", mediaType: "text/plain", content: certificate)
            let (read, content) = try await registry.attachmentContent(id: saved.id)
            #expect(content == certificate && read.sha256 == saved.sha256)

            await expectRefusal(.invalidInput, "has 16777217 bytes", "at most 16777216 bytes") {
                _ = try await registry.attach(product: "MILK", number: "L-1", fileName: "video.mp4", mediaType: "video/mp4",
                                              content: Data(count: Registry.maximumAttachmentBytes + 1))
            }
            await expectRefusal(.invalidInput, "file empty.txt is empty") {
                _ = try await registry.attach(product: "MILK", number: "L-1", fileName: "empty.txt", mediaType: "text/plain", content: Data())
            }
            // Changed behind the registry's back: refused, saying what was attached.
            try await registry.store.write { db in
                try await db.raw("UPDATE lot_serial_attachment_parts SET content = \(bind: Data("fat 1.5 %".utf8)) WHERE attachment_id = \(bind: saved.id)").run()
            }
            await expectRefusal(.conflict, "attachment \(saved.id) (coa.txt) is damaged", saved.sha256) {
                _ = try await registry.attachmentContent(id: saved.id)
            }
        }
    }

    /// A certificate of several parts goes in from a file and out to a file part by part: what
    /// comes out is what went in, byte for byte (checked by `cmp` and `sha256sum`, not by the
    /// registry); a damaged part, an existing file, a file too large, a folder or an unknown lot is
    /// refused with nothing written on either side.
    @Test(arguments: Backend.available)
    func aFileGoesInAndOutInPartsAndNothingHalfWritten(backend: Backend) async throws {
        try await withStockRegistry(backend) { registry, _ in
            _ = try await registry.register(NewLotSerial(product: "MILK", number: "L-1", expiry: day0.adding(days: 90)))
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-attach-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            // 3.5 parts of pseudo-random bytes.
            let size = Registry.attachmentPartBytes * 7 / 2
            var state: UInt64 = 0x2026_1203
            var bytes = [UInt8](repeating: 0, count: size)
            for index in bytes.indices {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
            bytes.replaceSubrange(0..<5, with: Array("%PDF-".utf8))  // a PDF begins so
            let source = folder.appendingPathComponent("coa-L-1.pdf")
            try Data(bytes).write(to: source)
            let expected = try await Command.run("/usr/bin/sha256sum", [source.path]).stdout.prefix(64)

            let saved = try await registry.attach(product: "MILK", number: "L-1", contentsOf: source, mediaType: "application/pdf")
            #expect(saved.fileName == "coa-L-1.pdf" && saved.size == size && saved.sha256 == String(expected))
            let parts = try await registry.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n, MAX(length(content)) AS largest FROM lot_serial_attachment_parts WHERE attachment_id = \(bind: saved.id)").first()!
            }
            #expect(try parts.decode(column: "n", as: Int.self) == 4)
            #expect(try parts.decode(column: "largest", as: Int.self) == Registry.attachmentPartBytes)
            #expect(try await registry.lotSerial(product: "MILK", number: "L-1")?.attachments.map(\.sha256) == [saved.sha256])

            let copy = folder.appendingPathComponent("out/copy.pdf")
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            let written = try await registry.saveAttachment(id: saved.id, to: copy)
            #expect(written == saved)
            #expect(try await Command.run("/usr/bin/cmp", [source.path, copy.path]).status == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy.deletingLastPathComponent().path) == ["copy.pdf"])

            // Never over an existing file.
            await expectRefusal(.conflict, "copy.pdf exists already") {
                _ = try await registry.saveAttachment(id: saved.id, to: copy)
            }
            #expect(try await Command.run("/usr/bin/cmp", [source.path, copy.path]).status == 0)

            // A damaged middle part: refused, and no file appears, partial or not.
            try await registry.store.write { db in
                try await db.raw("UPDATE lot_serial_attachment_parts SET content = \(bind: Data(repeating: 7, count: 100)) WHERE attachment_id = \(bind: saved.id) AND part = 2").run()
            }
            let damaged = folder.appendingPathComponent("out/damaged.pdf")
            await expectRefusal(.conflict, "attachment \(saved.id) (coa-L-1.pdf) is damaged", saved.sha256) {
                _ = try await registry.saveAttachment(id: saved.id, to: damaged)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: copy.deletingLastPathComponent().path) == ["copy.pdf"])

            // Refused before it is read, and nothing stored: too large (a sparse file), a folder,
            // an unknown lot.
            let large = folder.appendingPathComponent("large.bin")
            #expect(FileManager.default.createFile(atPath: large.path, contents: nil))
            let handle = try FileHandle(forWritingTo: large)
            try handle.truncate(atOffset: UInt64(Registry.maximumAttachmentBytes + 1))
            try handle.close()
            await expectRefusal(.invalidInput, "has 16777217 bytes", "at most 16777216 bytes") {
                _ = try await registry.attach(product: "MILK", number: "L-1", contentsOf: large, mediaType: "application/octet-stream")
            }
            await expectRefusal(.invalidInput, "is not a file") {
                _ = try await registry.attach(product: "MILK", number: "L-1", contentsOf: folder, mediaType: "application/octet-stream")
            }
            await expectRefusal(.notFound, "L-404") {
                _ = try await registry.attach(product: "MILK", number: "L-404", contentsOf: source, mediaType: "application/pdf")
            }
            // The same content twice, a PDF that is none, a media type that is none: refused,
            // nothing stored (a QA run attached one certificate four times, and "garbage").
            await expectRefusal(.duplicate, "coa-L-1.pdf is attached to L-1 of MILK already, as file \(saved.id)") {
                _ = try await registry.attach(product: "MILK", number: "L-1", contentsOf: source, mediaType: "application/pdf")
            }
            await expectRefusal(.invalidInput, "fake.pdf is not a PDF (it does not begin with %PDF-)") {
                _ = try await registry.attach(product: "MILK", number: "L-1", fileName: "fake.pdf", mediaType: "application/pdf", content: Data("just text\n".utf8))
            }
            await expectRefusal(.invalidInput, "media type \"garbage\" is not one") {
                _ = try await registry.attach(product: "MILK", number: "L-1", fileName: "x.txt", mediaType: "garbage", content: Data("x".utf8))
            }
            let stored = try await registry.store.read { db in
                try await db.raw("SELECT (SELECT COUNT(*) FROM lot_serial_attachments) AS files, (SELECT COUNT(*) FROM lot_serial_attachment_parts) AS parts").first()!
            }
            #expect(try stored.decode(column: "files", as: Int.self) == 1 && stored.decode(column: "parts", as: Int.self) == 4)
        }
    }

    /// `tracemark lot attach` and `lot file` as a user runs them.
    @Test func theCommandLineAttachesAndSavesAFile() async throws {
        let database = try await TestDatabase.make(.sqlite)
        defer { Task { await database.drop() } }
        let db = database.location
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-attach-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("report.txt")
        try Data((0..<200_000).map { "line \($0) of the test report\n" }.joined().utf8).write(to: source)
        for arguments in [["class", "add", "LOT", "--tracking", "lot"], ["product", "add", "PAINT", "--class", "LOT"],
                          ["lot", "register", "PAINT", "B-7"]] {
            let run = try await Command.tracemark(arguments + ["--db", db])
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
        }
        let attached = try await Command.tracemark(["lot", "attach", "PAINT", "B-7", source.path, "--json", "--db", db])
        #expect(attached.status == 0, "\(attached.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(attached.stdout.utf8)) as? [String: Any])
        let id = try #require(json["id"] as? Int)
        #expect(json["mediaType"] as? String == "text/plain")
        let out = folder.appendingPathComponent("saved.txt")
        let saved = try await Command.tracemark(["lot", "file", String(id), "--output", out.path, "--db", db])
        #expect(saved.status == 0 && saved.stdout.contains("checked"), "\(saved.stderr)")
        #expect(try await Command.run("/usr/bin/cmp", [source.path, out.path]).status == 0)
        let again = try await Command.tracemark(["lot", "file", String(id), "--output", out.path, "--db", db])
        #expect(again.status != 0 && again.stderr.contains("exists already"), "\(again.stderr)")
    }
}

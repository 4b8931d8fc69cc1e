import Foundation
import GS1
import Registry
import SQLKit
import Store
import Testing

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
                try await db.raw("UPDATE lot_serial_attachments SET content = \(bind: Data("fat 1.5 %".utf8)) WHERE id = \(bind: saved.id)").run()
            }
            await expectRefusal(.conflict, "attachment \(saved.id) (coa.txt) is damaged", saved.sha256) {
                _ = try await registry.attachmentContent(id: saved.id)
            }
        }
    }
}

public import Foundation
import Crypto
import SQLKit
import Store
#if canImport(Glibc)
import Glibc
#endif

/// Files kept with a lot or serial (certificates of analysis, test reports).
///
/// A file is stored in parts of ``Registry/attachmentPartBytes`` (registry migration 7), written
/// part by part as it is read and read back part by part as it is written out, so that a
/// service holds one part of a file in memory at a time, never the whole file. Its size and
/// SHA-256 are computed on the way in and checked on the way out: a file changed in the database
/// is refused, never handed out as the certificate.
extension Registry {
    /// The largest file a lot or serial takes: certificates and test reports, not videos.
    public static let maximumAttachmentBytes = 16 << 20

    /// How much of a file one stored part holds: at most this much of it is in memory at once.
    public static let attachmentPartBytes = 1 << 20

    /// Attaches `content` (a certificate) to a lot or serial, stored with its size and SHA-256.
    /// Refused when larger than ``maximumAttachmentBytes`` or empty.
    public func attach(product: String, number: String, fileName: String, mediaType: String, content: Data) async throws -> Attachment {
        try Self.checkAttachmentSize(content.count, of: fileName)
        var offset = content.startIndex
        return try await attach(product: product, number: number, fileName: fileName, mediaType: mediaType) {
            guard offset < content.endIndex else { return nil }
            let end = content.index(offset, offsetBy: Self.attachmentPartBytes, limitedBy: content.endIndex) ?? content.endIndex
            defer { offset = end }
            return content[offset..<end]
        }
    }

    /// Attaches the file at `file`, read part by part into the registry as it is stored: its
    /// whole content is never in memory. Named `fileName` (default: the file's own name).
    ///
    /// Refused before anything is read when it is not a regular file, is empty or is larger than
    /// ``maximumAttachmentBytes``; refused with nothing stored when it cannot be read to its end
    /// or grows past the limit while it is read.
    public func attach(product: String, number: String, contentsOf file: URL, fileName: String? = nil, mediaType: String) async throws -> Attachment {
        let path = file.path
        let name = fileName ?? file.lastPathComponent
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw RegistryError(.invalidInput, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw RegistryError(.invalidInput, "\(path) is not a file (a folder or a device): attach a file")
        }
        try Self.checkAttachmentSize(Int(status.st_size), of: path)
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: file) } catch {
            throw RegistryError(.invalidInput, "cannot read \(path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        return try await attach(product: product, number: number, fileName: name, mediaType: mediaType) {
            var part = Data()
            while part.count < Self.attachmentPartBytes {
                let read: Data?
                do { read = try handle.read(upToCount: Self.attachmentPartBytes - part.count) } catch {
                    throw RegistryError(.invalidInput, "cannot read \(path) to its end: \(error.localizedDescription); nothing was attached")
                }
                guard let read, !read.isEmpty else { break }
                part.append(read)
            }
            return part.isEmpty ? nil : part
        }
    }

    /// Stores the parts `next` returns (each at most ``attachmentPartBytes``, `nil` at the end) in
    /// one transaction, hashing them on the way: what fails leaves nothing behind.
    private func attach(product: String, number: String, fileName: String, mediaType: String,
                        next: () throws -> Data?) async throws -> Attachment {
        let number = number.trimmingSpaces
        try Identifier.validate(fileName, what: "file name")
        // A media type as RFC 6838 writes one (type/subtype): "garbage" and "text/html" on a PDF
        // were kept (found by a QA run), and it is what a download is served as.
        let token = #"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"#
        guard mediaType.range(of: "^\(token)/\(token)$", options: .regularExpression) != nil else {
            throw RegistryError(.invalidInput, "media type \(mediaType.debugDescription) is not one (type/subtype, such as application/pdf)")
        }
        var checkedStart = false
        let created = now
        return try await store.write { db in
            let lotSerialID = try await Self.lotSerialID(db, product: product, number: number)
            // Size and digest are known at the end; the row is written first for the parts to
            // refer to, and completed in the same transaction, so nobody sees it unfinished.
            let id = try await db.raw("""
                INSERT INTO lot_serial_attachments (lot_serial_id, file_name, media_type, size, sha256, created_at)
                VALUES (\(bind: lotSerialID), \(bind: fileName), \(bind: mediaType), 0, '', \(bind: created))
                RETURNING id
                """).first()!.int("id")
            var hasher = SHA256()
            var size = 0
            var part = 0
            while let content = try next() {
                // A file said to be a PDF that is none (a text file named .pdf) is not a certificate.
                // Readers look for its header in the first kilobyte, as here.
                if !checkedStart, mediaType.lowercased() == "application/pdf",
                   content.prefix(1024).range(of: Data("%PDF-".utf8)) == nil {
                    throw RegistryError(.invalidInput, "\(fileName) is not a PDF (it does not begin with %PDF-): attach the certificate itself, or give its real media type")
                }
                checkedStart = true
                size += content.count
                try Self.checkAttachmentSize(size, of: fileName, growing: true)
                hasher.update(data: content)
                try await db.raw("""
                    INSERT INTO lot_serial_attachment_parts (attachment_id, part, content)
                    VALUES (\(bind: id), \(bind: part), \(bind: Data(content)))
                    """).run()
                part += 1
            }
            try Self.checkAttachmentSize(size, of: fileName)
            let digest = Self.hex(hasher.finalize())
            // The same file twice on one lot is one certificate listed twice (found by a QA run).
            if let same = try await db.raw("""
                SELECT id, file_name FROM lot_serial_attachments WHERE lot_serial_id = \(bind: lotSerialID) AND sha256 = \(bind: digest) AND id <> \(bind: id)
                ORDER BY id LIMIT 1
                """).first() {
                throw RegistryError(.duplicate,
                    "\(fileName) is attached to \(number) of \(product) already, as file \(try same.int("id")) (\(try same.string("file_name"))): the same content is kept once")
            }
            try await db.raw("UPDATE lot_serial_attachments SET size = \(bind: size), sha256 = \(bind: digest) WHERE id = \(bind: id)").run()
            return Attachment(id: id, fileName: fileName, mediaType: mediaType, size: size, sha256: digest, createdAt: created)
        }
    }

    /// Attachment `id`'s name, media type, size and SHA-256 (not its content), or `nil`.
    public func attachment(id: Int) async throws -> Attachment? {
        try await store.read { db in
            try await db.raw("""
                SELECT id, file_name, media_type, size, sha256, created_at FROM lot_serial_attachments WHERE id = \(bind: id)
                """).first().map { try Self.decodeAttachment($0) }
        }
    }

    /// The content of an attachment, checked against its stored size and SHA-256. It is in memory
    /// whole (at most ``maximumAttachmentBytes``): to hand a file on, ``saveAttachment(id:to:)``
    /// writes it part by part.
    public func attachmentContent(id: Int) async throws -> (Attachment, Data) {
        var content = Data()
        let attachment = try await readAttachment(id: id) { content.append($0) }
        return (attachment, content)
    }

    /// Writes attachment `id` to `destination`, part by part, and checks it against its stored size
    /// and SHA-256 before it appears there: a damaged file is refused and nothing is left behind.
    /// An existing file is never overwritten.
    @discardableResult
    public func saveAttachment(id: Int, to destination: URL) async throws -> Attachment {
        let path = destination.path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw RegistryError(.conflict, "\(path) exists already: choose another file, so that none is overwritten")
        }
        // Written beside the destination under a name of its own, and linked to the destination
        // only when complete and checked.
        let partial = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial").path
        let descriptor = Glibc.open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RegistryError(.invalidInput, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        defer { unlink(partial) }
        let attachment: Attachment
        do {
            attachment = try await readAttachment(id: id) { part in
                do { try handle.write(contentsOf: part) } catch {
                    throw RegistryError(.invalidInput, "cannot write \(path): \(error.localizedDescription)")
                }
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        guard link(partial, path) == 0 else {
            let reason = errno
            throw RegistryError(reason == EEXIST ? .conflict : .invalidInput, reason == EEXIST
                ? "\(path) exists already: choose another file, so that none is overwritten"
                : "cannot write \(path): \(String(cString: strerror(reason)))")
        }
        return attachment
    }

    /// Hands attachment `id`'s parts to `body` in order, from one snapshot, and checks the whole
    /// against the stored size and SHA-256.
    private func readAttachment(id: Int, _ body: (Data) throws -> Void) async throws -> Attachment {
        let (attachment, size, digest) = try await store.snapshot { db in
            guard let row = try await db.raw("""
                SELECT id, file_name, media_type, size, sha256, created_at FROM lot_serial_attachments WHERE id = \(bind: id)
                """).first() else {
                throw RegistryError(.notFound, "attachment \(id) does not exist")
            }
            let attachment = try Self.decodeAttachment(row)
            let parts = try await db.raw("""
                SELECT part FROM lot_serial_attachment_parts WHERE attachment_id = \(bind: id) ORDER BY part
                """).all().map { try $0.int("part") }
            var hasher = SHA256()
            var size = 0
            for part in parts {
                guard let row = try await db.raw("""
                    SELECT content FROM lot_serial_attachment_parts WHERE attachment_id = \(bind: id) AND part = \(bind: part)
                    """).first() else { continue }
                let content = try row.decode(column: "content", as: Data.self)
                hasher.update(data: content)
                size += content.count
                try body(content)
            }
            return (attachment, size, Self.hex(hasher.finalize()))
        }
        guard size == attachment.size, digest == attachment.sha256 else {
            throw RegistryError(.conflict,
                "attachment \(id) (\(attachment.fileName)) is damaged: it has \(size) bytes with SHA-256 \(digest), but \(attachment.size) bytes with SHA-256 \(attachment.sha256) were attached")
        }
        return attachment
    }

    private static func checkAttachmentSize(_ size: Int, of name: String, growing: Bool = false) throws {
        if size == 0 && !growing { throw RegistryError(.invalidInput, "file \(name) is empty") }
        guard size <= maximumAttachmentBytes else {
            throw RegistryError(.invalidInput, growing
                ? "file \(name) grew past \(maximumAttachmentBytes) bytes while it was read; a lot or serial takes files of at most \(maximumAttachmentBytes) bytes (16 MiB); nothing was attached"
                : "file \(name) has \(size) bytes; a lot or serial takes files of at most \(maximumAttachmentBytes) bytes (16 MiB)")
        }
    }

    static func sha256(_ content: Data) -> String { hex(SHA256.hash(data: content)) }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

import Foundation

/// A "printer" that writes each payload to a file in a folder: the default that lets anyone try
/// Tracemark without a printer, and a way to hand labels to another system.
///
/// Each payload is written to a temporary name, flushed to disk, renamed, and the rename flushed
/// too (the folder is synced), so a file with a job's name is always whole and survives a power
/// cut; its presence is how a crashed send is answered. Names carry the spool database's id, so a
/// file left by another database (or an earlier one) is never taken for this one's job.
public struct FilePrinter: PrinterTransport {
    public let printer: PrinterConfig
    public let directory: String
    /// Names this database's files apart from any other's in the same folder.
    public let databaseID: String

    public init(_ printer: PrinterConfig, directory: String, databaseID: String = "") {
        self.printer = printer
        self.directory = directory
        self.databaseID = databaseID
    }

    /// The file that holds a payload: named by the database and the first and last job ids.
    public func fileName(for payload: PrintPayload) -> String {
        let first = payload.jobIDs.first ?? 0
        let last = payload.jobIDs.last ?? first
        let range = first == last ? "\(first)" : "\(first)-\(last)"
        let database = databaseID.isEmpty ? "" : "\(databaseID.prefix(12))-"
        return "job-\(database)\(range).\(payload.language.rawValue)"
    }

    /// PNG files cannot be concatenated: one image per file.
    public var batchLimit: Int { printer.language == .png ? 1 : 500 }

    public func status() async -> PrinterStatus {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            // Created with the first job, if whatever exists of its path allows it.
            if let obstacle = Self.obstacle(on: directory) { return .offline(obstacle) }
            return .notAsked("folder \(directory) will be created with the first job")
        }
        guard isDirectory.boolValue, FileManager.default.isWritableFile(atPath: directory) else {
            return .offline("\(directory) is not a writable folder")
        }
        return PrinterStatus(formatsInBuffer: 0, labelsRemaining: 0, answered: true, message: "folder \(directory)")
    }

    public func send(_ payload: PrintPayload, prepared: @Sendable (Delivery) async throws -> Void) async throws -> Delivery {
        let delivery = Delivery()
        try await prepared(delivery)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PrintingError(.unreachable, "printer \(printer.name): cannot create folder \(directory): \(Self.reason(error, path: directory))", cause: error)
        }
        // A PNG holds one image: each further copy is a file of its own (`job-…-7-copy2.png`),
        // written before the first copy's file, whose presence says the job was delivered.
        let copies = payload.language == .png ? max(1, payload.labelCount) : 1
        for copy in stride(from: copies, through: 1, by: -1) {
            try write(payload.bytes, named: fileName(for: payload, copy: copy))
        }
        try syncFolder()
        return delivery
    }

    /// A copy's file name: the payload's, with `-copyN` before the extension from the second on.
    public func fileName(for payload: PrintPayload, copy: Int) -> String {
        let name = fileName(for: payload)
        guard copy > 1 else { return name }
        let dot = name.lastIndex(of: ".") ?? name.endIndex
        return name[..<dot] + "-copy\(copy)" + name[dot...]
    }

    /// Writes `bytes` whole under `name`: to a temporary name, flushed, then renamed.
    private func write(_ bytes: Data, named name: String) throws {
        let target = URL(fileURLWithPath: directory).appendingPathComponent(name)
        let temporary = URL(fileURLWithPath: directory).appendingPathComponent(".\(name).partial")
        do {
            try bytes.write(to: temporary)
            let handle = try FileHandle(forUpdating: temporary)
            try handle.synchronize()
            try handle.close()
            try Self.place(temporary, at: target, bytes: bytes)
        } catch let error as PrintingError {
            try? FileManager.default.removeItem(at: temporary)
            throw PrintingError(error.code, "printer \(printer.name): \(error.message)", cause: error)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw PrintingError(.unreachable, "printer \(printer.name): cannot write \(target.path): \(Self.reason(error, path: directory))", cause: error)
        }
    }

    /// Gives the whole file at `temporary` the name `target`, never replacing a file already there:
    /// a file with a job's name may be another database's (a copy of this one) or an earlier
    /// send's, and whatever reads the folder may not have taken it yet. The same bytes again (a
    /// send repeated after a crash) are the same label, written once; other bytes are refused as
    /// the printer being unable to take the job: it waits, queued, and nothing is lost.
    static func place(_ temporary: URL, at target: URL, bytes: Data) throws {
        // link(2) fails with EEXIST rather than replace, in one step.
        if Glibc.link(temporary.path, target.path) == 0 {
            try FileManager.default.removeItem(at: temporary)
            return
        }
        let failure = errno
        /// The file already there: the same label (nothing to do), or another one (refused).
        func taken() throws {
            try FileManager.default.removeItem(at: temporary)
            if FileManager.default.contents(atPath: target.path) == bytes { return }
            throw PrintingError(.unreachable, "\(target.path) already exists with other content, and is not replaced: "
                                + "move it away if it was read, and the job is sent again")
        }
        if failure == EEXIST { return try taken() }
        // A folder on a file system without hard links (some network shares): the name is checked
        // first, then the file renamed onto it.
        guard [EPERM, ENOTSUP, EOPNOTSUPP, EMLINK, ENOSYS].contains(failure) else {
            throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)
        }
        if FileManager.default.fileExists(atPath: target.path) { return try taken() }
        guard Glibc.rename(temporary.path, target.path) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    private func syncFolder() throws {
        do {
            try Self.syncFolder(directory)
        } catch {
            throw PrintingError(.unreachable, "printer \(printer.name): cannot sync folder \(directory): \(Self.reason(error, path: directory))", cause: error)
        }
    }

    /// Flushes a folder's entries to disk, so that a rename in it survives a crash of the machine.
    static func syncFolder(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Foundation's file errors name a Cocoa code; say instead what is in the way.
    static func reason(_ error: any Error, path: String) -> String {
        obstacle(on: path) ?? error.localizedDescription
    }

    /// What stops a folder from being created at `path`: its nearest existing ancestor is a file,
    /// or not writable.
    static func obstacle(on path: String) -> String? {
        var ancestor = URL(fileURLWithPath: path)
        while ancestor.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "\(ancestor.path) is a file, not a folder" }
                if !FileManager.default.isWritableFile(atPath: ancestor.path) { return "no permission to write in \(ancestor.path)" }
                return nil
            }
            ancestor.deleteLastPathComponent()
        }
        return nil
    }

    public func follow(_ payload: PrintPayload, _ delivery: Delivery, timeout: Duration) async -> PrintProgress {
        .printed
    }

    public func inquire(about payload: PrintPayload, delivery: Delivery?) async -> DoubtAnswer {
        let target = URL(fileURLWithPath: directory).appendingPathComponent(fileName(for: payload))
        return .printed(labels: FileManager.default.fileExists(atPath: target.path) ? payload.labelCount : 0)
    }
}

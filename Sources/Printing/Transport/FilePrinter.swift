import Foundation

/// A "printer" that writes each payload to a file in a folder: the default that lets anyone try
/// Tracemark without a printer, and a way to hand labels to another system.
///
/// Each payload is written to a temporary name, flushed to disk and renamed, so a file with a
/// job's name is always whole; its presence is how a crashed send is answered.
public struct FilePrinter: PrinterTransport {
    public let printer: PrinterConfig
    public let directory: String

    public init(_ printer: PrinterConfig, directory: String) {
        self.printer = printer
        self.directory = directory
    }

    /// The file that holds a payload: named by its first and last job ids.
    public func fileName(for payload: PrintPayload) -> String {
        let first = payload.jobIDs.first ?? 0
        let last = payload.jobIDs.last ?? first
        let range = first == last ? "\(first)" : "\(first)-\(last)"
        return "job-\(range).\(payload.language.rawValue)"
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
        let target = URL(fileURLWithPath: directory).appendingPathComponent(fileName(for: payload))
        let temporary = URL(fileURLWithPath: directory).appendingPathComponent(".\(fileName(for: payload)).partial")
        do {
            try payload.bytes.write(to: temporary)
            let handle = try FileHandle(forUpdating: temporary)
            try handle.synchronize()
            try handle.close()
            if FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.removeItem(at: target)
            }
            try FileManager.default.moveItem(at: temporary, to: target)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw PrintingError(.unreachable, "printer \(printer.name): cannot write \(target.path): \(Self.reason(error, path: directory))", cause: error)
        }
        return delivery
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

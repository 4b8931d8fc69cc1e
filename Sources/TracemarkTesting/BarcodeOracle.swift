import Foundation
import Testing

/// The independent barcode reader in `../shared/oracles/decode.py` beside the repository
/// (zxing-cpp for PNG; zplkit renders ZPL first). Runs as a subprocess whose end is awaited, so
/// no thread of the cooperative pool blocks on it.
enum Oracle {
    static let script: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // LabelsTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // repository
        .deletingLastPathComponent()
        .appendingPathComponent("shared/oracles/decode.py")

    static let templates: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Templates", isDirectory: true)

    struct Barcode: Decodable, Equatable {
        let format: String
        let text: String
        let symbology_identifier: String
        let bytes_hex: String
        let position: [[Int]]
    }
    struct Label: Decodable {
        let width: Int
        let height: Int
        let barcodes: [Barcode]
    }
    struct Result: Decodable {
        let labels: [Label]
        let warnings: [String]
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes a PNG or ZPL file's content; `renderedPNG` receives zplkit's rendering of a ZPL label.
    static func decode(_ data: Data, extension ext: String, dpi: Int = 203, renderedPNG: URL? = nil) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("label.\(ext)")
        let output = folder.appendingPathComponent("out.json")
        let errors = folder.appendingPathComponent("err.txt")
        try data.write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", script.path, input.path, "--dpi", String(dpi)]
        if ext == "png" { arguments = ["python3", script.path, input.path] }
        if let renderedPNG { arguments += ["--png", renderedPNG.path] }
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let json = try Data(contentsOf: output)
        guard status == 0 else {
            let message = String(decoding: json, as: UTF8.self) + String(decoding: try Data(contentsOf: errors), as: UTF8.self)
            throw Failure(description: "decode.py exited \(status): \(message)")
        }
        return try JSONDecoder().decode(Result.self, from: json)
    }
}

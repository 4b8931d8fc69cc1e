public import Foundation

/// The independent barcode reader in `../shared/oracles/decode.py` beside the repository
/// (zxing-cpp and zbar for PNG; a ZPL label is rendered by zplkit first). A test checks what we
/// render with it, never with our own encoder.
public enum BarcodeOracle {
    public struct Barcode: Decodable, Equatable, Sendable {
        public let format: String
        public let text: String
        public let content_type: String
        public let symbology_identifier: String
        public let bytes_hex: String
        public let position: [[Int]]
    }

    public struct Label: Decodable, Sendable {
        public let width: Int
        public let height: Int
        public let barcodes: [Barcode]
    }

    public struct Result: Decodable, Sendable {
        public let labels: [Label]
        public let warnings: [String]
    }

    /// Decodes a PNG or ZPL file's content (`ext` says which); `renderedPNG` receives zplkit's
    /// rendering of a ZPL label.
    public static func decode(_ data: Data, extension ext: String, dpi: Int = 203, renderedPNG: URL? = nil) async throws -> Result {
        let folder = try Command.temporaryFolder("oracle")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("label.\(ext)")
        try data.write(to: input)
        var arguments = [Repository.oracle.path, input.path]
        if ext != "png" { arguments += ["--dpi", String(dpi)] }
        if let renderedPNG { arguments += ["--png", renderedPNG.path] }
        let run = try await Command.run("python3", arguments)
        guard run.status == 0 else {
            throw Command.Failure("decode.py exited \(run.status): \(run.stdout) \(run.stderr)")
        }
        return try JSONDecoder().decode(Result.self, from: Data(run.stdout.utf8))
    }

    /// The barcodes read in a ZPL or PNG file's content, as text (GS1 ones in HRI form), sorted;
    /// with `gs1Only`, only GS1 ones.
    public static func texts(_ data: Data, extension ext: String, dpi: Int = 203, gs1Only: Bool = true) async throws -> [String] {
        let result = try await decode(data, extension: ext, dpi: dpi)
        return result.labels.flatMap(\.barcodes).filter { !gs1Only || $0.content_type == "GS1" }.map(\.text).sorted()
    }
}

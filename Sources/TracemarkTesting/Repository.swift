public import Foundation

/// Where things are, for tests: the repository, its templates, the shared oracle, and the
/// `tracemark` executable built beside the test bundle.
public enum Repository {
    /// The repository's root folder.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped label templates.
    public static let templates = root.appendingPathComponent("Templates", isDirectory: true)

    /// `../shared/oracles/decode.py`, the independent barcode reader.
    public static let oracle = root.deletingLastPathComponent().appendingPathComponent("shared/oracles/decode.py")

    /// `../shared/usb/`: the qemu guest and the umockdev replays (used in place, never copied).
    public static let sharedUSB = root.deletingLastPathComponent().appendingPathComponent("shared/usb", isDirectory: true)

    /// `tracemark`, built beside the tests (found by walking up from the test bundle), or the one
    /// `TRACEMARK_EXECUTABLE` names (`make bench-web` runs the page's test on a release build).
    public static let tracemark: URL = {
        if let path = ProcessInfo.processInfo.environment["TRACEMARK_EXECUTABLE"], !path.isEmpty {
            return URL(fileURLWithPath: path).standardizedFileURL
        }
        var folder = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("tracemark").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("tracemark")
    }()
}

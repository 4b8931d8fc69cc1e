public import Foundation

/// Where templates are found by name: `./Templates`, or the folder `TRACEMARK_TEMPLATES` names.
public enum TemplateLocation {
    /// The templates folder of this process.
    public static var folder: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["TRACEMARK_TEMPLATES"] ?? "Templates", isDirectory: true)
    }

    /// A path as given when the file exists, else NAME, NAME.yaml or NAME.yml in `folder`; the
    /// path as given when none exists, so that the loader's error names what was asked for.
    public static func resolve(_ name: String, in folder: URL = folder) -> URL {
        if FileManager.default.fileExists(atPath: name) { return URL(fileURLWithPath: name) }
        for candidate in [name, name + ".yaml", name + ".yml"] {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: name)
    }
}

public import Foundation

/// Where templates are found by name: the folder `TRACEMARK_TEMPLATES` names; else `./Templates`
/// when there is one (the repository); else, for an installed command (`make install`),
/// `PREFIX/share/tracemark/Templates` beside its `PREFIX/bin`.
public enum TemplateLocation {
    /// The templates folder of this process.
    public static var folder: URL {
        if let named = ProcessInfo.processInfo.environment["TRACEMARK_TEMPLATES"] { return URL(fileURLWithPath: named, isDirectory: true) }
        let local = URL(fileURLWithPath: "Templates", isDirectory: true)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        if let installed = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("share/tracemark/Templates", isDirectory: true),
           FileManager.default.fileExists(atPath: installed.path) {
            return installed
        }
        return local
    }

    /// A path as given when the file exists, else NAME, NAME.yaml, NAME.yml, or a raw NAME.zpl or
    /// NAME.epl in `folder` (`raw/lot-label`, as `templates` lists it without its extension and
    /// the HTTP API takes it; the command line did not, found by a QA run). When
    /// none exists, the name of a template (no folder in it) as `folder`/NAME.yaml and a path as
    /// given, so that the loader's error says where the template was looked for.
    /// `raw`: the printer language asked for (`zpl`, `epl`), whose raw file goes first when a
    /// name has both.
    public static func resolve(_ name: String, in folder: URL = folder, raw: String? = nil) -> URL {
        if FileManager.default.fileExists(atPath: name) { return URL(fileURLWithPath: name) }
        let raws = raw.map { asked in [asked] + ["zpl", "epl"].filter { $0 != asked } } ?? ["zpl", "epl"]
        for candidate in [name, name + ".yaml", name + ".yml"] + raws.map({ name + "." + $0 }) {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        if !name.contains("/"), !["yaml", "yml", "zpl", "epl"].contains((name as NSString).pathExtension.lowercased()) {
            return folder.appendingPathComponent(name + ".yaml")
        }
        return URL(fileURLWithPath: name)
    }
}

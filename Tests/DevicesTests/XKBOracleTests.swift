import Devices
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The X.Org keyboard layouts through libxkbcommon (Debian `libxkbcommon0`, `xkb-data`), loaded at
/// run time: an independent table of what each key types, for checking ours.
final class XKBOracle: @unchecked Sendable {
    private typealias ContextNew = @convention(c) (Int32) -> OpaquePointer?
    private typealias KeymapNew = @convention(c) (OpaquePointer?, UnsafeRawPointer, Int32) -> OpaquePointer?
    private typealias StateNew = @convention(c) (OpaquePointer?) -> OpaquePointer?
    private typealias ModIndex = @convention(c) (OpaquePointer?, UnsafePointer<CChar>) -> UInt32
    private typealias UpdateMask = @convention(c) (OpaquePointer?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) -> Int32
    private typealias OneSym = @convention(c) (OpaquePointer?, UInt32) -> UInt32
    private typealias ToUTF32 = @convention(c) (UInt32) -> UInt32
    private typealias SymName = @convention(c) (UInt32, UnsafeMutablePointer<CChar>, Int) -> Int32

    /// `struct xkb_rule_names`: five C strings.
    private struct RuleNames {
        var rules, model, layout, variant, options: UnsafeMutablePointer<CChar>?
    }

    private let context: OpaquePointer
    /// One caller at a time: an xkb context is not thread-safe (compiling a keymap interns atoms
    /// in the context), and the parameterised test asks for several layouts at once. Two keymaps
    /// compiled concurrently on the shared context crashed the test process once.
    private let lock = NSLock()
    private let keymapNew: KeymapNew, stateNew: StateNew, modIndex: ModIndex, updateMask: UpdateMask
    private let oneSym: OneSym, toUTF32: ToUTF32, symName: SymName

    static let shared = XKBOracle()

    private init?() {
        guard let library = dlopen("libxkbcommon.so.0", RTLD_NOW),
              FileManager.default.fileExists(atPath: "/usr/share/X11/xkb/symbols/de") else { return nil }
        func symbol<T>(_ name: String, _: T.Type) -> T? { dlsym(library, name).map { unsafeBitCast($0, to: T.self) } }
        guard let contextNew = symbol("xkb_context_new", ContextNew.self), let context = contextNew(0),
              let keymapNew = symbol("xkb_keymap_new_from_names", KeymapNew.self), let stateNew = symbol("xkb_state_new", StateNew.self),
              let modIndex = symbol("xkb_keymap_mod_get_index", ModIndex.self),
              let updateMask = symbol("xkb_state_update_mask", UpdateMask.self),
              let oneSym = symbol("xkb_state_key_get_one_sym", OneSym.self), let toUTF32 = symbol("xkb_keysym_to_utf32", ToUTF32.self),
              let symName = symbol("xkb_keysym_get_name", SymName.self) else { return nil }
        (self.context, self.keymapNew, self.stateNew, self.modIndex, self.updateMask) = (context, keymapNew, stateNew, modIndex, updateMask)
        (self.oneSym, self.toUTF32, self.symName) = (oneSym, toUTF32, symName)
    }

    /// Linux's HID usage → evdev key code table (drivers/hid/usbhid/usbkbd.c) for the keys compared.
    static let evdev: [UInt8: UInt32] = {
        let codes: [UInt32] = [30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44,
                               2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        var table: [UInt8: UInt32] = [:]
        for (offset, code) in codes.enumerated() { table[UInt8(0x04 + offset)] = code }
        for (usage, code) in [(0x2D, 12), (0x2E, 13), (0x2F, 26), (0x30, 27), (0x32, 43), (0x33, 39), (0x34, 40), (0x35, 41),
                              (0x36, 51), (0x37, 52), (0x38, 53), (0x64, 86)] as [(UInt8, UInt32)] {
            table[usage] = code
        }
        return table
    }()

    private static let deadKeys: [String: Character] = [
        "dead_acute": "´", "dead_grave": "`", "dead_circumflex": "^", "dead_diaeresis": "¨", "dead_tilde": "~",
    ]

    /// What each compared key types at base, Shift and AltGr level in the xkb layout `name`.
    func table(_ name: String) -> [UInt8: [KeyboardLayout.Output?]] {
        lock.lock()
        defer { lock.unlock() }
        let strings: [UnsafeMutablePointer<CChar>?] = ["evdev", "pc105", name, "", ""].map { (text: String) in strdup(text) }
        defer { strings.forEach { free($0) } }
        var names = RuleNames(rules: strings[0], model: strings[1], layout: strings[2], variant: strings[3], options: strings[4])
        let keymap = withUnsafePointer(to: &names) { keymapNew(context, UnsafeRawPointer($0), 0) }
        let state = stateNew(keymap)
        let shift = UInt32(1) << modIndex(keymap, "Shift"), altGr = UInt32(1) << modIndex(keymap, "Mod5")
        var table: [UInt8: [KeyboardLayout.Output?]] = [:]
        for (usage, code) in Self.evdev {
            table[usage] = [0, shift, altGr].map { mods -> KeyboardLayout.Output? in
                _ = updateMask(state, mods, 0, 0, 0, 0, 0)
                let sym = oneSym(state, code + 8)
                var name = [CChar](repeating: 0, count: 64)
                _ = symName(sym, &name, 64)
                let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if let accent = Self.deadKeys[text] { return .dead(accent) }
                let scalar = toUTF32(sym)
                return scalar == 0 ? nil : Unicode.Scalar(scalar).map { .character(Character($0)) }
            }
        }
        return table
    }
}

@Suite(.enabled(if: XKBOracle.shared != nil, "libxkbcommon0 and xkb-data are not installed (scripts/install-deps.sh installs them)"))
struct XKBOracleTests {
    /// Where the Windows layouts (what scanners emulate, and what our tables follow) and X11's
    /// differ: usage, level, ours, and xkb's.
    static let knownDifferences: [String: [(UInt8, KeyboardLayout.Level, String, String)]] = [
        "us": [(0x64, .base, "\\", "<"), (0x64, .shift, "|", ">")],
        "uk": [(0x35, .altGr, "¦", "|"), (0x04, .altGr, "á", "æ"), (0x08, .altGr, "é", "e"), (0x0C, .altGr, "í", "→"),
               (0x12, .altGr, "ó", "ø"), (0x18, .altGr, "ú", "↓")],
        "fr": [(0x1F, .altGr, "dead~", "~"), (0x24, .altGr, "dead`", "`"), (0x35, .shift, "·", "~")],
        "dk": [(0x22, .altGr, "€", "½")],
        "no": [(0x22, .altGr, "€", "½")],
    ]

    private static func show(_ output: KeyboardLayout.Output?) -> String {
        switch output {
        case .character(let character)?: String(character)
        case .dead(let accent)?: "dead\(accent)"
        case nil: "·"
        }
    }

    @Test(arguments: [("us", "us"), ("uk", "gb"), ("de", "de"), ("fr", "fr"), ("se", "se"), ("dk", "dk"), ("no", "no")])
    func everyKeyTypesWhatXKBSays(ours: String, xkb: String) throws {
        let layout = try #require(KeyboardLayout.named(ours))
        let oracle = try #require(XKBOracle.shared).table(xkb)
        var differences: [String] = []
        for (usage, outputs) in oracle.sorted(by: { $0.key < $1.key }) {
            for level in [KeyboardLayout.Level.base, .shift, .altGr] {
                let mine = layout.output(usage: usage, level: level)
                // Where our table has nothing at AltGr, the scanner cannot send it: not compared.
                if level == .altGr && mine == nil { continue }
                if mine != outputs[level.rawValue] {
                    differences.append("\(String(usage, radix: 16)) \(level) ours \(Self.show(mine)) xkb \(Self.show(outputs[level.rawValue]))")
                }
            }
        }
        let expected = (Self.knownDifferences[ours] ?? []).map { "\(String($0.0, radix: 16)) \($0.1) ours \($0.2) xkb \($0.3)" }
        #expect(differences.sorted() == expected.sorted())
    }
}

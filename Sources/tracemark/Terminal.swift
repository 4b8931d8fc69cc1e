import Foundation

/// Text for a person's terminal: control characters written as visible escapes (`\x1B`), so that
/// a barcode or a registry value holding an escape sequence cannot move the cursor, clear a line or
/// recolour the screen, and so hide the warning printed after it. Line breaks and tabs stay,
/// unless `breaks` is false (one value that must read as one line: a scan's data).
/// JSON output needs none of this: its encoder escapes control characters.
enum Terminal {
    static func visible(_ text: String, breaks: Bool = true) -> String {
        let isControl = breaks ? Self.isControl : { $0.value < 0x20 || Self.isControl($0) }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                out.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out.append(contentsOf: "\\x\(hex.count < 2 ? "0" + hex : hex)".unicodeScalars)
        }
        return String(out)
    }

    /// C0 but line feed and tab, DEL, and C1 (U+0080–U+009F: U+009B is a one-character CSI).
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00..<0x20, 0x7F, 0x80...0x9F: true
        default: false
        }
    }

    /// Writes `bytes` to standard output at once, unbuffered (`print` is fully buffered when the
    /// output is not a terminal). Not `FileHandle.write`, which traps with a backtrace when the
    /// reader has gone (`tracemark serve --check | head -1`): writing simply stops there.
    static func writeOut(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { return }
        }
    }
}

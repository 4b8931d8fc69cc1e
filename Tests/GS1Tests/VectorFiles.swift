import Foundation
@testable import GS1

/// The GS1 test vectors in `../shared/gs1/` beside the repository (never copied into it).
enum VectorFiles {
    /// `<repo>/../shared/gs1/`, found from this source file's path.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // GS1Tests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // repository
        .deletingLastPathComponent()
        .appendingPathComponent("shared/gs1", isDirectory: true)

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    /// Rows of a tab-separated file: the first non-`#` line names the columns.
    static func tsv(_ name: String) throws -> [[String: String]] {
        let lines = try text(name).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
        guard let header = lines.first?.components(separatedBy: "\t") else { return [] }
        return lines.dropFirst().map { line in
            let fields = line.components(separatedBy: "\t")
            var row: [String: String] = [:]
            for (index, name) in header.enumerated() { row[name] = index < fields.count ? fields[index] : "" }
            return row
        }
    }

    /// One JSON object per line.
    static func jsonl(_ name: String) throws -> [[String: Any]] {
        try text(name).split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    static func json(_ text: String) -> [String: Any] {
        guard !text.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return [:]
        }
        return object
    }

    /// Undoes the files' C-style escaping: `\\` is a backslash, `\xHH` a byte.
    static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "\\"), index + 1 < input.count {
                if input[index + 1] == UInt8(ascii: "\\") {
                    bytes.append(UInt8(ascii: "\\"))
                    index += 2
                    continue
                }
                if input[index + 1] == UInt8(ascii: "x"), index + 3 < input.count,
                   let value = UInt8(String(decoding: input[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    index += 4
                    continue
                }
            }
            bytes.append(input[index])
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The day the vectors are read against: they were written in 2021–2026, and two-digit years
    /// such as 99 must fall in the 1900s.
    static let today = CalendarDate(year: 2026, month: 1, day: 27)!
}

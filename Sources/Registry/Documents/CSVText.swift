import Foundation

/// CSV fields as spreadsheets read them (RFC 4180), with cells that a spreadsheet would run as a
/// formula (=, +, -, @) made text; a plain number such as -3 or -0.5 stays a number.
public enum CSVText {
    public static func field(_ value: String) -> String {
        var value = value
        let number = value.count > 1 && value.first == "-" && value.dropFirst().allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        if let first = value.first, "=+-@\t\r".contains(first), !number { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Foundation
public import Yams

/// Where a YAML document is wrong, said for the person who fixes it: templates and the service's
/// configuration file read their YAML through Yams, whose errors name the line libyaml stopped on.
public enum YAMLErrors {
    /// What a YAML error says, and the line to fix: an unclosed bracket is reported where it was
    /// opened (libyaml finds it on a later line), a key given twice on its second line.
    public static func locate(_ error: YamlError, in yaml: String) -> (message: String, line: Int?) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if let context, context.text.contains("flow"), context.mark.line < mark.line {
                let what = context.text.replacingOccurrences(of: "while parsing a ", with: "")
                    .replacingOccurrences(of: "while scanning a ", with: "")
                return ("the \(what) that starts here is not closed: \(problem) (line \(mark.line))", context.mark.line)
            }
            // A tab where YAML indents: libyaml's words ("found character that cannot start any
            // token") did not say it was a tab (found by a QA run).
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            if problem.contains("cannot start any token"), mark.line >= 1, mark.line <= lines.count,
               lines[mark.line - 1].contains("\t") {
                return ("a tab character at column \(mark.column): YAML indents with spaces only; replace the tab with spaces", mark.line)
            }
            return (problem, mark.line)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.joined(separator: ", ")
            if let second = secondOccurrence(at: context.mark, in: yaml) {
                return ("the key \(keys) is given twice, here and on line \(context.mark.line)", second)
            }
            return ("duplicated keys \(keys)", context.mark.line)
        default:
            return ("\(error)", nil)
        }
    }

    /// The line of the next key, in the same mapping, written as the key at `mark` is (same
    /// column, same text up to its colon): where a key given twice is given the second time.
    private static func secondOccurrence(at mark: Mark, in yaml: String) -> Int? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        func key(_ line: Substring) -> Substring? {
            let scalars = line.unicodeScalars
            guard scalars.count > mark.column - 1, mark.column >= 1 else { return nil }
            let start = scalars.index(scalars.startIndex, offsetBy: mark.column - 1)
            guard scalars[..<start].allSatisfy({ $0 == " " || $0 == "-" }), let colon = line[start...].firstIndex(of: ":") else { return nil }
            return line[start..<colon]
        }
        guard let first = key(lines[mark.line - 1]), !first.isEmpty else { return nil }
        for index in mark.line..<lines.count {
            let line = lines[index]
            // A line less indented than the key ends its mapping.
            let indent = line.prefix { $0 == " " }.count
            if !line.trimmingCharacters(in: .whitespaces).isEmpty, !line.trimmingCharacters(in: .whitespaces).hasPrefix("#"),
               indent < mark.column - 1 { return nil }
            if key(line) == first { return index + 1 }
        }
        return nil
    }
}

import Foundation
import GS1
import Mustache

/// A text of the template with Mustache expressions, compiled once when the template is loaded:
/// `"LOT {{lot.number}}"`, `"{{lot.expiry | date: \"dd.MM.yyyy\"}}"`, `"{{expiry(lot.expiry)}}"`.
///
/// swift-mustache has transforms without arguments (`{{name(path)}}`), so a format with a pattern
/// after a pipe is rewritten at load time into a transform named after the pattern. Output is
/// plain text (no HTML escaping): each writer escapes for its printer language itself.
struct Field: Sendable {
    /// The text as written in the template.
    let source: String
    /// `nil` when the text has no expressions (printed as is, without rendering).
    private let template: MustacheTemplate?
    /// Paths outside sections, which the label data must have (checked against the sample).
    let requiredPaths: [String]
    /// Transform names used, which must be formats of the template or built in.
    let transforms: [String]
    /// The same text as plain pieces when it has no sections or partials (the usual field):
    /// rendered without Mustache's reflection and casts, which dominate the per-label time.
    private let pieces: [Piece]?
    /// Blanks after the text's last line break, which swift-mustache drops at the end of a
    /// template: printed after what Mustache renders.
    private let trailingBlanks: String

    private enum Piece: Sendable {
        case text(String)
        /// A value by path, with transforms applied innermost first.
        case value(path: [String], transforms: [String])
    }

    /// Compiles `source`, adding the formats written after pipes to `formats`.
    init(_ source: String, formats: inout [String: FieldFormat]) throws(LabelError) {
        self.source = source
        guard source.contains("{{") else {
            template = nil
            requiredPaths = []
            transforms = []
            pieces = nil
            trailingBlanks = ""
            return
        }
        let (rewritten, paths, transforms) = try Self.rewrite(source, formats: &formats)
        pieces = Self.pieces(rewritten, formats: Set(formats.keys))
        let blanks = rewritten.reversed().prefix { $0 == " " || $0 == "\t" }.count
        let body = rewritten.dropLast(blanks)
        trailingBlanks = body.last?.isNewline == true ? String(rewritten.suffix(blanks)) : ""
        do {
            // The pragma on a line of its own is a standalone tag: its line goes, and the field's
            // first line starts a line for Mustache as it does in the template (a blank first
            // line is kept, a standalone section tag on it is removed).
            template = try MustacheTemplate(
                string: "{{%CONTENT_TYPE:TEXT}}\n" + (trailingBlanks.isEmpty ? Substring(rewritten) : body))
        } catch {
            throw LabelError(.syntax, "field '\(source)' is not a valid Mustache text: \(Self.describe(error))")
        }
        requiredPaths = paths
        self.transforms = transforms
    }

    /// The Mustache parser's error in words, at the place in the field's own text (its first
    /// line is the pragma put before it): the parser's own description named its internal types
    /// and a line the template does not have (found by a QA run).
    static func describe(_ error: any Error) -> String {
        guard let parsed = error as? MustacheTemplate.ParserError else { return "\(error)" }
        let what = switch parsed.error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect?: "a section is closed with another name than it was opened with ({{#a}}…{{/a}})"
        case .unfinishedName?: "a tag is not finished (each {{ needs its }})"
        case .expectedSectionEnd?: "a section is opened and never closed ({{#name}} needs {{/name}})"
        case .invalidSetDelimiter?: "a set-delimiter tag is badly written"
        default: "\(parsed.error)"
        }
        let line = parsed.context.lineNumber - 1
        return "\(what), at line \(line), character \(parsed.context.columnNumber) of the field"
    }

    /// A field that prints `text` as is.
    init(constant text: String) {
        source = text
        template = nil
        requiredPaths = []
        transforms = []
        pieces = nil
        trailingBlanks = ""
    }

    var isConstant: Bool { template == nil }

    /// The values a format applies to directly (`{{lot.expiry | date: "dd.MM.yyyy"}}`): path and
    /// format name, for the data check (a field with sections is not listed).
    var formatted: [(path: String, format: String)] {
        (pieces ?? []).compactMap { piece in
            guard case .value(let path, let transforms) = piece, let innermost = transforms.last else { return nil }
            return (path.joined(separator: "."), innermost)
        }
    }

    /// The field filled with `data`. A value that is a list or an object where text goes, or one
    /// that its date or number format cannot read, is refused: both printed as an empty text, or
    /// as the value unformatted (`QTY abc`), on a label that looked right (found by a QA run).
    func render(_ data: LabelData, formats: [String: FieldFormat]) throws(LabelError) -> String {
        guard template != nil else { return source }
        guard let pieces else { return try renderThroughMustache(data, formats: formats) }
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text):
                out += text
            case .value(let path, let transforms):
                var node = data
                var found = true
                for key in path {
                    switch node {
                    case .object(let members):
                        if let member = members[key] { node = member } else { found = false }
                    case .list(let items) where Int(key).map(items.indices.contains) == true: node = items[Int(key)!]
                    default: found = false
                    }
                    if !found { break }
                }
                guard found, node != .null else { continue }
                if let problem = Self.notText(node, path: path.joined(separator: ".")) { throw problem }
                // As through FieldScope: the innermost transform sees the value (a format applies
                // to it), the others see text, where only the text transforms exist.
                var text: String? = node.text
                for (index, name) in transforms.reversed().enumerated() {
                    if let format = formats[name] {
                        guard index == 0 else {
                            text = nil
                            continue
                        }
                        guard let formatted = format.apply(to: node) else {
                            throw Self.notFormatted(node, path: path.joined(separator: "."), format: format)
                        }
                        text = formatted
                    } else {
                        text = text.flatMap { Self.textTransform(name, $0) }
                    }
                }
                out += text ?? ""
            }
        }
        return out
    }

    /// The field rendered by swift-mustache even when it is plain (to check the two agree).
    func renderThroughMustache(_ data: LabelData, formats: [String: FieldFormat]) throws(LabelError) -> String {
        guard let template else { return source }
        let problems = FieldProblems()
        let text = template.render(FieldScope(value: data, formats: formats, path: "", problems: problems)) + trailingBlanks
        if let problem = problems.first { throw problem }
        return text
    }

    /// A list or an object where text goes: refused, naming what to print instead.
    static func notText(_ value: LabelData, path: String) -> LabelError? {
        let shown = path.isEmpty ? "." : path
        switch value {
        case .list(let items):
            return LabelError(.invalidValue,
                "field '\(shown)' is a list of \(items.count) in the label data, not text: print one of its items ('\(path.isEmpty ? "0" : path + ".0")'), or give the text itself")
        case .object(let members):
            let names = members.keys.sorted().prefix(4).joined(separator: ", ")
            return LabelError(.invalidValue,
                "field '\(shown)' is an object in the label data (with \(names.isEmpty ? "nothing in it" : names)), not text: print one of its values, or give the text itself")
        default:
            return nil
        }
    }

    /// A value its format cannot read.
    static func notFormatted(_ value: LabelData, path: String, format: FieldFormat) -> LabelError {
        let kind = switch format {
        case .date(let pattern): "a date (YYYY-MM-DD) for the date format '\(pattern)'"
        case .number(let pattern): "a number for the number format '\(pattern)'"
        }
        let shown: String = switch value {
        case .string(let text): text.debugDescription
        case .list: "a list"
        case .object: "an object"
        default: value.text
        }
        return LabelError(.invalidValue, "field '\(path.isEmpty ? "." : path)' is \(shown), not \(kind)")
    }

    /// Plain pieces for a rewritten text whose tags are all `{{path}}` or `{{name(path)}}` with
    /// formats or the text transforms; `nil` for anything else (sections, partials, `.`, `empty`).
    private static func pieces(_ rewritten: String, formats: Set<String>) -> [Piece]? {
        var pieces: [Piece] = []
        var rest = Substring(rewritten)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
            var expression = Substring(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
            guard let first = expression.first, first.isLetter || first == "_" else { return nil }
            var names: [String] = []
            while let paren = expression.firstIndex(of: "("), expression.hasSuffix(")") {
                names.append(String(expression[..<paren]).trimmingCharacters(in: .whitespaces))
                expression = expression[expression.index(after: paren)..<expression.index(before: expression.endIndex)]
            }
            let path = expression.trimmingCharacters(in: .whitespaces)
            let allowed = names.allSatisfy { formats.contains($0) || ["uppercased", "lowercased", "capitalized", "percentEncoded"].contains($0) }
            guard allowed, !path.isEmpty, !path.hasPrefix("."), path.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else {
                return nil
            }
            pieces.append(.value(path: path.split(separator: ".").map(String.init), transforms: names))
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces
    }

    /// Rewrites `{{path | date: "pattern"}}` into `{{_date_N(path)}}`, and lists the paths and
    /// transforms of the tags outside sections.
    private static func rewrite(
        _ source: String, formats: inout [String: FieldFormat]
    ) throws(LabelError) -> (String, [String], [String]) {
        var output = ""
        var paths: [String] = []
        var transforms: [String] = []
        var depth = 0
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw LabelError(.syntax, "field '\(source)' has '{{' without '}}'")
            }
            var tag = afterOpen[..<close.lowerBound]
            var end = close.upperBound
            if tag.hasPrefix("{"), afterOpen[close.upperBound...].hasPrefix("}") {
                tag = tag.dropFirst()  // {{{name}}}: the same as {{name}} in plain text
                end = afterOpen.index(after: close.upperBound)
            }
            rest = afterOpen[end...]
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            guard let first = trimmed.first else {
                throw LabelError(.syntax, "field '\(source)' has an empty '{{}}'")
            }
            switch first {
            case "#", "^":
                depth += 1
                output += "{{" + tag + "}}"
                continue
            case "/":
                depth -= 1
                output += "{{" + tag + "}}"
                continue
            case ">", "<", "$":
                // A partial or a block: Mustache finds no other template and prints nothing there.
                throw LabelError(.syntax,
                    "field '\(source)': '{{\(trimmed)}}' takes in another template (a partial or a block), which label fields do not have: write its text in the field")
            case "!", "%", "=":
                output += "{{" + tag + "}}"
                continue
            default:
                break
            }
            var expression = trimmed.hasPrefix("&") ? String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces) : trimmed
            if let pipe = expression.firstIndex(of: "|") {
                let path = expression[..<pipe].trimmingCharacters(in: .whitespaces)
                let filter = expression[expression.index(after: pipe)...].trimmingCharacters(in: .whitespaces)
                guard let colon = filter.firstIndex(of: ":") else {
                    throw LabelError(.syntax, "field '\(source)': a pipe needs 'date: \"pattern\"' or 'number: \"pattern\"'")
                }
                let kind = filter[..<colon].trimmingCharacters(in: .whitespaces)
                var pattern = filter[filter.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard pattern.count >= 2, pattern.first == "\"" || pattern.first == "'", pattern.last == pattern.first else {
                    throw LabelError(.syntax, "field '\(source)': the pattern after '\(kind):' must be in quotes")
                }
                pattern = String(pattern.dropFirst().dropLast())
                let format: FieldFormat
                switch kind {
                case "date": format = .date(pattern)
                case "number": format = .number(pattern)
                default:
                    throw LabelError(.syntax, "field '\(source)': unknown format '\(kind)' (use date or number)")
                }
                try format.validate()
                let name = Self.transformName(for: format)
                formats[name] = format
                expression = "\(name)(\(path))"
            }
            // name(inner(path)): the transforms, then the path.
            var names: [String] = []
            var path = Substring(expression)
            while let paren = path.firstIndex(of: "("), path.hasSuffix(")") {
                names.append(String(path[..<paren]).trimmingCharacters(in: .whitespaces))
                path = path[path.index(after: paren)..<path.index(before: path.endIndex)]
            }
            let cleanPath = path.trimmingCharacters(in: .whitespaces)
            // `items.` or `lot..number`: Mustache would print its own scope object on the label
            // (found by the Mustache fuzz target); a template typo, said as one.
            if cleanPath != ".", cleanPath.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                throw LabelError(.syntax, "field '\(source)': '\(cleanPath)' has an empty name before or after a dot")
            }
            if depth == 0, cleanPath != "." { paths.append(cleanPath) }
            transforms += names
            output += "{{" + expression + "}}"
        }
        output += rest
        return (output, paths, transforms)
    }

    /// A transform name that is a valid Mustache name and unique per pattern.
    private static func transformName(for format: FieldFormat) -> String {
        let (kind, pattern) = switch format {
        case .date(let pattern): ("date", pattern)
        case .number(let pattern): ("number", pattern)
        }
        let hex = pattern.utf8.map { String($0, radix: 16) }.joined()
        return "_\(kind)_\(hex)"
    }

    /// Transforms that every template has.
    static let builtInTransforms: Set<String> = ["uppercased", "lowercased", "capitalized", "empty", "percentEncoded"]

    /// A text transform of `text`: swift-mustache's, and `percentEncoded`, every byte but
    /// RFC 3986's unreserved characters as %XX, for a value inside a URI (a GS1 Digital Link's
    /// `/21/{{percentEncoded(serial.number)}}`: a serial `A/B&001%` made a link that no reader, the
    /// registry's own included, takes apart right; found by a QA run).
    static func textTransform(_ name: String, _ text: String) -> String? {
        // The escape the GS1 Digital Link builder writes a path's value with.
        name == "percentEncoded" ? DigitalLinkSyntax.escape(text, query: false) : text.transform(name) as? String
    }
}

/// What Mustache walks: a value of the label data together with the template's formats, so that
/// a transform named after a format can apply it.
private struct FieldScope: MustacheParent, MustacheTransformable, MustacheCustomRenderable {
    let value: LabelData
    let formats: [String: FieldFormat]
    /// Where the value is in the label data (`lot.number`), for messages.
    let path: String
    let problems: FieldProblems

    func child(named name: String) -> Any? {
        switch value {
        case .object(let members):
            guard let child = members[name] else { return nil }
            return wrap(child, name)
        case .list(let items):
            guard let index = Int(name), items.indices.contains(index) else { return nil }
            return wrap(items[index], name)
        default:
            return nil
        }
    }

    private func wrap(_ child: LabelData, _ name: String) -> Any? {
        let path = self.path.isEmpty ? name : self.path + "." + name
        switch child {
        case .null: return nil
        case .bool(let flag): return flag
        case .list(let items):
            return FieldList(items: items.enumerated().map { FieldScope(value: $1, formats: formats, path: path + ".\($0)", problems: problems) },
                             path: path, problems: problems)
        default: return FieldScope(value: child, formats: formats, path: path, problems: problems)
        }
    }

    func transform(_ name: String) -> Any? {
        if let format = formats[name] {
            if let formatted = format.apply(to: value) { return formatted }
            problems.record(Field.notFormatted(value, path: path, format: format))
            return value.text
        }
        return Field.textTransform(name, value.text)
    }

    var renderText: String {
        if let problem = Field.notText(value, path: path) { problems.record(problem) }
        return value.text
    }
    var isNull: Bool { value == .null }
}

/// The first value that could not be printed while Mustache filled a field (its walk cannot
/// throw): the field is refused after it.
private final class FieldProblems: @unchecked Sendable {
    private(set) var first: LabelError?

    func record(_ problem: LabelError) {
        if first == nil { first = problem }
    }
}

/// A list of the label data as Mustache sees it: a sequence for sections (`{{#items}}…{{/items}}`),
/// items by index (`{{items.1}}`), the list transforms (`first`, `count`, …), and no text of its
/// own, as in the plain renderer (a Swift array would print its description on the label).
private struct FieldList: MustacheSequence, MustacheParent, MustacheTransformable, MustacheCustomRenderable {
    let items: [FieldScope]
    let path: String
    let problems: FieldProblems

    func makeIterator() -> IndexingIterator<[FieldScope]> { items.makeIterator() }

    func child(named name: String) -> Any? {
        guard let index = Int(name), items.indices.contains(index) else { return nil }
        return items[index]
    }

    func transform(_ name: String) -> Any? { items.transform(name) }

    var renderText: String {
        if let problem = Field.notText(.list(items.map(\.value)), path: path) { problems.record(problem) }
        return ""
    }
    var isNull: Bool { false }
}

package import Foundation

/// A field named twice in one object of a JSON body (`{"quantity": 1, "quantity": 100}`).
/// JSON leaves such a body's meaning open (RFC 8259 §4: parsers differ; Foundation keeps one,
/// a proxy or an audit log in front may keep the other), so a write that says two things is
/// refused, naming the field and where it is, rather than posted with one of them.
package enum DuplicateKey {
    private enum Frame {
        case object(keys: Set<String>, key: String?, expectingKey: Bool)
        case array(index: Int)
    }

    /// The place of the first field named twice, or nil (also for a body that is not JSON: the
    /// decoder says what is wrong with that).
    package static func find(in body: Data) -> String? {
        body.withUnsafeBytes { raw -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var stack: [Frame] = []
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                switch byte {
                case UInt8(ascii: "{"):
                    stack.append(.object(keys: [], key: nil, expectingKey: true))
                case UInt8(ascii: "["):
                    stack.append(.array(index: 0))
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard stack.popLast() != nil else { return nil }
                case UInt8(ascii: ","):
                    switch stack.last {
                    case .array(let index)?: stack[stack.count - 1] = .array(index: index + 1)
                    case .object(let keys, let key, _)?: stack[stack.count - 1] = .object(keys: keys, key: key, expectingKey: true)
                    case nil: return nil
                    }
                case UInt8(ascii: "\""):
                    guard let (text, end) = string(bytes, from: i) else { return nil }
                    i = end
                    if case .object(var keys, _, true)? = stack.last {
                        guard keys.insert(text).inserted else {
                            return ProblemDocument.place(path(stack.dropLast()) + [.key(text)])
                        }
                        stack[stack.count - 1] = .object(keys: keys, key: text, expectingKey: false)
                    }
                default:
                    break
                }
                i += 1
            }
            return nil
        }
    }

    private static func path(_ frames: ArraySlice<Frame>) -> [ProblemDocument.Either] {
        frames.compactMap { frame in
            switch frame {
            case .object(_, let key, _): return key.map { .key($0) }
            case .array(let index): return .index(index)
            }
        }
    }

    /// The string that starts at `start` (its opening quote), decoded, and the index of its
    /// closing quote.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (String, Int)? {
        var i = start + 1
        var escaped = false
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"):
                escaped = true
                i += 2
                continue
            case UInt8(ascii: "\""):
                let inner = UnsafeBufferPointer(rebasing: bytes[(start + 1)..<i])
                if !escaped { return (String(decoding: inner, as: UTF8.self), i) }
                // Escapes (\u0061 is a): the text JSON means, as the decoder would compare it.
                let quoted = Data(UnsafeBufferPointer(rebasing: bytes[start...i]))
                guard let text = try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed]) as? String else { return nil }
                return (text, i)
            default:
                i += 1
            }
        }
        return nil
    }
}

/// A NUL (`\u0000`) in a string of a JSON body, key or value. No text Tracemark keeps takes one:
/// PostgreSQL refuses it (a 500 that quoted the database, found by a QA run) and SQLite's C
/// strings end there. Bodies without the escape, nearly all, are not parsed again.
enum NULCharacter {
    static func find(in body: Data) -> String? {
        guard body.range(of: Data(#"\u0000"#.utf8)) != nil,
              let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else { return nil }
        return find(value, at: []).map(ProblemDocument.place)
    }

    private static func find(_ value: Any, at path: [ProblemDocument.Either]) -> [ProblemDocument.Either]? {
        switch value {
        case let text as String:
            return text.contains("\0") ? path : nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if key.contains("\0") { return path + [.key(key)] }
                if let found = find(object[key]!, at: path + [.key(key)]) { return found }
            }
            return nil
        case let array as [Any]:
            for (index, item) in array.enumerated() {
                if let found = find(item, at: path + [.index(index)]) { return found }
            }
            return nil
        default:
            return nil
        }
    }
}

import Foundation

/// Reads what a ZPL printer sends back, as it arrives: `~HS` answers (three `STX … ETX` strings)
/// and SGD answers (`"value"`), in any order and cut anywhere by TCP segments.
///
/// A value type fed bytes: it holds an unfinished string until the rest arrives, so a reply split
/// across reads is decoded once, whole. Bytes outside a frame or quotes (CR, LF, noise) are skipped.
public struct ZPLReplyReader: Sendable {
    /// One complete reply.
    public enum Reply: Sendable, Equatable {
        /// A `~HS` answer.
        case hostStatus(ZPLHostStatus)
        /// Three strings that do not decode as a `~HS` answer, as received.
        case unreadableHostStatus(String)
        /// The value of an SGD `getvar`, without its quotes.
        case variable(String)
    }

    /// A frame or value longer than this is noise: it is dropped rather than grown without end.
    private static let longest = 512

    private var frames: [String] = []
    private var frame: [UInt8]?
    private var quoted: [UInt8]?
    /// Replies decoded so far, oldest first, until taken.
    public private(set) var replies: [Reply] = []

    public init() {}

    /// Adds received bytes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if var current = frame {
                if byte == 0x03 {
                    frame = nil
                    frames.append(String(decoding: current, as: UTF8.self))
                    if frames.count == 3 { finishHostStatus() }
                } else if byte == 0x02 {
                    frame = []  // a new frame starts: the last one was cut short
                } else if current.count < Self.longest {
                    current.append(byte)
                    frame = current
                } else {
                    frame = nil
                }
            } else if var value = quoted {
                if byte == UInt8(ascii: "\"") {
                    quoted = nil
                    replies.append(.variable(String(decoding: value, as: UTF8.self)))
                } else if value.count < Self.longest {
                    value.append(byte)
                    quoted = value
                } else {
                    quoted = nil
                }
            } else if byte == 0x02 {
                frame = []
            } else if byte == UInt8(ascii: "\"") {
                quoted = []
            }
        }
    }

    /// Removes and returns the replies decoded so far.
    public mutating func take() -> [Reply] {
        defer { replies = [] }
        return replies
    }

    private mutating func finishHostStatus() {
        let strings = frames
        frames = []
        if let status = ZPLHostStatus(string1: Substring(strings[0]), string2: Substring(strings[1]),
                                      string3: Substring(strings[2])) {
            replies.append(.hostStatus(status))
        } else {
            replies.append(.unreadableHostStatus(strings.joined(separator: " | ")))
        }
    }

    /// The label counter in an SGD answer for `odometer.total_label_count`: a whole number, or nil
    /// for `"?"` (a printer that does not know the variable) and anything else.
    public static func labelCounter(fromVariable value: String) -> Int? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCII), trimmed.allSatisfy(\.isNumber) else { return nil }
        return Int(trimmed)
    }
}

extension ZPLReplyReader {
    /// `~HS`: the host status query, answered at once even while formats wait in the buffer.
    public static let hostStatusQuery: [UInt8] = Array("~HS".utf8)
    /// The Link-OS SGD query for the printer's label counter.
    public static let labelCounterQuery: [UInt8] = Array("! U1 getvar \"odometer.total_label_count\"\r\n".utf8)
}

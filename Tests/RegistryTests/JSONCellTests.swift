import Foundation
@testable import Registry
import Testing

/// The resolve statement's JSON reader, checked against Foundation's `JSONSerialization` (the
/// reader it replaced) on what databases write and on what no database should.
struct JSONCellTests {
    /// `JSONSerialization`'s reading, in the reader's terms.
    private static func foundation(_ text: String) -> JSONCell? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return nil }
        func cell(_ value: Any) -> JSONCell? {
            switch value {
            case is NSNull: return .null
            case let text as String: return .text(text)
            case let list as [Any]:
                let cells = list.compactMap(cell)
                return cells.count == list.count ? .list(cells) : nil
            case let number as NSNumber:
                // Booleans come as numbers whose Objective-C type is "c" (char), which numbers never have.
                if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
                return .number(number.intValue, text: number.stringValue)
            default: return nil
            }
        }
        return cell(object)
    }

    static let written = [
        #"[["MAIN",5],["SHOP",-12]]"#,
        #"[]"#,
        #"null"#,
        #"["issue","ISS-000001","2026-11-23","MAIN",null,null,-1,"2026-11-23T10:00:00.000Z"]"#,
        #"[["MAIN",["LOT7","2027-01-31","2026-11-01"]],["SHOP",null]]"#,
        #"[["note","text","a \"quoted\" back\\slash\/ and\ttab\nline"]]"#,
        #"["é ü 漢字 \u00e9 \u6f22 \ud83d\ude00 😀"]"#,
        #" [ 1 , [ ] , [ [ ] ] , true , false ] "#,
        #"[9223372036854775807,-9223372036854775808,0]"#,
    ]

    @Test(arguments: written)
    func readsWhatDatabasesWriteAsFoundationDoes(text: String) throws {
        let ours = try JSONCell(parsing: text)
        let theirs = try #require(Self.foundation(text), "Foundation reads \(text)")
        // Numbers compare by value (Foundation's text of a number is its own).
        func normalised(_ cell: JSONCell) -> JSONCell {
            switch cell {
            case .number(let value, _): .number(value, text: "")
            case .list(let cells): .list(cells.map(normalised))
            default: cell
            }
        }
        #expect(normalised(ours) == normalised(theirs))
    }

    @Test func numbersKeepTheirValueAndText() throws {
        #expect(try JSONCell(parsing: "-42").integer == -42)
        #expect(try JSONCell(parsing: "5.0").integer == 5)
        #expect(try JSONCell(parsing: "2.5").integer == nil)
        #expect(try JSONCell(parsing: "1e3") == .number(nil, text: "1e3"))
        #expect(try JSONCell(parsing: #""17""#).integer == 17)
    }

    static let malformed = [
        "", "[", "]", "[1,]", "[,1]", "[1 2]", #"["open"#, #""\x""#, #""\u12""#, #""\ud83d""#, #""\ud83dx""#,
        "nul", "tru", "01a", "-", "1.", "1e", "[1]]", #"{"a":1}"#, "\"tab\tinside\"", "+1",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ]

    /// Malformed text is refused, never read as something else; nesting deeper than any statement
    /// builds is refused before it can exhaust the stack.
    @Test(arguments: malformed)
    func refusesMalformedText(text: String) {
        #expect(throws: JSONCell.Malformed.self) { try JSONCell(parsing: text) }
    }
}

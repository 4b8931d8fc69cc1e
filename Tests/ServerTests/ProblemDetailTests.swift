import Foundation
import Registry
@testable import Server
import Testing

/// A body the API cannot read is answered with where in it and what is wrong, in plain words.
@Suite struct ProblemDetailTests {
    struct Line: Decodable { var product: String; var quantity: Double; var done: Bool? }
    struct Body: Decodable { var warehouse: String; var lines: [Line] }

    func problem(_ json: String) -> String {
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
            return "decoded"
        } catch let error as DecodingError {
            return ProblemDocument.describe(error)
        } catch {
            return "\(error)"
        }
    }

    @Test func aBadBodyIsDescribedByItsPlaceAndInWords() {
        #expect(problem(#"{"warehouse": "MAIN", "lines": [{"product": "A", "quantity": 1}, {"product": "B", "quantity": "x"}]}"#)
                == "lines[1].quantity (item 2 of lines): expected a number, found a string")
        #expect(problem(#"{"warehouse": "MAIN", "lines": [{"product": "A"}]}"#) == "lines[0].quantity (item 1 of lines) is missing")
        #expect(problem(#"{"lines": []}"#) == "warehouse is missing")
        #expect(problem(#"{"warehouse": "MAIN", "lines": [{"product": "A", "quantity": 1, "done": "yes"}]}"#)
                == "lines[0].done (item 1 of lines): expected true or false, found a string")
        #expect(problem(#"{"warehouse": "MAIN", "lines": {"product": "A"}}"#) == "lines: expected a list, found an object")
        #expect(problem(#"{"warehouse": "MAIN", "lines": [{"product": 7, "quantity": 1}]}"#)
                == "lines[0].product (item 1 of lines): expected a string, found a number")
        #expect(problem("[]") == "the body: expected an object, found a list")
        #expect(problem(#"{"warehouse": null, "lines": []}"#) == "warehouse: expected a string, found null")
        #expect(problem("{") == "not valid JSON")
    }

    /// Only a field named twice in one object is a duplicate: the same name in sibling or nested
    /// objects, or inside a string, is not.
    @Test func aFieldNamedTwiceIsFoundOnlyInItsOwnObject() {
        #expect(DuplicateKey.find(in: Data(#"{"a": {"b": 1, "a": 0}, "c": [{"b": 2}, {"b": 3}], "d": "{\"a\": 1, \"a\": 2}"}"#.utf8)) == nil)
        #expect(DuplicateKey.find(in: Data(#"[{"x": [1, {"y": 1, "y": 2}]}]"#.utf8)) == "[0].x[1].y (item 2 of x)")
        #expect(DuplicateKey.find(in: Data(#"{"k\"": 1, "k\u0022": 2}"#.utf8)) == "k\"")
        #expect(DuplicateKey.find(in: Data("not json {".utf8)) == nil)
    }

    /// A value an enumeration does not have is named with the values it takes, not in Swift's words.
    @Test func aValueNotInAnEnumerationListsTheValues() throws {
        struct Change: Decodable { var status: LotSerial.Status; var reason: String }
        do {
            _ = try JSONDecoder().decode(Change.self, from: Data(#"{"status": "held", "reason": "x"}"#.utf8))
            Issue.record("decoded")
        } catch let error as DecodingError {
            #expect(ProblemDocument.describe(error)
                    == "status: \"held\" is not a value it takes: use one of available, quarantined, blocked, consumed, shipped, written-off, voided")
        }
    }
}

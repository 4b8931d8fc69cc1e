@testable import GS1

/// Element strings made without the builder's checks, to reach libzint with bad data.
enum GS1ElementsForTest {
    static func unchecked(_ pairs: [(String, String)]) -> ElementString {
        ElementString(ordered: pairs.map { AIElement(ai: $0.0, value: $0.1) })
    }
}

import Problems
public import SQLKit

/// A list of values sent as one JSON parameter, read back as rows by the database: the subquery of
/// `x IN (…)`. One statement text (and one kept statement) whatever the count, rather than a
/// placeholder per value.
public struct SQLJSONList: SQLExpression {
    private let json: String
    private let integers: Bool

    public init(_ values: some Sequence<Int64>) {
        json = "[" + values.map(String.init).joined(separator: ",") + "]"
        integers = true
    }

    public init(_ values: some Sequence<String>) {
        var json = "["
        for value in values {
            if json.utf8.count > 1 { json += "," }
            JSONText.append(value, to: &json)
        }
        self.json = json + "]"
        integers = false
    }

    public func serialize(to serializer: inout SQLSerializer) {
        if serializer.dialect.name == "postgresql" {
            serializer.write(integers ? "SELECT CAST(json_array_elements_text(" : "SELECT json_array_elements_text(")
            SQLBind(json).serialize(to: &serializer)
            serializer.write(integers ? "::json) AS BIGINT)" : "::json)")
        } else {
            serializer.write("SELECT value FROM json_each(")
            SQLBind(json).serialize(to: &serializer)
            serializer.write(")")
        }
    }
}

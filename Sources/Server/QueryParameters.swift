import Yams

/// The query parameters each operation takes, read from the OpenAPI document: a parameter it
/// does not take (a misspelt `prodcut`), or one given twice, is refused with 400 naming it. Both
/// were ignored: a stock query with a typo in its filter answered the whole stock, and
/// `kind=receipt&kind=issue` the issues alone (found by a QA run).
enum QueryParameters {
    /// Operation id → the names of its query parameters; an operation missing here is not checked.
    static let allowed: [String: Set<String>] = read(OpenAPIDocument.yaml)

    static func read(_ yaml: String) -> [String: Set<String>] {
        guard let root = (try? Yams.compose(yaml: yaml))?.mapping, let paths = root["paths"]?.mapping else { return [:] }
        let shared = root["components"]?.mapping?["parameters"]?.mapping
        /// A parameter's name when it is in the query (its `$ref` followed).
        func queryName(_ node: Node) -> String? {
            var parameter = node.mapping
            if let reference = parameter?["$ref"]?.string, let name = reference.split(separator: "/").last {
                parameter = shared?[String(name)]?.mapping
            }
            guard parameter?["in"]?.string == "query" else { return nil }
            return parameter?["name"]?.string
        }
        var allowed: [String: Set<String>] = [:]
        for (_, item) in paths {
            guard let operations = item.mapping else { continue }
            let common = operations["parameters"]?.sequence.map { Array($0) } ?? []
            for (method, operation) in operations where method.string != "parameters" {
                guard let operation = operation.mapping, let id = operation["operationId"]?.string else { continue }
                let own = operation["parameters"]?.sequence.map { Array($0) } ?? []
                allowed[id] = Set((common + own).compactMap(queryName))
            }
        }
        return allowed
    }

    /// Refuses a query with a parameter `operation` does not take, or one given twice.
    static func check(_ names: [String], operation: String) throws {
        guard let allowed = allowed[operation] else { return }
        var seen = Set<String>()
        for name in names {
            guard allowed.contains(name) else {
                throw APIProblem.badRequest(allowed.isEmpty
                    ? "this operation takes no query parameters, not \(name)"
                    : "unknown query parameter \(name): this operation takes \(allowed.sorted().joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else {
                throw APIProblem.badRequest("query parameter \(name) is given twice: give it once")
            }
        }
    }
}

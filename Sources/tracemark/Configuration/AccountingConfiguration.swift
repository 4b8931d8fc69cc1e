import Foundation
import Registry
import Yams

/// The `accounting:` section of the configuration file: where stock value changes are booked.
///
///     accounting:
///       company: Exempel AB
///       organisation-number: 556677-8899
///       series: L
///       accounts:
///         stock: 1460                 # the stock account
///         warehouses: {EAST: 1461}    # a warehouse with its own stock account
///         default: 4960               # the counter account of every kind not named
///         receipt: 4960               # per document kind: receipt, issue, transfer, production,
///         write-off: 4980             #   return, write-off, split, assignment
///       names: {1461: "Lager Öst"}
enum AccountingConfiguration {
    /// Reads the section from `node` (its value), adding what is wrong to `problems`.
    static func parse(_ node: Node, problem: (Node?, String) -> Void) -> StockAccounts {
        var accounts = StockAccounts()
        guard let fields = node.mapping else {
            problem(node, "accounting must be a mapping of company, organisation-number, series, accounts, names")
            return accounts
        }
        func text(_ value: Node, _ what: String) -> String? {
            guard let text = value.scalar?.string else { problem(value, "\(what) must be a single value"); return nil }
            return text
        }
        func account(_ value: Node, _ what: String) -> Int? {
            guard let text = text(value, what) else { return nil }
            guard let number = Int(text), (1000...9999).contains(number) else {
                problem(value, "\(what) \(text) is not an account number of the chart (four digits, 1000 to 9999)")
                return nil
            }
            return number
        }
        for (key, value) in fields {
            switch key.string ?? "" {
            case "company": if let company = text(value, "accounting.company") { accounts.company = company }
            case "organisation-number": accounts.organisationNumber = text(value, "accounting.organisation-number")
            case "series": if let series = text(value, "accounting.series"), !series.isEmpty { accounts.series = series }
            case "accounts":
                guard let entries = value.mapping else { problem(value, "accounting.accounts must be a mapping"); continue }
                for (name, setting) in entries {
                    let kind = name.string ?? ""
                    switch kind {
                    case "stock": if let number = account(setting, "accounting.accounts.stock") { accounts.stock = number }
                    case "default": if let number = account(setting, "accounting.accounts.default") { accounts.defaultCounter = number }
                    case "warehouses":
                        guard let warehouses = setting.mapping else { problem(setting, "accounting.accounts.warehouses must map warehouse codes to accounts"); continue }
                        for (code, number) in warehouses {
                            if let number = account(number, "accounting.accounts.warehouses.\(code.string ?? "?")") { accounts.warehouses[code.string ?? ""] = number }
                        }
                    default:
                        guard let documentKind = DocumentKind(rawValue: kind) else {
                            problem(name, "unknown key accounting.accounts.\(kind): it takes stock, warehouses, default and document kinds (\(DocumentKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                            continue
                        }
                        if let number = account(setting, "accounting.accounts.\(kind)") { accounts.counter[documentKind] = number }
                    }
                }
            case "names":
                guard let names = value.mapping else { problem(value, "accounting.names must map account numbers to names"); continue }
                for (number, name) in names {
                    if let number = account(number, "accounting.names key"), let name = text(name, "accounting.names.\(number)") { accounts.names[number] = name }
                }
            default:
                problem(key, "unknown key accounting.\(key.string ?? "?"): it takes company, organisation-number, series, accounts, names")
            }
        }
        return accounts
    }

    /// The warehouse codes `accounts.warehouses` names in the section `node`, with their lines.
    static func warehouses(_ node: Node) -> [(code: String, line: Int)] {
        guard let list = node.mapping?["accounts"]?.mapping?["warehouses"]?.mapping else { return [] }
        return list.compactMap { key, _ in key.string.map { ($0, key.mark?.line ?? 0) } }
    }

    /// The warehouses of `named` (`accounts.warehouses`, with their lines) the registry does not
    /// have, each as a problem: its line, and what is wrong.
    static func unknownWarehouses(_ named: [(code: String, line: Int)], known: Set<String>) -> [(line: Int, message: String)] {
        named.filter { !known.contains($0.code) }.map {
            ($0.line, "accounting.accounts.warehouses: no warehouse \($0.code) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// The section of the configuration file at `path`, or the defaults when the file has none,
    /// with the warehouses its `accounts.warehouses` names (for ``unknownWarehouses(_:known:)``).
    static func load(_ path: String) throws -> (accounts: StockAccounts, warehouses: [(code: String, line: Int)]) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ServeConfiguration.ProblemList([.init(file: path, line: 0, message: "cannot read the configuration: \(error.localizedDescription)")])
        }
        var problems: [ServeConfiguration.Problem] = []
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ServeConfiguration.ProblemList([.init(file: path, line: 0, message: "not valid YAML: \(error)")])
        }
        guard let section = root?.mapping?.first(where: { $0.key.string == "accounting" })?.value else { return (StockAccounts(), []) }
        let accounts = parse(section) { node, message in problems.append(.init(file: path, line: node?.mark?.line ?? 0, message: message)) }
        guard problems.isEmpty else { throw ServeConfiguration.ProblemList(problems) }
        return (accounts, warehouses(section))
    }
}

import ArgumentParser
import Foundation
import GS1
import Registry

/// `trace`: where a lot or serial went, or what it came from, as a tree, JSON or Graphviz DOT.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Where a lot or serial went (--forward) or came from (--backward), through production and splits.",
        discussion: """
            Forward ends at the customers who received the lot or anything made from it; backward at \
            the suppliers of every component lot. --dot prints Graphviz DOT (dot -Tsvg trace.dot > trace.svg).
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Argument(help: "The lot or serial.") var number: String
    @Flag(help: "Forward, to what was made from it and its customers (the default), or backward, to its inputs and suppliers.")
    var direction: TraceTree.Direction = .forward
    @Option(help: "At most this many production levels (1 to 1000).") var depth = 50
    @Flag(help: "Print Graphviz DOT.") var dot = false

    func validate() throws {
        guard (1...1000).contains(depth) else { throw ValidationError("--depth \(depth): give 1 to 1000 production levels") }
        if dot, options.json { throw ValidationError("--dot and --json: give one of them") }
    }

    func run() async throws {
        let tree = try await options.withExistingRegistry { try await $0.trace(product: product, number: number, direction: direction, depth: depth) }
        if dot { print(tree.dot, terminator: ""); return }
        try options.emit(tree) {
            tree.text + "\n\n\(tree.count) lot\(tree.count == 1 ? "" : "s")/serial\(tree.count == 1 ? "" : "s");"
                + " \(tree.direction == .forward ? "customers" : "suppliers"): \(tree.partners.isEmpty ? "none" : tree.partners.joined(separator: ", "))"
        }
    }
}

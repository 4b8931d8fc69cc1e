import ArgumentParser
import Foundation
import Registry
import Server

/// `tracemark token`: the HTTP API's tokens. A token is shown once, when it is created.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the HTTP API's tokens.",
        discussion: """
            Roles: viewer reads; operator scans, prints and opens and completes station tasks; supervisor \
            makes the overrides (expired goods, quarantine, cancel, reprint, void); admin changes \
            configuration, printers and tokens. Send a token as Authorization: Bearer <token>.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (once: only its hash is kept).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Its name: who or what uses it (erp, dock-tablet, eva).") var name: String
        @Option(help: "viewer, operator, supervisor or admin.") var role: String

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role \(role) is not one of viewer, operator, supervisor, admin")
            }
            let created = try await options.withRegistry { registry in
                try await APITokens(store: registry.store).create(name: name, role: role, by: defaultUser())
            }
            struct Created: Encodable { var name: String; var role: String; var token: String }
            // The token alone on standard output, so that TOKEN=$(tracemark token create …) holds
            // it; the reminder on standard error (captured with it, it broke the header; a QA run).
            if !options.json {
                FileHandle.standardError.write(Data("(token \(created.token.name), role \(role.rawValue): store it now, it is not shown again)\n".utf8))
            }
            try options.emit(Created(name: created.token.name, role: role.rawValue, token: created.secret)) { created.secret }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their secrets).")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let tokens = try await options.withExistingRegistry { try await APITokens(store: $0.store).list() }
            try options.emit(tokens) {
                tokens.isEmpty ? "no tokens" : tokens.map { token in
                    "\(token.name)\t\(token.role.rawValue)\tcreated \(token.createdAt) by \(token.createdBy)"
                        + (token.revokedAt.map { "\trevoked \($0)" } ?? "")
                }.joined(separator: "\n")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it is refused at once.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The token's name.") var name: String

        func run() async throws {
            try await options.withRegistry { try await APITokens(store: $0.store).revoke(name: name) }
            try options.emit(["revoked": name]) { "token \(name) revoked" }
        }
    }
}

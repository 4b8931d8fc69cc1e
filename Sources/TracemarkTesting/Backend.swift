import Foundation
public import Testing

/// The databases a test runs on. PostgreSQL joins when `make test` gives its URL
/// (`TRACEMARK_TEST_POSTGRES_URL`), as it always does.
public enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    public var testDescription: String { rawValue }

    public static var postgresURL: String? { ProcessInfo.processInfo.environment["TRACEMARK_TEST_POSTGRES_URL"] }

    /// SQLite always; PostgreSQL when a server is given.
    public static var available: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

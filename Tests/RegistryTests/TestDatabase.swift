import Foundation
import Registry
import SQLKit
import Store
import Testing
@_exported import TracemarkTesting

extension TestDatabase {
    func open() async throws -> Registry { try await Registry.open(location) }

    /// Another station on the same database (``TestDatabase/openStore()``).
    func openStation() async throws -> Registry {
        try await Registry(store: try await openStore())
    }
}

/// Runs `body` with a registry on a fresh database of `backend`, and removes the database after.
func withRegistry(_ backend: Backend, _ body: (Registry, TestDatabase) async throws -> Void) async throws {
    let database = try await TestDatabase.make(backend)
    let registry = try await database.open()
    do {
        try await body(registry, database)
        await registry.close()
        await database.drop()
    } catch {
        await registry.close()
        await database.drop()
        throw error
    }
}

/// Asserts that `body` throws a ``RegistryError`` with `code` whose message contains every fragment.
func expectRefusal(_ code: RegistryError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a refusal (\(code)) but it succeeded", sourceLocation: sourceLocation)
    } catch let error as RegistryError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message \"\(error.message)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a RegistryError (\(code)), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Asserts that `body` throws a ``StoreError`` with `code` whose message contains every fragment.
func expectStoreError(_ code: StoreError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a store error (\(code)) but it succeeded", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message \"\(error.message)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a StoreError (\(code)), got \(error)", sourceLocation: sourceLocation)
    }
}

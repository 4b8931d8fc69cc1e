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

/// Runs `body` with a store that `open` opens on a fresh database of `backend` (no registry
/// schema), and closes it and removes the database after.
func withStore<S: SQLStore>(_ backend: Backend, _ open: (TestDatabase) async throws -> S,
                            _ body: (S) async throws -> Void) async throws {
    let database = try await TestDatabase.make(backend)
    let store: S
    do { store = try await open(database) } catch {
        await database.drop()
        throw error
    }
    do {
        try await body(store)
    } catch {
        await store.close()
        await database.drop()
        throw error
    }
    await store.close()
    await database.drop()
}

/// Asserts that `body` throws a ``RegistryError`` with `code` whose message contains every fragment.
func expectRefusal(_ code: RegistryError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> Void) async {
    await expectFailure(RegistryError.self, code, fragments, sourceLocation: sourceLocation, body)
}

/// Asserts that `body` throws a ``StoreError`` with `code` whose message contains every fragment.
func expectStoreError(_ code: StoreError.Code, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () async throws -> Void) async {
    await expectFailure(StoreError.self, code, fragments, sourceLocation: sourceLocation, body)
}

extension RegistryError: CodedError {}
extension StoreError: CodedError {}

public import ServiceLifecycle

/// The process's one store as a service of its `ServiceGroup`: open while the group runs, closed
/// once the group shuts down. List it first: a group stops its services in reverse order, so the
/// stations and printer workers finish their last transaction before the store closes.
public struct StoreService: Service {
    public let store: any SQLStore

    public init(_ store: any SQLStore) {
        self.store = store
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}

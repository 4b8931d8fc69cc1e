public import Devices
public import GS1
public import Registry

/// Looks scans up in the registry with no side effects: what a look-up station does, and what
/// `tracemark scan` shows under each scan.
///
/// The registry is opened at the first scan, not before, so that a scanner that cannot be opened
/// is reported as such whatever the state of the database, and stays open for the next scans.
public actor ScanLookup {
    private let open: @Sendable () async throws -> Registry
    private let ownsRegistry: Bool
    private let parser: GS1Parser
    private let options: ResolveOptions
    private var registry: Registry?

    /// Looks scans up in the registry at `database` (a SQLite path or a PostgreSQL URL), which it
    /// opens at the first scan and closes in ``close()``.
    public init(database: String, parser: GS1Parser, options: ResolveOptions) {
        self.open = { try await Registry.open(database) }
        self.ownsRegistry = true
        self.parser = parser
        self.options = options
    }

    /// Looks scans up in a registry the caller opened and closes.
    public init(registry: Registry, parser: GS1Parser, options: ResolveOptions) {
        self.open = { registry }
        self.ownsRegistry = false
        self.parser = parser
        self.options = options
    }

    /// The scan and what the registry says of it; a registry that cannot answer is reported in
    /// ``ScanReport/resolveError``, not thrown: the next scan may do better.
    public func report(_ event: ScanEvent) async -> ScanReport {
        var report = ScanReport(event)
        if let length = event.overlongLength {
            report.resolveError = StationScan.overlongMessage(length)
            return report
        }
        do {
            let registry: Registry
            if let current = self.registry {
                registry = current
            } else {
                registry = try await open()
                self.registry = registry
            }
            report.resolution = try await registry.resolve(event.transmitted, parser: parser, options: options)
        } catch let error as RegistryError {
            report.resolveError = error.message
        } catch {
            report.resolveError = "\(error)"
        }
        return report
    }

    /// Closes the registry if this look-up opened it.
    public func close() async {
        if ownsRegistry { await registry?.close() }
        registry = nil
    }
}

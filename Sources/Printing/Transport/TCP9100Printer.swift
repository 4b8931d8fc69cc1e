// Placeholder until the TCP 9100 transport lands: it reports the printer offline and sends nothing.

/// A raw TCP printer (port 9100).
public struct TCP9100Printer: PrinterTransport {
    public let printer: PrinterConfig
    public let host: String
    public let port: Int

    public init(_ printer: PrinterConfig, host: String, port: Int) {
        self.printer = printer
        self.host = host
        self.port = port
    }

    public func status() async -> PrinterStatus { .offline("TCP printers are not supported yet") }

    public func send(_ payload: PrintPayload, prepared: @Sendable (Delivery) async throws -> Void) async throws -> Delivery {
        throw PrintingError(.unreachable, "printer \(printer.name): TCP printers are not supported yet")
    }

    public func follow(_ payload: PrintPayload, _ delivery: Delivery, timeout: Duration) async -> PrintProgress {
        .unconfirmed("TCP printers are not supported yet")
    }

    public func inquire(about payload: PrintPayload, delivery: Delivery?) async -> DoubtAnswer {
        .unknown("TCP printers are not supported yet")
    }
}

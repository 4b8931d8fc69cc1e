// Placeholder until the CUPS transport lands: it reports the printer offline and sends nothing.

/// A CUPS queue.
public struct CUPSPrinter: PrinterTransport {
    public let printer: PrinterConfig
    public let queue: String

    public init(_ printer: PrinterConfig, queue: String) {
        self.printer = printer
        self.queue = queue
    }

    public func status() async -> PrinterStatus { .offline("CUPS queues are not supported yet") }

    public func send(_ payload: PrintPayload, prepared: @Sendable (Delivery) async throws -> Void) async throws -> Delivery {
        throw PrintingError(.unreachable, "printer \(printer.name): CUPS queues are not supported yet")
    }

    public func follow(_ payload: PrintPayload, _ delivery: Delivery, timeout: Duration) async -> PrintProgress {
        .unconfirmed("CUPS queues are not supported yet")
    }

    public func inquire(about payload: PrintPayload, delivery: Delivery?) async -> DoubtAnswer {
        .unknown("CUPS queues are not supported yet")
    }
}

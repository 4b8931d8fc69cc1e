import Dispatch

/// Runs CPU-heavy work (rendering thousands of labels, reading their barcodes back) on threads of
/// its own instead of Swift's cooperative pool.
///
/// The cooperative pool has one thread per core. Work that holds a thread for seconds without
/// suspending stalls every other task of the process: a printer whose send had timed out after
/// its 0.5 s write timeout resumed 20 s later, its thread busy elsewhere (measured; BENCHMARKS.md,
/// "Stalls"). Here such work shares the cores through the kernel's scheduler instead, and the
/// pool's threads stay free for the tasks that only wait.
enum OffPool {
    private static let queue = DispatchQueue(label: "tracemark.stations.cpu", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

package import Dispatch

/// The one way to run blocking calls (a socket waiting on `poll`, libcups) and CPU-heavy work
/// (rendering thousands of labels) off Swift's cooperative pool.
///
/// The cooperative pool has one thread per core. Work that holds a thread for seconds without
/// suspending stalls every other task of the process: a printer whose send had timed out after
/// its 0.5 s write timeout resumed 20 s later, its thread busy elsewhere (measured; BENCHMARKS.md,
/// "Stalls"). Here such work runs on threads of Dispatch's, which the kernel schedules beside the
/// pool's, so the tasks that only wait keep theirs.
package enum OffPool {
    private static let shared = DispatchQueue(label: "tracemark.off-pool", attributes: .concurrent)

    /// Runs `body` on `queue` (a serial queue, for calls that must take turns: one printer's
    /// socket), or on a concurrent queue of its own, and returns what it returned or threw.
    package static func run<T: Sendable, E: Error>(on queue: DispatchQueue? = nil,
                                                   _ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            (queue ?? shared).async { continuation.resume(returning: Result(catching: body)) }
        }
        return try result.get()
    }
}

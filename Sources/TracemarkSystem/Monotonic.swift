#if canImport(Glibc)
import Glibc
#endif

/// Time on a clock that never jumps (`CLOCK_MONOTONIC`): for timeouts and stalls, never for dates.
package enum Monotonic {
    /// Seconds since an arbitrary start.
    package static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Nanoseconds since an arbitrary start (inter-character timeouts).
    package static var nanoseconds: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension Duration {
    /// Whole milliseconds, as leases and claims on the database's clock count them.
    package var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

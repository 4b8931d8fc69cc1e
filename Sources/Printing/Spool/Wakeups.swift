import Synchronization

/// Wakes a printer's worker in this process as soon as a job for it is committed, so that a label
/// asked for goes out at once instead of at the worker's next look (which still finds jobs queued
/// by other processes).
final class Wakeups: Sendable {
    private struct State {
        var next = 0
        var waiting: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
        /// Waits that ended (timed out) before their continuation was registered.
        var abandoned: Set<Int> = []
        /// Printers signalled while no worker waited: the next wait returns at once, so a job
        /// committed while its worker was busy (or not yet waiting) is not left to the next poll.
        var pending: Set<String> = []
    }

    private let state = Mutex(State())

    /// Wakes every worker waiting for one of `printers`.
    func signal<S: Sequence<String>>(_ printers: S) {
        let continuations = state.withLock { state in
            printers.flatMap { printer -> [CheckedContinuation<Void, Never>] in
                guard let waiting = state.waiting.removeValue(forKey: printer) else {
                    state.pending.insert(printer)
                    return []
                }
                return Array(waiting.values)
            }
        }
        for continuation in continuations { continuation.resume() }
    }

    /// Returns when `printer` is signalled or after `timeout`, whichever comes first.
    func wait(for printer: String, timeout: Duration) async {
        guard let id = state.withLock({ state -> Int? in
            if state.pending.remove(printer) != nil { return nil }
            defer { state.next += 1 }
            return state.next
        }) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state in
                        if state.abandoned.remove(id) != nil { return true }
                        // Signalled after `wait` looked and before this registers: that signal
                        // found no waiter and left the printer pending.
                        if state.pending.remove(printer) != nil { return true }
                        state.waiting[printer, default: [:]][id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // End the other wait: resume its continuation, or mark it so that it resumes at once.
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let continuation = state.waiting[printer]?.removeValue(forKey: id) {
                    if state.waiting[printer]?.isEmpty == true { state.waiting[printer] = nil }
                    return continuation
                }
                state.abandoned.insert(id)
                return nil
            }
            continuation?.resume()
        }
        // A signal that resumed it leaves no mark; one that never came leaves `id` abandoned only
        // until its continuation registers, which the task group has already awaited.
        _ = state.withLock { $0.abandoned.remove(id) }
    }
}

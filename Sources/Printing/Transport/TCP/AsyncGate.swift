import Synchronization

/// Lets one task at a time through, in arrival order, across suspension points.
///
/// A raw TCP printer serves one connection at a time, so the sends, status queries and follows of
/// one printer take turns: a status query from `tracemark printers` waits for a send to finish
/// instead of opening a second connection that the printer would leave in its backlog.
final class AsyncGate: Sendable {
    private let state = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Runs `body` once every earlier caller is through.
    func withTurn<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        let entered = state.withLock { state in
            if state.busy { return false }
            state.busy = true
            return true
        }
        if entered { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            // The turn passes straight to the next waiter: busy stays true.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

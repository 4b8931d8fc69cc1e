import Foundation

/// One thread that runs one SQLite connection's work, as a Swift task executor.
///
/// SQLite calls block (a busy wait for another process's write lock, an fsync), so they must not
/// run on the cooperative pool. A store runs each operation's body with this thread as the task's
/// preferred executor: every statement of the body, and the decoding of its rows, then runs here
/// without a hop per statement. Statements reached from elsewhere (an actor, a detached task) are
/// sent here one at a time.
final class ConnectionThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`: task jobs and submitted work, in the order they came.
    private var work: [@Sendable () -> Void] = []
    private var stopping = false
    /// Set once, before `init` returns; read only by comparison.
    private var thread = pthread_t()

    init(name: String) {
        let started = DispatchSemaphore(value: 0)
        // The thread keeps its executor alive until it has stopped and run its last work.
        let body = Thread { [self] in
            self.thread = pthread_self()
            started.signal()
            self.loop()
        }
        body.name = name
        body.stackSize = 1 << 20
        body.start()
        started.wait()
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `body` on this thread and returns what it returned or threw.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isCurrent { return try body() }
        let result: Result<T, any Error> = await withUnsafeContinuation { continuation in
            submit { continuation.resume(returning: Result(catching: body)) }
        }
        return try result.get()
    }

    private func submit(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        work.append(body)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the work queued so far has run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var work: [@Sendable () -> Void] = []
        while true {
            condition.lock()
            while self.work.isEmpty && !stopping { condition.wait() }
            if self.work.isEmpty {
                condition.unlock()
                return
            }
            swap(&work, &self.work)
            condition.unlock()
            for body in work { body() }
            work.removeAll(keepingCapacity: true)
        }
    }
}

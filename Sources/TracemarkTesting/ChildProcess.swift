public import Foundation

/// A program a test starts and later signals or waits for, spawned with `posix_spawn` rather
/// than Foundation's `Process`.
///
/// Foundation's `Process.run()` lists `/proc/self/fd` to find the descriptors the child must not
/// keep, and copies each directory entry whole (its 256-byte name) out of `readdir`'s buffer.
/// With a thousand descriptors open, as this suite has while its tests run side by side, the
/// last entries' copies read past the end of that buffer: a CI run crashed in that `memcpy`
/// (AddressSanitizer: heap-buffer-overflow in `findMaximumOpenFromProcSelfFD`). Here the child
/// keeps only its standard input, output and error (`posix_spawn_file_actions_addclosefrom_np`),
/// and a thread of its own waits for its end with `waitid` (Foundation's SIGCHLD handler was
/// seen to miss one).
public final class ChildProcess: @unchecked Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream {
        /// `/dev/null`.
        case null
        /// An open file or a pipe's end, which the caller keeps (and closes).
        case handle(FileHandle)
        /// A pipe: the child gets the end its stream needs, and this process's copy of that
        /// end is closed once the child has started (so that the reader sees the writer's end).
        case pipe(Pipe)
    }

    public let processIdentifier: pid_t
    private let condition = NSCondition()
    /// Guarded by `condition`: the exit status, or the number of the signal that ended it (as
    /// Foundation's `Process` says it), once it has ended and been reaped.
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    /// Starts `executable` (a path) with `arguments`; `environment` replaces this process's when
    /// given.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil,
                stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null) throws {
        func descriptor(_ stream: Stream, reading: Bool) -> Int32? {
            switch stream {
            case .null: nil
            case .handle(let handle): handle.fileDescriptor
            case .pipe(let pipe): (reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor
            }
        }
        processIdentifier = try Self.spawn(executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                                           in: directory, stdin: descriptor(stdin, reading: true),
                                           stdout: descriptor(stdout, reading: false), stderr: descriptor(stderr, reading: false))
        if case .pipe(let pipe) = stdin { try? pipe.fileHandleForReading.close() }
        for case .pipe(let pipe) in [stdout, stderr] { try? pipe.fileHandleForWriting.close() }
        let pid = processIdentifier
        Thread.detachNewThread { [self] in
            var info = siginfo_t()
            // Seen ended without reaping it (WNOWAIT), then reaped under the lock that ``send(_:)``
            // signals under: a signal goes only to a child not reaped yet, whose process id
            // cannot be another's.
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 {
                guard errno == EINTR else { break }
            }
            condition.lock()
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
            let code = info._sifields._sigchld.si_status
            status = code
            let waiting = waiters
            waiters = []
            condition.broadcast()
            condition.unlock()
            for waiter in waiting { waiter.resume(returning: code) }
        }
    }

    public var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return status == nil
    }

    /// Sends `signal` unless it has ended and been reaped.
    public func send(_ signal: Int32) {
        condition.lock()
        defer { condition.unlock() }
        if status == nil { kill(processIdentifier, signal) }
    }

    /// SIGTERM, as Foundation's `terminate()`.
    public func terminate() {
        send(SIGTERM)
    }

    /// Blocks this thread until it has ended, and returns its exit status (or the number of the
    /// signal that ended it): never on the cooperative pool (``exited()`` is for tasks).
    @discardableResult
    public func waitUntilExit() -> Int32 {
        condition.lock()
        defer { condition.unlock() }
        while status == nil { condition.wait() }
        return status!
    }

    /// Its exit status (or the number of the signal that ended it) once it has ended and been
    /// reaped (no zombie left).
    public func exited() async -> Int32 {
        await withCheckedContinuation { continuation in
            condition.lock()
            if let status {
                condition.unlock()
                continuation.resume(returning: status)
                return
            }
            waiters.append(continuation)
            condition.unlock()
        }
    }

    /// Spawns `executable` with `arguments` and `environment`, in `directory`; the descriptors
    /// become its standard input, output and error (`/dev/null` where nil), and it keeps no other
    /// descriptor of this process. Returns its process id.
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String], in directory: URL?,
                      stdin: Int32?, stdout: Int32?, stderr: Int32?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let descriptor {
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // Nothing else of this process: the database connections of the tests running beside
        // (sockets PostgresNIO does not open close-on-exec) stayed open in a qemu guest that
        // outlived a crashed test run, idle in their transactions, holding their locks, and the
        // next run's tests waited on them; another test's pipes held open kept its reader waiting.
        _ = systemAddCloseFrom(&actions, 3)
        if let directory { _ = systemAddChdir(&actions, directory.path) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw Command.Failure("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }
}

// glibc functions that Swift's Glibc module leaves out (declared only for _GNU_SOURCE).
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func systemAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func systemAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

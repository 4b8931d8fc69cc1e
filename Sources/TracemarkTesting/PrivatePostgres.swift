public import Foundation

/// A PostgreSQL server of a test's own (scripts/postgres.sh), for tests that stop the server
/// under a running service. Needs the server binaries, which `make test` installs.
public struct PrivatePostgres: Sendable {
    public let folder: URL
    public let url: String

    private static let script = Repository.root.appendingPathComponent("scripts/postgres.sh").path

    /// The server's self-signed certificate, when it was started with `tls`.
    public var certificate: String { folder.appendingPathComponent("ca.crt").path }

    /// Starts a server; with `tls`, it accepts TLS with a self-signed certificate (``certificate``).
    /// Once process `owner` (this one unless told) has ended, the server is stopped and its files
    /// removed even if nobody called ``stop()``: a test run killed midway leaves no server behind.
    public static func start(tls: Bool = false, owner: pid_t = getpid()) async throws -> PrivatePostgres {
        let folder = try Command.temporaryFolder("postgres")
        let output = folder.appendingPathComponent("start.out")
        let status = await script(["start", folder.appendingPathComponent("pg").path], output: output, tls: tls, owner: owner)
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw Command.Failure("cannot start a PostgreSQL server (exit \(status)): \(text)") }
        let url = text.split(separator: "\n").last { $0.hasPrefix("postgres://") }.map(String.init) ?? ""
        return PrivatePostgres(folder: folder.appendingPathComponent("pg"), url: url)
    }

    /// Stops the server (fast shutdown: sessions are ended) and removes its files.
    public func stop() async {
        _ = await Self.script(["stop", folder.path], output: nil)
    }

    /// Runs the script with its output in `output` and waits for it with waitpid on a thread of
    /// its own. Not through Foundation's `Process`: its wait was seen to miss the end of this
    /// script (which starts the server as another user with runuser) and hang.
    private static func script(_ arguments: [String], output: URL?, tls: Bool = false, owner: pid_t? = nil) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
                let argv = (["/bin/bash", script] + arguments).map { strdup($0) } + [nil]
                defer { argv.forEach { free($0) } }
                var settings = ["TRACEMARK_PG_FAST": "1", "TRACEMARK_PG_TLS": tls ? "1" : "0"]
                // The script's watcher stops the server once the owner has ended.
                if let owner { settings["TRACEMARK_PG_OWNER"] = String(owner) }
                let environment = ProcessInfo.processInfo.environment.merging(settings) { $1 }
                let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
                defer { envp.forEach { free($0) } }
                var pid: pid_t = 0
                guard posix_spawn(&pid, "/bin/bash", &actions, nil, argv, envp) == 0 else {
                    continuation.resume(returning: -1)
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                continuation.resume(returning: (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1)
            }
        }
    }
}

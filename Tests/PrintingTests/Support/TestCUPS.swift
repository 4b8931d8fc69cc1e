import Foundation
import TracemarkTesting
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real cupsd the CUPS tests use, and the command-line tools that set its queues up.
///
/// `make test` starts a private cupsd (`scripts/cups.sh`) and passes it in
/// `TRACEMARK_TEST_CUPS_SERVER=127.0.0.1:PORT`. Without that variable (`swift test` alone) the
/// tests start their own through the same script, once per test process, and a watcher stops it
/// when the process has gone: nothing skips silently.
enum TestCUPS {
    static var repository: URL { Repository.root }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `127.0.0.1:PORT` of the cupsd for tests.
    static func server() async throws -> String {
        if let server = ProcessInfo.processInfo.environment["TRACEMARK_TEST_CUPS_SERVER"], !server.isEmpty {
            return server
        }
        return try await ownServer.value
    }

    /// The script and folder of this process's own cupsd, for stopping it at exit.
    private static let ownFolder = Mutex<(String, String)?>(nil)

    /// A cupsd of this test process's own, started at the first test that needs one.
    private static let ownServer = Task<String, any Error> {
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("tracemark-cups-tests-\(UUID().uuidString.prefix(8))")
        let script = repository.appendingPathComponent("scripts/cups.sh").path
        // The script's watcher stops the server once this process has gone, should it crash.
        let run = try await Command.run("/bin/bash", [script, "start", folder.path],
                                        environment: ["TRACEMARK_CUPS_OWNER": String(getpid())])
        guard run.status == 0 else {
            throw Failure(description: "scripts/cups.sh could not start a cupsd for the tests: \(run.stderr)")
        }
        // Tests have no global tear-down: the server is stopped when this process exits.
        ownFolder.withLock { $0 = (script, folder.path) }
        atexit {
            guard let (script, folder) = ownFolder.withLock({ $0 }) else { return }
            var pid: pid_t = 0
            let arguments = ["/bin/bash", script, "stop", folder]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            if posix_spawn(&pid, "/bin/bash", nil, nil, &argv, environ) == 0 {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            argv.forEach { free($0) }
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A queue name no other test uses.
    static func uniqueName(_ prefix: String) -> String {
        "tm-\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Adds an enabled queue whose device is `socket://127.0.0.1:PORT/`: raw without `model`, or
    /// with a driver (`drv:///sample.drv/zebra.ppd`) and its options.
    static func addQueue(_ name: String, server: String, port: Int, model: String? = nil, options: [String] = []) async throws {
        var arguments = ["-h", server, "-p", name, "-E", "-v", "socket://127.0.0.1:\(port)/", "-m", model ?? "raw"]
        for option in options { arguments += ["-o", option] }
        try await Command.check("lpadmin", arguments)
    }

    static func deleteQueue(_ name: String, server: String) async {
        _ = try? await Command.run("lpadmin", ["-h", server, "-x", name])
    }
}

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
    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // Support
        .deletingLastPathComponent()   // PrintingTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    /// `../shared/oracles/decode.py` beside the repository (used in place, never copied).
    static let oracle = repository.deletingLastPathComponent().appendingPathComponent("shared/oracles/decode.py")

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
        let run = try await Tools.run("/bin/bash", [script, "start", folder.path])
        guard run.status == 0 else {
            throw Failure(description: "scripts/cups.sh could not start a cupsd for the tests: \(run.stderr)")
        }
        // Tests have no global tear-down: the server is stopped when this process exits, and, should
        // it crash, by a watcher that waits for it to go (an exited process that is not reaped yet
        // still answers `kill -0`; its empty command line does not).
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
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        watcher.arguments = ["/bin/sh", "-c",
                             "trap '' HUP INT TERM PIPE; while grep -q . /proc/\(getpid())/cmdline 2>/dev/null; do sleep 1; done; exec /bin/bash \"$0\" stop \"$1\"",
                             script, folder.path]
        watcher.standardInput = FileHandle.nullDevice
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
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
        try await Tools.check("lpadmin", arguments)
    }

    static func deleteQueue(_ name: String, server: String) async {
        _ = try? await Tools.run(Tools.path("lpadmin"), ["-h", server, "-x", name])
    }
}

/// Runs programs on a thread of their own: waiting for a process blocks, which the cooperative
/// pool must never do.
enum Tools {
    struct Run: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// `tool` on PATH or in the sbin folders (lpadmin lives in /usr/sbin).
    static func path(_ tool: String) -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? tool
    }

    /// Runs `tool` and fails unless it exits 0.
    @discardableResult
    static func check(_ tool: String, _ arguments: [String]) async throws -> Run {
        let run = try await run(path(tool), arguments)
        guard run.status == 0 else {
            throw TestCUPS.Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(run.status): \(run.stderr)")
        }
        return run
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    continuation.resume(returning: try runBlocking(executable, arguments, environment: environment))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    private final class Reading: @unchecked Sendable {
        var value = Data()
        let done = DispatchSemaphore(value: 0)
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = Reading()
        Thread { errors.value = err.fileHandleForReading.readDataToEndOfFile(); errors.done.signal() }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        errors.done.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: errors.value, as: UTF8.self))
    }

    /// `tracemark`, built beside the tests.
    static var tracemark: URL { Repository.tracemark }

    /// The GS1 barcodes the independent oracle reads in a ZPL or PNG file's content, in HRI form
    /// (with `gs1Only` false, every barcode's text).
    static func decodeBarcodes(_ data: Data, extension ext: String, dpi: Int = 203, gs1Only: Bool = true) async throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tracemark-cups-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("label.\(ext)")
        try data.write(to: input)
        var arguments = [TestCUPS.oracle.path, input.path]
        if ext != "png" { arguments += ["--dpi", String(dpi)] }
        let run = try await run(path("python3"), arguments)
        guard run.status == 0 else { throw TestCUPS.Failure(description: "decode.py exited \(run.status): \(run.stdout) \(run.stderr)") }
        struct Barcode: Decodable { let text: String; let content_type: String }
        struct Label: Decodable { let barcodes: [Barcode] }
        struct Result: Decodable { let labels: [Label] }
        let result = try JSONDecoder().decode(Result.self, from: Data(run.stdout.utf8))
        return result.labels.flatMap(\.barcodes).filter { !gs1Only || $0.content_type == "GS1" }.map(\.text).sorted()
    }
}

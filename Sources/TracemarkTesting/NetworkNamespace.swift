import Foundation
import Testing

/// A `tracemark` run in a network namespace of its own (`unshare`), whose loopback a test takes
/// down: every packet then goes without a word, as on a cut cable or a peer powered off, which
/// a test on the shared loopback cannot bring about.
public enum NetworkNamespace {
    static let unshare = Command.which("unshare")
    static let nsenter = Command.which("nsenter")
    static let socat = Command.which("socat")
    static let ip = Command.which("ip")

    public static let available: Bool = {
        guard let unshare, nsenter != nil, socat != nil, ip != nil else { return false }
        // Asked once, from whichever thread first reads it: a blocking wait of a moment.
        guard let probe = try? ChildProcess(unshare, ["-rn", "true"]) else { return false }
        return probe.waitUntilExit() == 0  // a signal's number is never 0
    }()

    /// A station: `tracemark ARGUMENTS` in a network namespace of its own, writing one JSON
    /// line per scan.
    public final class Station: @unchecked Sendable {
        private let process: ChildProcess
        private let input = Pipe()
        private let output = Pipe()
        private let errors: URL
        private var lines: AsyncStream<String>.Iterator
        /// Whether the station has a user namespace of its own too (which `nsenter` must join).
        private let ownsUsers: Bool

        /// The station alone in its namespace (peers are started in it with ``inside(_:)``).
        public static func alone(_ arguments: [String]) async throws -> Station {
            try await Station.started(ownUsers: true, setUp: """
                cleanUp() { :; }
                run() { "$@"; }
                """, arguments: [Repository.tracemark.path] + arguments)
        }

        /// The station reaches the server at `socket` (its socket file) through a relay from its
        /// loopback's port 5432. The relay's per-connection children end with it, and the relay
        /// with the station.
        public static func relayed(to socket: String, _ arguments: [String]) async throws -> Station {
            try await Station.started(ownUsers: true, setUp: """
                socat TCP-LISTEN:5432,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$1" &
                relay=$!
                cleanUp() { pkill -KILL -P $relay; kill -KILL $relay; }
                until (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; do sleep 0.05; done
                run() { "$@"; }
                """, arguments: [socket, Repository.tracemark.path] + arguments)
        }

        /// A server of its own in `folder` (scripts/postgres.sh), in the station's namespace;
        /// ARGUMENTS end with `--db`, followed by the server's URL with short keepalives.
        public static func besideServer(in folder: String, _ arguments: [String]) async throws -> Station {
            // `-n` without a user namespace: the server runs as the `postgres` user, whom a user
            // namespace of root's alone does not know.
            try await Station.started(ownUsers: false, setUp: """
                url=$(TRACEMARK_PG_FAST=1 TRACEMARK_PG_OWNER=$owner bash "$1" start "$2") || exit 4
                cleanUp() { :; }
                run() { "$@" "$url?keepalives_idle=1&keepalives_interval=1&keepalives_count=2&tcp_user_timeout=1000"; }
                """, arguments: [Repository.root.appendingPathComponent("scripts/postgres.sh").path, folder,
                                 Repository.tracemark.path] + arguments)
        }

        /// `setUp` defines `cleanUp` and `run` (which runs the station's command line given to
        /// it) and may use `$owner` (this process) and the setup's own arguments, those before
        /// the `tracemark` path in `arguments`.
        /// A station whose namespace is set up (the setup done, its loopback up): only then may
        /// a test start peers in it, which would otherwise land in this process's namespace.
        private static func started(ownUsers: Bool, setUp: String, arguments: [String]) async throws -> Station {
            let station = try Station(ownUsers: ownUsers, setUp: setUp, arguments: arguments)
            let first = await station.lines.next()
            guard first == "namespace-ready" else {
                station.end()
                throw Command.Failure("the station's namespace was not set up (\(first ?? "it ended")): \(station.log)")
            }
            return station
        }

        private init(ownUsers: Bool, setUp: String, arguments: [String]) throws {
            ownsUsers = ownUsers
            errors = try Command.temporaryFolder("namespace").appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            // Bash's position of the station's program among the arguments (from 1).
            let start = try #require(arguments.firstIndex(of: Repository.tracemark.path)) + 1
            let script = """
                ip link set lo up || exit 3
                owner=$PPID
                \(setUp)
                # Should the station never end (stuck on a statement), the test run's end ends it.
                (while [ -e /proc/$owner ]; do sleep 0.5; done; cleanUp; pkill -KILL -P $$) &
                watcher=$!
                trap 'kill -KILL $watcher; cleanUp' EXIT
                # The station stops if this shell is killed; the shell ends with the station, whose
                # standard input closes when the test ends.
                export TRACEMARK_EXIT_WITH_PARENT=$$
                echo namespace-ready
                run "${@:\(start)}"
                """
            let (stream, continuation) = AsyncStream<String>.makeStream()
            lines = stream.makeAsyncIterator()
            process = try ChildProcess(try #require(unshare), [ownUsers ? "-rn" : "-n", "/bin/bash", "-c", script, "station"] + arguments,
                                       stdin: .pipe(input), stdout: .pipe(output), stderr: .handle(try FileHandle(forWritingTo: errors)))
            let reading = output.fileHandleForReading
            Thread.detachNewThread {
                var pending = Data()
                while true {
                    let chunk = reading.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: pending[pending.startIndex..<end], as: UTF8.self))
                        pending.removeSubrange(pending.startIndex...end)
                    }
                }
                continuation.finish()
            }
        }

        /// Sends one scan and waits for its answer (nil if the station ended first).
        public func answer(_ scan: String) async -> [String: Any]? {
            // A station that ended has closed its input: the write fails (EPIPE), and the old
            // `write(_:)` traps on that, taking the whole test process down with it.
            guard (try? input.fileHandleForWriting.write(contentsOf: Data((scan + "\n").utf8))) != nil else { return nil }
            return await next()
        }

        /// The station's next line of output as JSON (nil if it ended first).
        public func next() async -> [String: Any]? {
            guard let line = await lines.next() else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? ["unreadable": line]
        }

        /// Starts `bash -c SCRIPT` in the station's namespace (a scanner that connects to it), its
        /// output thrown away; the caller ends it (SIGKILL) with the test.
        public func inside(_ script: String) throws -> ChildProcess {
            try ChildProcess(try #require(nsenter), join + ["/bin/bash", "-c", script])
        }

        /// Runs `bash -c SCRIPT` in the station's namespace to its end (a client of the station,
        /// a look at its sockets), and gives what it wrote.
        public func run(_ script: String) async throws -> Command.Result {
            try await Command.run(try #require(nsenter), join + ["/bin/bash", "-c", script])
        }

        /// Takes the station's loopback down (every packet dropped without a word) or up again.
        public func loopback(up: Bool) async throws {
            let result = try await Command.run(try #require(nsenter), join + [try #require(ip), "link", "set", "lo", up ? "up" : "down"])
            #expect(result.status == 0, "\(result.stderr)")
        }

        /// `nsenter`'s arguments that join the station's namespaces.
        private var join: [String] {
            ["-t", String(process.processIdentifier)] + (ownsUsers ? ["-U", "-n", "--preserve-credentials"] : ["-n"])
        }

        /// What the station wrote on standard error.
        public var log: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

        /// Ends the station: its standard input closed (a scanner unplugged), it stops, and its
        /// relay with it. Not waited for: one stuck on a statement ends with this process.
        public func end() {
            try? input.fileHandleForWriting.close()
        }
    }
}

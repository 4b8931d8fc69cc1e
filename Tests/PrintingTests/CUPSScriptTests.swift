import Foundation
import Testing
import TracemarkTesting

/// The private cupsd `scripts/cups.sh` starts for tests outlives a run killed midway (it runs
/// detached) unless something stops it: with `TRACEMARK_CUPS_OWNER=PID` the script watches that
/// process, and stops the server and removes its files once the process has ended.
@Suite struct CUPSScriptTests {
    @Test func aServerWhoseOwnerEndsIsStoppedAndRemoved() async throws {
        let owner = try StandInOwner()
        let folder = try Command.temporaryFolder("cups-owner")
        let script = Repository.root.appendingPathComponent("scripts/cups.sh").path
        defer { Task { _ = try? await Command.run("/bin/bash", [script, "stop", folder.path]) } }
        let started = try await Command.run("/bin/bash", [script, "start", folder.path],
                                            environment: ["TRACEMARK_CUPS_OWNER": String(owner.pid)])
        try #require(started.status == 0, "cups.sh start failed: \(started.stderr)")
        let server = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let state = folder.appendingPathComponent("cupsd")
        #expect(try await schedulerAnswers(server))

        await owner.end()
        #expect(try await eventually { !FileManager.default.fileExists(atPath: state.path) },
                "the cupsd outlived the process that owned it")
        #expect(try await !schedulerAnswers(server))
    }

    /// `lpstat -r` exits 0 whether or not the scheduler answers: its words tell.
    private func schedulerAnswers(_ server: String) async throws -> Bool {
        try await Command.run("lpstat", ["-h", server, "-r"], environment: ["LC_ALL": "C"]).stdout == "scheduler is running\n"
    }
}

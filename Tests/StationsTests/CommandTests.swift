import Foundation
import Testing
import TracemarkTesting

/// The test support's way of running a command: it must hand back what the command wrote and
/// how it ended, and never leave a test waiting forever.
@Suite struct CommandTests {
    @Test func givesOutputStatusAndInput() async throws {
        let folder = try Command.temporaryFolder("command")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A megabyte through `cat`: input and output flow at the same time, or the pipes fill up.
        let text = String(repeating: "0123456789abcdef\n", count: 65_536)
        let copied = try await Command.run("cat", [], stdin: text)
        #expect(copied.status == 0)
        #expect(copied.stdout == text)
        let result = try await Command.run("bash", ["-c", "pwd; echo oops >&2; exit 3"], in: folder)
        #expect(result.status == 3)
        #expect(result.stdout == folder.resolvingSymlinksInPath().path + "\n")
        #expect(result.stderr == "oops\n")
    }

    @Test func aCommandPastItsDeadlineIsKilledAndFails() async throws {
        await #expect(throws: Command.Failure.self) {
            _ = try await Command.run("bash", ["-c", "echo started; exec sleep 600"], deadline: .milliseconds(300))
        }
    }

    /// A command that leaves a background child holding its output (a daemon started by a
    /// script) still ends: what it wrote is given, not waited on until the child ends.
    @Test func aBackgroundChildHoldingTheOutputDoesNotHoldTheTest() async throws {
        let result = try await Command.run("bash", ["-c", "sleep 600 & echo \"$!\"; echo done"], deadline: .seconds(120))
        let lines = result.stdout.split(separator: "\n")
        #expect(result.status == 0)
        #expect(lines.last == "done")
        if let child = lines.first.flatMap({ pid_t($0) }) { kill(child, SIGKILL) }
    }

    @Test func aMissingProgramFailsPlainly() async throws {
        let error = await #expect(throws: Command.Failure.self) {
            _ = try await Command.run("/nonexistent/tool", [])
        }
        #expect(error?.description.contains("/nonexistent/tool") == true)
    }
}

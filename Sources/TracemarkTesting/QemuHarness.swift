public import Foundation

/// `../shared/usb/qemu-harness.sh`: a small Linux guest with qemu's emulated USB keyboard
/// (0627:0001, a boot keyboard like a keyboard-mode scanner) and USB serial adapter, running the
/// `tracemark` built beside the tests. The kernel is fetched once into `.build/qemu-usb`.
public enum QemuHarness {
    /// Whether qemu is installed (scripts/install-deps.sh installs it).
    public static var isAvailable: Bool { Command.which("qemu-system-x86_64") != nil }

    static let script = Repository.sharedUSB.appendingPathComponent("qemu-harness.sh").path
    static let cache = Repository.root.appendingPathComponent(".build/qemu-usb", isDirectory: true)

    /// The harness's kernel and initramfs, built once per test process: two suites building into
    /// one cache at once (a fresh clone) trip over each other's files.
    private static let built = Task<Void, any Error> {
        let built = try await Command.run(script, ["build", cache.path])
        guard built.status == 0 else { throw Command.Failure("qemu harness build failed: \(built.stderr)") }
    }

    /// One guest at a time: each is a whole emulated machine on this one's cores.
    private static let gate = Gate()

    private actor Gate {
        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func enter() async {
            guard busy else {
                busy = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func leave() {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
    }

    /// A new folder for the guest holding `tracemark`, stripped of its debug symbols (the guest
    /// keeps its files in memory), with the harness's kernel ready.
    public static func prepare() async throws -> URL {
        try await built.value
        let files = try Command.temporaryFolder("qemu")
        let binary = files.appendingPathComponent("tracemark")
        try FileManager.default.copyItem(at: Repository.tracemark, to: binary)
        if let strip = Command.which("strip") { _ = try await Command.run(strip, [binary.path]) }
        return files
    }

    /// Boots the guest with `files`, runs `command` (busybox sh) in it, and types/writes what
    /// `options` say (`--keys`, `--serial-text`, `--wait-for` …); returns the harness's result and
    /// everything the guest printed (line ends as `\n`).
    public static func run(files: URL, timeout: Int, options: [String], command: String) async throws -> (result: Command.Result, guest: String) {
        let log = files.appendingPathComponent("guest.log").path
        await gate.enter()
        let result: Command.Result
        do {
            // The kernel's line again, with no_timer_check: under TCG on a busy machine the
            // kernel's check of the timer's interrupt timed out and it panicked at boot ("IO-APIC +
            // timer doesn't work!", seen in a full local run beside other work). qemu takes the
            // last -append.
            result = try await Command.run(script, ["run", cache.path, "--files", files.path, "--out", log,
                                                    "--timeout", String(timeout), "--qemu-arg", "-m", "--qemu-arg", "1G",
                                                    "--qemu-arg", "-append", "--qemu-arg", "console=ttyS0 quiet panic=-1 no_timer_check"]
                                                   + options + ["--", command],
                                     deadline: .seconds(timeout + 120))
        } catch {
            await gate.leave()
            throw error
        }
        await gate.leave()
        let guest = (try? String(contentsOfFile: log, encoding: .utf8))?.replacingOccurrences(of: "\r", with: "") ?? ""
        return (result, guest)
    }

    /// A guest shell line waiting (up to 5 minutes, as the guests' other waits: a busy machine
    /// took longer than the 30 s it was) until a program has claimed the keyboard's interface 0.
    public static let waitForClaim = "for n in $(seq 600); do for i in /sys/bus/usb/devices/*:1.0; do "
        + "[ \"$(cat $i/../idVendor)\" = 0627 ] && [ \"$(basename $(readlink $i/driver) 2>/dev/null)\" = usbfs ] && break 2; "
        + "done; sleep 0.5; done; "
}

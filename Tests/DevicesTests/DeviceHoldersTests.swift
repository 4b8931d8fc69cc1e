@testable import Devices
import Foundation
import Testing
import TracemarkTesting

@Suite struct DeviceHoldersTests {
    /// A busy device's message names the program holding it, as `fuser` would.
    @Test func theProgramHoldingADeviceIsNamed() async throws {
        let folder = try Command.temporaryFolder("devices")
        defer { try? FileManager.default.removeItem(at: folder) }
        let device = folder.appendingPathComponent("ttyFAKE0").path
        try Data().write(to: URL(fileURLWithPath: device))
        // A child that keeps the device open (descriptor 3) for a while.
        let holder = try ChildProcess("/bin/sh", ["-c", "exec 3<\"$0\"; exec sleep 30", device])
        // SIGKILL: a child of this process starts with SIGTERM blocked (Foundation's pool threads
        // block it), and a `sleep` would stay for its 30 seconds.
        defer { holder.send(SIGKILL) }
        #expect(try await eventually { holders(of: device).contains("sleep (pid \(holder.processIdentifier))") }, "\(holders(of: device))")
        let error = SerialPort.openError(device, EBUSY)
        #expect(error.code == .deviceBusy)
        #expect(error.message.contains("is in use by another program: held by sleep (pid \(holder.processIdentifier))"))
        #expect(holders(of: folder.appendingPathComponent("nobody-holds-this").path) == "")
    }
}

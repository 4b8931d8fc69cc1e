/// Waits until `condition` holds, looking every `interval`, at most `looks` times (by default
/// for ``HangGuard/wait``); whether it came to hold. For conditions another process or thread
/// brings about: a test asserts the outcome, never how long it took.
public func eventually(looks: Int = Int(HangGuard.wait / .milliseconds(50)), every interval: Duration = .milliseconds(50),
                       _ condition: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<looks {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

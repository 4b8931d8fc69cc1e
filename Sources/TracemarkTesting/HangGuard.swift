public import Testing

extension Trait where Self == TimeLimitTrait {
    /// The time limit of a test that could hang (a statement lost on a closed connection, a
    /// wait for a connection that never comes back): it turns a hang into one failed test
    /// instead of a CI run stopped at its limit, and only a hang reaches it.
    ///
    /// Never a measure of speed: the whole suite runs its tests side by side on the machine's
    /// cores, so a test of 40 ms alone takes a minute or more there (the slowest take about
    /// three); limits of one and three minutes failed healthy runs that way.
    public static var hangGuard: Self { .timeLimit(.minutes(10)) }
}

/// How long a test waits for something another task, thread or process brings about (a job to
/// reach a printer, a scan to arrive, a worker to wake) before it gives up: like ``hangGuard``,
/// far beyond what a loaded machine takes, so that only a hang reaches it. A condition that
/// holds ends the wait at once.
public enum HangGuard {
    public static let wait: Duration = .seconds(300)
}

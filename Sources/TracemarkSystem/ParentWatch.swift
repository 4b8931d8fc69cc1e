import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `TRACEMARK_EXIT_WITH_PARENT=PID`: the process stops once PID is no longer its parent, that is
/// once the process that started it has ended (the orphan is handed to another). It stops as
/// TERM stops it (`serve` drains, a command ends), by sending itself SIGTERM; if it is still
/// running a minute later, it kills itself.
///
/// For whoever starts `tracemark` and must not leave it running when it dies itself: a test run
/// that is killed, a supervisor without a process group of its own. Linux's `PR_SET_PDEATHSIG`
/// does not serve: it fires when the *thread* that started the child ends, and the threads of a
/// pool (Foundation's `Process` starts children from them) come and go.
package enum ParentWatch {
    package static let variable = "TRACEMARK_EXIT_WITH_PARENT"

    /// Watches the parent named by ``variable`` in this process's environment, if any, from a
    /// thread of its own (a look every 200 ms). A parent that has already ended stops the process
    /// at once.
    package static func start() {
        guard let text = ProcessInfo.processInfo.environment[variable] else { return }
        // Meant for this process only: a program it starts has another parent.
        unsetenv(variable)
        guard let parent = pid_t(text), parent > 1 else { return }
        Thread.detachNewThread {
            while getppid() == parent { usleep(200_000) }
            kill(getpid(), SIGTERM)
            // A process started with TERM blocked or ignored (a child inherits its starter's
            // signal mask, and Foundation starts children from threads that block most signals)
            // would never see it: a minute on, longer than `serve`'s own stop takes, it is killed.
            sleep(60)
            kill(getpid(), SIGKILL)
        }
    }
}

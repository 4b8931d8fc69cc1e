#if canImport(Glibc)
import Glibc
#endif

/// Marks `fd` non-blocking and closed on exec (`pipe2` and `accept4` are GNU extensions the Swift
/// Glibc module does not show).
package func setNonBlockingCloseOnExec(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
}

/// The text of an `errno` value.
package func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

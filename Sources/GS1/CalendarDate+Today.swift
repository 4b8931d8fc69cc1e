#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CalendarDate {
    /// Today in UTC, from the system clock (only when a caller gives no date of its own).
    static func todayUTC() -> CalendarDate {
        let seconds = Int(time(nil))
        return CalendarDate(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }
}

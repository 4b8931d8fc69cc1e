#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CalendarDate {
    /// Today in UTC, from the system clock (only when a caller gives no date of its own).
    static func todayUTC() -> CalendarDate {
        CalendarDate(daysSinceEpoch: todaysNumberUTC())
    }

    /// Today in UTC as days since 1970-01-01 (without working out its calendar date).
    static func todaysNumberUTC() -> Int {
        let seconds = Int(time(nil))
        return seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    }
}

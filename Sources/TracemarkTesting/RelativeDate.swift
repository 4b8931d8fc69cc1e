import Foundation

/// A date `days` from whenever the test runs, in UTC, as `format` writes it (`yyMMdd` for GS1's
/// (17), `yyyy-MM-dd` for the command line): for tests whose data meets the real clock (a demo
/// database, a service), so that they pass next month too.
public func relativeDate(days: Int, format: String) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = format
    return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
}

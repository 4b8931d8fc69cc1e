import GS1

/// One place numbers come from: a format with its counter and the counter values it may use.
///
/// Two sources whose numbers share a uniqueness scope must never be able to make the same number;
/// the registry checks every pair when a class or product is saved.
struct NumberingSource {
    /// How the source is named in messages: `class SN (format "SN{counter:6}", series CLASS-SN)`.
    let name: String
    let format: NumberFormat
    /// The counter's identity: sources with the same counter never take the same value.
    let counter: String?
    let counters: ClosedRange<Int>
    /// Whether its numbers must be unique among all globally unique classes.
    let global: Bool

    /// Why `self` and `other` could make the same number in the same scope, or `nil`.
    /// `date` dates the example number the message quotes.
    func collision(with other: NumberingSource, on date: CalendarDate) -> String? {
        guard global, other.global else { return nil }
        if let counter, counter == other.counter, format == other.format { return nil }
        guard format.mayProduceSameNumber(as: other.format, counters: counters, otherCounters: other.counters) else {
            return nil
        }
        let example = format.sharedNumber(with: other.format, counters: counters, otherCounters: other.counters, date: date)
            .map { " (both could make \($0))" } ?? ""
        return "\(name) and \(other.name) could produce the same number\(example), and both must be globally unique: give them different constant text or counter ranges that do not overlap"
    }

    var rangeDescription: String {
        format.hasCounter ? "counters \(counters.lowerBound)–\(counters.upperBound)" : "no counter"
    }
}

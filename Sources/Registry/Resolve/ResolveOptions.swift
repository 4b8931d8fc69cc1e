public import Foundation
public import GS1

/// How a station resolves its scans.
public struct ResolveOptions: Sendable {
    /// Warn when the expiry is this many days away or fewer (0: only on the day itself).
    public var expiryWarningDays: Int
    /// The station's warehouse: stock, "not in stock here" and the pick-order check are about it.
    /// `nil` checks the pick order in every warehouse that holds the lot.
    public var warehouse: String?
    /// The day expiry is judged on; `nil` for the registry's today.
    public var date: CalendarDate?
    /// The customer's minimum shelf life: a lot that expires sooner than this many days from the
    /// date is not one to take first (picking for that customer).
    public var minimumShelfLifeDays: Int?
    /// What one taking needs from a single lot: a lot that holds less is no better lot to take
    /// first (a production line's unit takes its component from one lot). `nil`: any stock.
    public var minimumQuantity: Decimal?

    public init(expiryWarningDays: Int = 30, warehouse: String? = nil, date: CalendarDate? = nil, minimumShelfLifeDays: Int? = nil,
                minimumQuantity: Decimal? = nil) {
        self.minimumShelfLifeDays = minimumShelfLifeDays
        self.minimumQuantity = minimumQuantity
        self.expiryWarningDays = expiryWarningDays
        self.warehouse = warehouse
        self.date = date
    }
}

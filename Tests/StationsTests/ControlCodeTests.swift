import Foundation
import GS1
@testable import Stations
import Testing

/// Control codes as a scanner reads them off a sheet.
@Suite struct ControlCodeTests {
    /// An article or customer with a colon in its code can be named: TM:RUN is read from the
    /// right (count, then an optional expiry), TM:PICK takes all after it.
    @Test func codesWithColonsAreNamed() {
        #expect(ControlCode("TM:RUN:PUMP-200:50") == .run(product: "PUMP-200", count: 50, expiry: nil))
        #expect(ControlCode("TM:RUN:A:100:5") == .run(product: "A:100", count: 5, expiry: nil))
        #expect(ControlCode("TM:RUN:PAINT-5L:40:2027-06-30") == .run(product: "PAINT-5L", count: 40, expiry: CalendarDate(iso: "2027-06-30")))
        #expect(ControlCode("TM:RUN:A:B:7:2027-06-30") == .run(product: "A:B", count: 7, expiry: CalendarDate(iso: "2027-06-30")))
        #expect(ControlCode("TM:PICK:SHOP:EAST") == .pick(customer: "SHOP:EAST"))
        guard case .invalid(let expiry) = ControlCode("TM:RUN:PAINT-5L:40:2027-13-45") else { Issue.record("accepted"); return }
        #expect(expiry.contains("TM:RUN's expiry is a date as YYYY-MM-DD"))
        guard case .invalid(let count) = ControlCode("TM:RUN:PUMP-200:0") else { Issue.record("accepted"); return }
        #expect(count.contains("a count from 1 to 10000"))
        // With a date that reads, the count is what is wrong (a QA run saw the expiry blamed).
        for text in ["TM:RUN:KIT:0:2028-01-01", "TM:RUN:KIT:100000:2028-01-01", "TM:RUN:KIT:-1:2028-01-01"] {
            guard case .invalid(let message) = ControlCode(text) else { Issue.record("\(text) accepted"); return }
            #expect(message.hasPrefix("TM:RUN's count is from 1 to 10000, not "), "\(message)")
        }
        guard case .invalid = ControlCode("TM:RUN::5") else { Issue.record("accepted"); return }
        guard case .invalid = ControlCode("TM:PICK:") else { Issue.record("accepted"); return }
    }
}

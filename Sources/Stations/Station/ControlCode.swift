import Foundation
import GS1
import Registry

/// A control barcode (`TM:…`): what a station with a scanner and no screen is driven by.
enum ControlCode: Equatable {
    /// `TM:DONE`: completes the open task (posts the receipt).
    case done
    /// `TM:CANCEL`: abandons the open task.
    case cancel
    /// `TM:UNDO`: removes the open task's last line; `TM:UNDO:<line>` (the HTTP API's) one line
    /// by its id.
    case removeLine(Int64?)
    /// `TM:QTY:n`: the next scan's quantity.
    case quantity(Decimal)
    /// `TM:OP:<badge>`: signs an operator in.
    case signIn(String)
    /// `TM:OK:<badge>`: a supervisor's badge confirms the open task's held-back lines.
    case approve(String)
    /// `TM:RUN:<product>:<count>[:<expiry YYYY-MM-DD>]`: starts a production run.
    case run(product: String, count: Int, expiry: CalendarDate?)
    /// `TM:PICK:<customer>`: opens an issue for a customer.
    case pick(customer: String)
    /// A `TM:` code that is none of these (or malformed): refused with what is wrong.
    case invalid(String)

    /// The control code in `text`, or `nil` when the scan is not one.
    /// `TM:` and the code's word are read in either case (a keyboard-mode scanner with Caps Lock
    /// on sends `tm:done`); what follows them (a badge, a product, a customer) is kept as sent.
    init?(_ text: String) {
        guard text.prefix(3).uppercased() == "TM:" else { return nil }
        let parts = text.dropFirst(3).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch ((parts.first ?? "").uppercased(), parts.count) {
        case ("DONE", 1): self = .done
        case ("CANCEL", 1): self = .cancel
        case ("UNDO", 1): self = .removeLine(nil)
        case ("UNDO", 2):
            guard let line = Int64(parts[1]), line > 0 else {
                self = .invalid("TM:UNDO takes no value (the last line), or a line's id; got \"\(parts[1])\"")
                return
            }
            self = .removeLine(line)
        case ("QTY", 2):
            guard let quantity = Decimal(string: parts[1], locale: Locale(identifier: "en_US_POSIX")), quantity > 0,
                  quantity <= 1_000_000, parts[1].allSatisfy({ $0.isNumber || $0 == "." }) else {
                self = .invalid("TM:QTY takes a quantity above 0 and up to 1000000, e.g. TM:QTY:12; got \"\(parts[1])\"")
                return
            }
            guard (try? Quantity(quantity)) != nil else {
                self = .invalid("TM:QTY takes at most 6 decimals; got \"\(parts[1])\"")
                return
            }
            self = .quantity(quantity)
        case ("OP", 2) where !parts[1].isEmpty && parts[1].count <= 64: self = .signIn(parts[1])
        case ("OK", 2) where !parts[1].isEmpty && parts[1].count <= 64: self = .approve(parts[1])
        case ("RUN", let count) where count >= 3:
            // Read from the right, so that an article with a colon in it (A:100) can be named:
            // the count, and after it an expiry when the last part is a date.
            let dated = count >= 4 && CalendarDate(iso: parts[count - 1]) != nil && Int(parts[count - 2]) != nil
            let countIndex = dated ? count - 2 : count - 1
            let product = parts[1..<countIndex].joined(separator: ":")
            guard let runCount = Int(parts[countIndex]), (1...10_000).contains(runCount), !product.isEmpty else {
                if dated, let given = Int(parts[countIndex]) {
                    // The date read: the count is what is wrong (a QA run's 0 and 100000 were
                    // blamed on the expiry).
                    self = .invalid("TM:RUN's count is from 1 to 10000, not \(given), e.g. TM:RUN:PAINT-5L:40:2027-06-30")
                } else if count == 4, Int(parts[2]) != nil {
                    self = .invalid("TM:RUN's expiry is a date as YYYY-MM-DD, e.g. TM:RUN:PAINT-5L:40:2027-06-30; got \"\(parts[3])\"")
                } else {
                    self = .invalid("TM:RUN takes a product and a count from 1 to 10000, e.g. TM:RUN:PUMP-200:50; got \"\(text)\"")
                }
                return
            }
            self = .run(product: product, count: runCount, expiry: dated ? CalendarDate(iso: parts[count - 1]) : nil)
        case ("PICK", let count) where count >= 2 && !parts[1...].joined(separator: ":").isEmpty:
            self = .pick(customer: parts[1...].joined(separator: ":"))
        default:
            self = .invalid("\"\(text)\" is not a control code: use TM:DONE, TM:CANCEL, TM:UNDO, TM:QTY:n, TM:OP:badge, TM:OK:badge, TM:RUN:product:count[:expiry] or TM:PICK:customer")
        }
    }
}

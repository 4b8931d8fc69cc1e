public import Foundation
public import GS1

/// The accounts stock value changes are booked on, set in configuration (BAS defaults: stock on
/// 1460 "Lager av handelsvaror", its change on 4960 "Förändring av lager av handelsvaror").
public struct StockAccounts: Hashable, Sendable {
    /// The stock account, and per warehouse where one has its own.
    public var stock = 1460
    public var warehouses: [String: Int] = [:]
    /// The account each kind of document books its change of stock value against.
    public var counter: [DocumentKind: Int] = [:]
    public var defaultCounter = 4960
    /// Names of accounts, for the `#KONTO` lines.
    public var names: [Int: String] = [1460: "Lager av handelsvaror", 4960: "Förändring av lager av handelsvaror"]
    /// The verification series of the journal.
    public var series = "L"
    public var company = "Tracemark"
    public var organisationNumber: String?

    public init() {}

    public func stockAccount(_ warehouse: String) -> Int { warehouses[warehouse] ?? stock }
    public func counterAccount(_ kind: DocumentKind) -> Int { counter[kind] ?? defaultCounter }
}

/// The stock value changes of a period as an SIE 4 verification journal (`#VER` with `#TRANS`
/// rows), in the format's PC8 encoding (code page 437): one verification per document that
/// changed a stock account's value, its stock rows per account and the document kind's counter
/// account taking the difference, so that each balances to zero in whole öre.
///
/// A stock account's rows are rounded as they add up, not each on its own: each row is what
/// takes the account from the öre of its value before the document to the öre of its value
/// after, counted from its value the day before the period (`opening`). Rounded one by one,
/// three issues of 0.145 each took 0.15 and left -0.01 on an account whose goods were all gone,
/// and a month drifted from its valuation by 0.07 (found by a QA run); this way the account
/// ends each period at its valuation in öre, and consecutive periods join.
public enum SIEExport {
    public static func journal(_ documents: [AccountingDocument], accounts: StockAccounts, from: CalendarDate, through: CalendarDate,
                               generated: CalendarDate, opening: [Int: Decimal] = [:], program: String = "Tracemark") -> Data {
        var verifications: [String] = []
        var used = Set<Int>()
        var exact = opening
        var booked = opening.mapValues(cents)
        for document in documents {
            var byAccount: [Int: Decimal] = [:]
            for (warehouse, value) in document.valueByWarehouse {
                byAccount[accounts.stockAccount(warehouse), default: 0] += value
            }
            var rows: [(Int, Int)] = byAccount.sorted { $0.key < $1.key }.compactMap { account, value in
                guard value != 0 else { return nil }
                exact[account, default: 0] += value
                let amount = cents(exact[account]!) - booked[account, default: 0]
                booked[account, default: 0] += amount
                return amount == 0 ? nil : (account, amount)
            }
            guard !rows.isEmpty else { continue }
            let difference = -rows.reduce(0) { $0 + $1.1 }
            if difference != 0 { rows.append((accounts.counterAccount(document.kind), difference)) }
            rows.forEach { used.insert($0.0) }
            let partner = document.partnerName.flatMap { $0.isEmpty ? nil : $0 } ?? document.partner
            let text = [document.kind.rawValue, document.number, partner].compactMap { $0 }.joined(separator: " ")
            var verification = "#VER \(quoted(accounts.series)) \"\" \(compact(document.date)) \(quoted(text))\r\n{\r\n"
            for (account, amount) in rows {
                verification += "   #TRANS \(account) {} \(amountText(amount)) \"\" \(quoted(document.number))\r\n"
            }
            verifications.append(verification + "}\r\n")
        }
        var out = "#FLAGGA 0\r\n#PROGRAM \(quoted(program)) 1.0\r\n#FORMAT PC8\r\n#GEN \(compact(generated))\r\n#SIETYP 4\r\n"
        out += "#FNAMN \(quoted(accounts.company))\r\n"
        if let number = accounts.organisationNumber { out += "#ORGNR \(number)\r\n" }
        // Calendar years, the newest as 0.
        for (offset, year) in (from.year...through.year).reversed().enumerated() {
            out += "#RAR \(-offset) \(year)0101 \(year)1231\r\n"
        }
        out += "#KONTO \(accounts.stock) \(quoted(accounts.names[accounts.stock] ?? "Lager"))\r\n"
        for account in used.sorted() where account != accounts.stock {
            out += "#KONTO \(account) \(quoted(accounts.names[account] ?? "Konto \(account)"))\r\n"
        }
        out += verifications.joined()
        return pc8(out)
    }

    /// What each stock account held on a day: the valuation's lines summed by their warehouses'
    /// accounts (the opening of a journal that starts the next day).
    public static func values(_ valuation: ValuationReport, accounts: StockAccounts) -> [Int: Decimal] {
        valuation.lines.reduce(into: [:]) { $0[accounts.stockAccount($1.warehouse), default: 0] += $1.value }
    }

    /// Öre, rounded half away from zero.
    static func cents(_ value: Decimal) -> Int {
        var scaled = value * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        return NSDecimalNumber(decimal: rounded).intValue
    }

    static func amountText(_ cents: Int) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func compact(_ date: CalendarDate) -> String { date.description.replacingOccurrences(of: "-", with: "") }

    /// A field in double quotes, a quote inside as `\"`; control characters dropped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7F {
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }

    /// Code page 437 (IBM PC), the character set SIE names PC8; a character it lacks becomes `?`.
    static func pc8(_ text: String) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.value < 0x80 {
                bytes.append(UInt8(scalar.value))
            } else if let index = upperHalf.firstIndex(of: scalar) {
                bytes.append(UInt8(0x80 + upperHalf.distance(from: upperHalf.startIndex, to: index)))
            } else {
                bytes.append(UInt8(ascii: "?"))
            }
        }
        return Data(bytes)
    }

    /// Bytes 0x80–0xFF of code page 437.
    static let upperHalf = Array("ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}".unicodeScalars)
}

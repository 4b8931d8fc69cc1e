import ArgumentParser
import CSV
import Foundation
import GS1
import Registry
import Server

/// Lines of a stock document from the command line: one line from flags, or many from a file.
struct LineOptions: ParsableArguments {
    @Option(help: "The product of a one-line document.") var product: String?
    @Option(parsing: .unconditional, help: "Its quantity (for a named lot: the lot's quantity; with --serials: each serial's).") var quantity: String?
    @Option(help: ArgumentHelp("Serial numbers: comma- or newline-separated, or ranges like SN-0001..SN-0050.", valueName: "list"))
    var serials: [String] = []
    @Option(parsing: .unconditional, help: "A lot number (with --quantity).") var lot: String?
    @Option(help: "Expiry date of the lot or of generated numbers (YYYY-MM-DD).") var expiry: String?
    @Option(help: "Production date (YYYY-MM-DD).") var production: String?
    @Option(parsing: .unconditional, help: "Receipts: what one unit cost, in the registry's currency (the stock is valued at it).") var unitCost: String?
    @Option(help: ArgumentHelp("Many lines: a JSON array of lines (*.json), or CSV with columns product,quantity,number,expiry,production,unit_cost.",
                               discussion: """
                                   A JSON line needs only "product"; "quantity", "expiry", "production" (YYYY-MM-DD), \
                                   "unitCost" (receipts) and "picks" may be left out. A pick needs only "number" ("quantity", "expiry", \
                                   "production", "attributes" are optional), e.g.
                                   [{"product": "MILK", "quantity": 12},
                                    {"product": "PAINT", "picks": [{"number": "L-77", "quantity": 40, "expiry": "2027-03-31"}]},
                                    {"product": "PHONE", "picks": [{"number": "IMEI-1"}, {"number": "IMEI-2"}]}]
                                   """,
                               valueName: "file"))
    var file: String?

    func lines() throws -> [StockLine] {
        if let file {
            guard product == nil else { throw ValidationError("give either --file or --product, not both") }
            return try Self.read(file)
        }
        guard let product else { throw ValidationError("give --product (with --quantity, --lot or --serials) or --file") }
        let expiry = try expiry.map { try parseDate($0, what: "--expiry") }
        let production = try production.map { try parseDate($0, what: "--production") }
        let quantity = try quantity.map { try Self.decimal($0, what: "--quantity") }
        let unitCost = try unitCost.map { try Self.decimal($0, what: "--unit-cost") }
        var picks: [StockLine.Pick] = []
        if lot != nil, !serials.isEmpty, quantity != nil {
            throw ValidationError("--quantity with both --lot and --serials: say which it is for (one line per document, or --file)")
        }
        if let lot { picks.append(.init(number: lot, quantity: quantity, expiry: expiry, production: production)) }
        // --quantity with --serials is each serial's quantity: the registry applies it to a
        // multiple-quantity serial and refuses it for a serial that is one unit, as for a file's lines.
        for number in try serials.flatMap(SerialList.expand) {
            picks.append(.init(number: number, quantity: lot == nil ? quantity : nil, expiry: expiry, production: production))
        }
        if picks.isEmpty, quantity == nil { throw ValidationError("give --quantity, --lot or --serials for \(product)") }
        return [StockLine(product: product, quantity: picks.isEmpty || lot != nil ? quantity : nil, picks: picks,
                          expiry: expiry, production: production, unitCost: unitCost)]
    }

    static func decimal(_ text: String, what: String) throws -> Decimal {
        // The whole text is the number: an optional minus, digits, an optional fraction. Decimal
        // alone reads "10-2" as 10 and "1.2.3" as 1.2.
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0].hasPrefix("-") ? parts[0].dropFirst() : parts[0]
        guard parts.count <= 2, !whole.isEmpty, whole.allSatisfy(\.isASCII) && whole.allSatisfy(\.isNumber),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy { $0.isASCII && $0.isNumber }),
              let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ValidationError("\(what) \"\(text)\" is not a number (write it as 12 or 12.5)")
        }
        return value
    }

    static func read(_ path: String) throws -> [StockLine] {
        var data: Data
        do { data = try InputFile.read(path) } catch {
            throw ValidationError("cannot read \(path): \(error)")
        }
        // Excel's "CSV UTF-8" starts with a byte order mark, which is no part of the first cell.
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        // A file saved in another encoding (Windows' "ANSI", Latin-1) would post numbers with
        // U+FFFD in place of its letters: refused, naming the first line that is not UTF-8.
        guard let text = String(data: data, encoding: .utf8) else {
            var line = 1
            for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                if String(data: Data(raw), encoding: .utf8) == nil { break }
                line += 1
            }
            throw ValidationError("\(path) line \(line) is not UTF-8 text: save the file as UTF-8 (in Excel: CSV UTF-8)")
        }
        if path.lowercased().hasSuffix(".json") {
            // Where the syntax breaks, as a line and column of the file, rather than "not valid JSON".
            do { _ = try JSONSerialization.jsonObject(with: data) } catch {
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
                if let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
                   let offset = Int(detail[range].dropFirst("character ".count)) {
                    let before = data.prefix(max(0, min(offset, data.count)))
                    let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
                    let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
                    let what = detail.replacingOccurrences(of: #" around character \d+\.?"#, with: "", options: .regularExpression)
                    throw ValidationError("\(path) line \(line), column \(column): not valid JSON (\(what.lowercased()))")
                }
                throw ValidationError("\(path) is not valid JSON\(detail.isEmpty ? "" : ": \(detail)")")
            }
            let lines: [StockLine]
            do { lines = try JSONDecoder().decode([StockLine].self, from: data) } catch let error as DecodingError {
                throw ValidationError(Self.describe(error, path: path))
            }
            try refuseUnknownKeys(data, path: path)
            return lines
        }
        return try csv(text, path: path)
    }

    /// A key the lines do not know (`unit_cost` for `unitCost`) would be dropped without a word,
    /// and its line posted without it: refused, naming the line and the keys there are.
    static func refuseUnknownKeys(_ data: Data, path: String) throws {
        try refuseDuplicateKeys(data, path: path)
        guard let lines = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return }
        try refuseUnknownKeys(lines, place: { "\(path), document line \($0 + 1)" })
    }

    /// A key given twice in one object (`"quantity": 1, "quantity": 50`): JSON leaves which one
    /// counts open, and the file posted the first (found by a QA run); refused as HTTP refuses it.
    static func refuseDuplicateKeys(_ data: Data, path file: String) throws {
        if let place = DuplicateKey.find(in: data) {
            // The path alone, as the other messages of files name places (the body's messages add
            // "(item 2 of outputs)", counted from 1).
            let path = place.replacingOccurrences(of: #" \(item \d+ of [^)]*\)$"#, with: "", options: .regularExpression)
            throw ValidationError("\(file): \(path) is given twice; give each key once")
        }
    }

    /// ``refuseUnknownKeys(_:path:)`` for lines already read, line `index` named `place(index)`;
    /// `inputs` only where `takesInputs` (a production's outputs).
    static func refuseUnknownKeys(_ lines: [[String: Any]], place: (Int) -> String, takesInputs: Bool = true) throws {
        let lineKeys = Set(["product", "quantity", "picks", "expiry", "production", "unitCost"] + (takesInputs ? ["inputs"] : []))
        let pickKeys: Set<String> = ["number", "quantity", "expiry", "production", "attributes"]
        // A JSON path goes on with a dot (inputs[0].picks[1]); a line named in words with a comma.
        func joint(_ index: Int) -> String { place(index).hasSuffix("]") ? "." : ", " }
        for (index, line) in lines.enumerated() {
            if let key = line.keys.sorted().first(where: { !lineKeys.contains($0) }) {
                throw ValidationError("\(place(index)): unknown key \"\(key)\" (a line takes \(lineKeys.sorted().joined(separator: ", ")))")
            }
            for (pickIndex, pick) in ((line["picks"] as? [[String: Any]]) ?? []).enumerated() {
                if let key = pick.keys.sorted().first(where: { !pickKeys.contains($0) }) {
                    throw ValidationError("\(place(index))\(joint(index))picks[\(pickIndex)]: unknown key \"\(key)\" (a pick takes \(pickKeys.sorted().joined(separator: ", ")))")
                }
                // An attribute is a name and a typed value, nothing else (an extra key was dropped).
                for (attributeIndex, attribute) in ((pick["attributes"] as? [[String: Any]]) ?? []).enumerated() {
                    let at = "\(place(index))\(joint(index))picks[\(pickIndex)].attributes[\(attributeIndex)]"
                    if let key = attribute.keys.sorted().first(where: { !["name", "value"].contains($0) }) {
                        throw ValidationError("\(at): unknown key \"\(key)\" (an attribute takes name, value)")
                    }
                    if let value = attribute["value"] as? [String: Any], let key = value.keys.sorted().first(where: { !["type", "value"].contains($0) }) {
                        throw ValidationError("\(at).value: unknown key \"\(key)\" (a value takes type, value)")
                    }
                }
            }
        }
    }

    /// What a decoder wanted, in a user's words: "a number", not `Decimal` (the lines' files and
    /// the production file both say it so).
    static func expected(_ type: Any.Type, wholeNumber: String = "a whole number") -> String {
        type == String.self ? "text" : type == Decimal.self ? "a number" : type == Int.self ? wholeNumber
            : "\(type)".hasPrefix("Array") ? "a list" : "\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)"
    }

    /// Where a JSON file of lines is wrong and how: `lines.json, document line 2, picks[0]: "number" is missing`.
    static func describe(_ error: DecodingError, path: String) -> String {
        func place(_ codingPath: [any CodingKey]) -> String {
            guard let first = codingPath.first, let index = first.intValue else { return path }
            var text = "\(path), document line \(index + 1)"
            let field = codingPath.dropFirst().map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            if !field.isEmpty { text += ", " + (field.hasPrefix(".") ? String(field.dropFirst()) : field) }
            return text
        }
        let shape = " (a JSON array of lines: see tracemark receive --help)"
        switch error {
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath)): \"\(key.stringValue)\" is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            if context.codingPath.isEmpty { return "\(path) is not a list of lines\(shape)" }
            return "\(place(context.codingPath)): expected \(expected(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "\(path) is not valid JSON\(detail.map { ": \($0)" } ?? "")"
            }
            return "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(path): \(error.localizedDescription)\(shape)"
        }
    }

    /// CSV rows `product,quantity,number,expiry,production,unit_cost` (a header row is skipped); rows
    /// of the same product and no number are quantity lines, rows with a number are picks of one
    /// line (of one unit cost).
    /// Read as RFC 4180 (CSV.swift): a field in double quotes may hold commas, line breaks and
    /// doubled quotes (`"Paint, 5 l"`, `"12"" pipe"`). Errors name the file line a row starts on.
    static func csv(_ text: String, path: String) throws -> [StockLine] {
        // The reader takes an unterminated quote as a field running to the end of the file:
        // refuse it instead, so that no row is swallowed silently.
        var quoted = false, line = 1, opened = 1
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            if scalar == "\"" {
                quoted.toggle()
                if quoted { opened = line }
            } else if scalar == "\r" || (scalar == "\n" && previous != "\r") {
                line += 1  // CR, LF or CR LF ends a line
            }
            previous = scalar
        }
        if quoted {
            throw ValidationError("\(path) line \(opened): a double quote is not closed (a quoted field must end with \"; write \"\" for a quote inside it)")
        }
        let reader: CSVReader
        do { reader = try CSVReader(string: text, hasHeaderRow: false) } catch {
            throw ValidationError("\(path) cannot be read as CSV: \(error)")
        }
        var lines: [StockLine] = []
        var fileLine = 1
        var index = -1
        var columns = CSVColumns.positional
        var headed = false
        while let row = reader.next() {
            index += 1
            let startLine = fileLine
            fileLine += 1 + row.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 == "\n" || $1 == "\r\n" || $1 == "\r" ? 1 : 0) } }
            let cells = row.map { $0.trimmingCharacters(in: .whitespaces) }
            let where_ = "\(path) line \(startLine)"
            if index == 0, let header = try CSVColumns.header(cells, where: where_) {
                columns = header
                headed = true
                continue
            }
            if cells.allSatisfy(\.isEmpty) { continue }
            // Excel writes CSV with semicolons where the decimal mark is a comma: one field.
            if cells.count == 1, cells[0].contains(";") {
                throw ValidationError("\(where_): one field holding \";\": the file looks separated by semicolons; save it as comma-separated CSV (in Excel: CSV UTF-8), with . as the decimal mark")
            }
            if let extra = columns.unnamed(cells) {
                throw ValidationError(headed
                    ? "\(where_): field \(extra + 1) (\(cells[extra].debugDescription)) is under no column of the header; quote a field that holds a comma"
                    : "\(where_): \(cells.count) fields, but a line has at most 6 (product,quantity,number,expiry,production,unit_cost); quote a field that holds a comma")
            }
            func cell(_ name: String) -> String? { columns.cell(name, cells) }
            guard let product = cell("product") else { throw ValidationError("\(where_): no product") }
            let quantity = try cell("quantity").map { try decimal($0, what: "\(where_): quantity") }
            let expiry = try cell("expiry").map { try parseDate($0, what: "\(where_): expiry") }
            let production = try cell("production").map { try parseDate($0, what: "\(where_): production") }
            let unitCost = try cell("unit_cost").map { try decimal($0, what: "\(where_): unit_cost") }
            if let number = cell("number") {
                let pick = StockLine.Pick(number: number, quantity: quantity, expiry: expiry, production: production)
                if let last = lines.indices.last, lines[last].product == product, !lines[last].picks.isEmpty, lines[last].unitCost == unitCost {
                    lines[last].picks.append(pick)
                } else {
                    lines.append(StockLine(product: product, picks: [pick], unitCost: unitCost))
                }
            } else {
                guard quantity != nil else { throw ValidationError("\(where_): give a quantity or a number") }
                lines.append(StockLine(product: product, quantity: quantity, expiry: expiry, production: production, unitCost: unitCost))
            }
        }
        guard !lines.isEmpty else { throw ValidationError("\(path) has no lines") }
        return lines
    }
}

/// The columns of a `--file` CSV: by position (`product,quantity,number,expiry,production,unit_cost`),
/// or as a header row names them, in any order. A header was skipped and its names ignored, so a
/// file with its lot column before its quantity posted lot 5 of 240,117 l (found by a QA run).
struct CSVColumns {
    static let names = ["product", "quantity", "number", "expiry", "production", "unit_cost"]
    /// Other names spreadsheets give them.
    static let aliases = ["lot": "number", "serial": "number", "lot_serial": "number", "cost": "unit_cost", "unitcost": "unit_cost"]
    /// The cell of each column, by its name.
    var positions: [String: Int]

    static let positional = CSVColumns(positions: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }))

    /// The columns a header row names, or nil when `cells` is not a header (a cell that names no
    /// column). A header naming a column twice, or without a product, is refused.
    static func header(_ cells: [String], where place: String) throws -> CSVColumns? {
        let named = cells.map { cell -> String in
            let name = cell.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
            return aliases[name] ?? name
        }
        // A header names one column at least: "prodcut,lot,quantity" is a header with a typo,
        // and was read as data ("quantity \"lot\" is not a number"; found by a QA run).
        guard named.contains(where: names.contains) else { return nil }
        var positions: [String: Int] = [:]
        for (index, name) in named.enumerated() where !name.isEmpty {
            guard names.contains(name) else {
                throw ValidationError("\(place): the header names a column \(cells[index].debugDescription), which is not one of \(names.joined(separator: ", ")) (lot and serial are taken for number, cost for unit_cost)")
            }
            guard positions[name] == nil else { throw ValidationError("\(place): the header names the column \(name) twice") }
            positions[name] = index
        }
        guard positions["product"] != nil else { throw ValidationError("\(place): the header has no product column") }
        return CSVColumns(positions: positions)
    }

    /// The cell of column `name` in `cells`, nil when empty or absent.
    func cell(_ name: String, _ cells: [String]) -> String? {
        guard let index = positions[name], index < cells.count, !cells[index].isEmpty else { return nil }
        return cells[index]
    }

    /// Cells no column takes, that hold something.
    func unnamed(_ cells: [String]) -> Int? {
        let taken = Set(positions.values)
        return cells.indices.first { !taken.contains($0) && !cells[$0].isEmpty }
    }
}

/// Lists of serial numbers as people paste them: comma- or newline-separated, trimmed, with ranges.
enum SerialList {
    static func expand(_ text: String) throws -> [String] {
        try text.split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.flatMap(range)
    }

    /// `SN-0001..SN-0050`: the same prefix and a numeric tail of the same width on both ends.
    static func range(_ item: String) throws -> [String] {
        guard let dots = item.range(of: "..") else { return [item] }
        let first = String(item[..<dots.lowerBound]), last = String(item[dots.upperBound...])
        func split(_ s: String) -> (String, String) {
            let digits = s.reversed().prefix { $0.isASCII && $0.isNumber }
            return (String(s.dropLast(digits.count)), String(digits.reversed()))
        }
        let (prefix, from) = split(first), (prefix2, to) = split(last)
        guard !from.isEmpty, prefix == prefix2, from.count == to.count, let a = Int(from), let b = Int(to), a <= b else {
            throw ValidationError("range \(item): both ends need the same prefix and a number of the same width, the first not above the last")
        }
        guard b - a < 100_000 else { throw ValidationError("range \(item) has more than 100000 numbers") }
        return (a...b).map { value in
            let digits = String(value)
            return prefix + String(repeating: "0", count: max(0, from.count - digits.count)) + digits
        }
    }
}

/// Options every document takes.
struct HeaderOptions: ParsableArguments {
    @Option(help: "The document date (YYYY-MM-DD; default today, UTC).") var date: String?
    @Option(help: "Who posts it.") var user = defaultUser()
    @Option(help: "A note.") var note = ""

    func header() throws -> DocumentHeader {
        DocumentHeader(date: try date.map { try parseDate($0, what: "--date") }, user: user, note: note)
    }
}

func describe(_ document: PostedDocument) -> String {
    "\(document.kind.rawValue) \(document.number) posted on \(document.date)\n" + table(
        ["LINE", "PRODUCT", "WAREHOUSE", "NUMBER", "QUANTITY", "OVERRIDE"],
        document.movements.map { ["\($0.line + 1)", $0.product, $0.warehouse, $0.number ?? "-", "\($0.quantity)", $0.override ?? ""] })
}

extension LineOptions {
    /// Runs `post`; a refusal that names a lot, serial or product of `--file` also says on which
    /// line of the file it is (`(lines.csv line 7)`), as parse errors do: the registry speaks of
    /// document lines, which in a CSV file may be several rows.
    func locating<T>(_ post: () async throws -> T) async throws -> T {
        do {
            return try await post()
        } catch let error as RegistryError {
            guard let file, let place = Self.place(of: error, in: file) else { throw error }
            throw RegistryError(error.code, "\(error.message) (\(place))", cause: error)
        }
    }

    /// The file lines (CSV) or document lines (JSON) of `path` that `error` is about: on the
    /// document line the registry names, the rows whose number the message names, else the line's
    /// first; without a line, the rows whose number, or else product, the message names. Nil
    /// when it names none of them.
    static func place(of error: RegistryError, in path: String) -> String? {
        let message = error.message
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        // Each row with the document line it belongs to (as `csv(_:path:)` groups them).
        var rows: [(place: Int, product: String, number: String?, line: Int)] = []
        let json = path.lowercased().hasSuffix(".json")
        if json {
            guard let lines = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
            for (index, line) in lines.enumerated() {
                let product = line["product"] as? String ?? ""
                let picks = (line["picks"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
                rows += picks.isEmpty ? [(index + 1, product, nil, index)] : picks.map { (index + 1, product, $0, index) }
            }
        } else {
            var text = String(decoding: data, as: UTF8.self)
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            guard let reader = try? CSVReader(string: text, hasHeaderRow: false) else { return nil }
            var fileLine = 1
            var line = -1
            var picking: (product: String, unitCost: Decimal?)?
            var columns = CSVColumns.positional
            while let row = reader.next() {
                let start = fileLine
                fileLine += 1 + row.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 == "\n" || $1 == "\r\n" || $1 == "\r" ? 1 : 0) } }
                let cells = row.map { $0.trimmingCharacters(in: .whitespaces) }
                if start == 1, let header = try? CSVColumns.header(cells, where: "") {
                    columns = header
                    continue
                }
                guard let product = columns.cell("product", cells) else { continue }
                let number = columns.cell("number", cells)
                let unitCost = columns.cell("unit_cost", cells).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
                // A row with a number joins the line of numbers before it of the same product and unit cost.
                if number == nil || picking.map({ $0.product != product || $0.unitCost != unitCost }) ?? true { line += 1 }
                picking = number == nil ? nil : (product, unitCost)
                rows.append((start, product, number, line))
            }
        }
        var candidates = rows.indices.map { $0 }
        // A number named twice is on two rows: both are named, not only the second's line.
        if let line = error.line, !message.contains(" is named on lines ") {
            candidates = candidates.filter { rows[$0].line == line }
            guard !candidates.isEmpty else { return nil }
        }
        // Found as the HTTP API finds its body's lines: by a number the message names, else by
        // the first line of its product (or, on the line named, its first row).
        let lines = candidates.map { StockLine(product: rows[$0].product, picks: rows[$0].number.map { [StockLine.Pick(number: $0)] } ?? []) }
        var hits = StockLine.positions(namedIn: message, lines)
        if hits.isEmpty, error.line != nil { hits = [0] }
        let places = Array(Set(hits.map { rows[candidates[$0]].place })).sorted()
        guard !places.isEmpty else { return nil }
        let listed = places.count <= 1 ? "\(places[0])" : places.dropLast().map(String.init).joined(separator: ", ") + " and \(places.last!)"
        return "\(path) \(json ? "document line" : "line")\(places.count == 1 ? "" : "s") \(listed)"
    }
}

public import GS1
import Foundation
import SQLKit
import Store

extension Registry {
    /// Throws ``RegistryError/Code/notFound`` when no warehouse has `code`: a resolve asked about
    /// a warehouse by a person (the HTTP API's, the command's `warehouse`) answers the same for
    /// every code, not 404 only when the code happens to be out of stock there. The stations'
    /// warehouses are checked once, when they start.
    public func checkWarehouse(_ code: String) async throws {
        guard try await store.read({ db in try await db.raw("SELECT 1 AS x FROM warehouses WHERE code = \(bind: code)").first() }) == nil else { return }
        throw RegistryError(.notFound, "warehouse \(code) does not exist: check its code (tracemark warehouse list)")
    }

    /// Resolves a scan as a scanner delivers it (AIM symbology identifier, GS1 element strings,
    /// bracketed text, Digital Link URI, EAN/UPC, or a plain code) against the registry.
    ///
    /// - Throws: ``RegistryError/Code-swift.struct/invalidInput`` when `parser` refuses the scan,
    ///   with the GS1 message (what is wrong and at which position).
    ///
    /// A scan that says nothing of GS1 (no symbology identifier, brackets, URI or GS) whose digits
    /// only happen to start like an AI (a serial `1000123`, read as `(10)00123`) is looked up as a
    /// plain code too, when reading it as element strings failed or named nothing known: what the
    /// registry knows it by wins, and the GS1 reading stands otherwise.
    public func resolve(_ code: String, parser: GS1Parser = GS1Parser(.scanning()), options: ResolveOptions = ResolveOptions()) async throws -> Resolution {
        // Spaces, tabs and line ends around a code are no part of it, on every path: the command
        // line trimmed them and HTTP and the stations read a trailing space as a character of a
        // GS1 serial, refused (found by a QA run). Inside a code they stay what they are.
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !code.allSatisfy(\.isWhitespace) else {
            throw RegistryError(.invalidInput, "the scan is empty: scan a barcode, or type its text")
        }
        let scanned: ScannedCode
        do {
            scanned = try parser.parse(code)
        } catch {
            if let plain = parser.plainReading(code), let known = try await resolveKnown(plain, code: code, options: options) {
                return known
            }
            if let known = try await resolveUPCE(code, parser: parser, options: options) { return known }
            throw RegistryError(.invalidInput, "scan \"\(Self.printable(code))\" cannot be read: \(error.message)")
        }
        let resolution = try await resolve(scanned, code: code, options: options)
        if resolution.subject == .unknown, scanned.kind == .elementString, let plain = parser.plainReading(code),
           let known = try await resolveKnown(plain, code: code, options: options) {
            return known
        }
        // 8, 12, 13 or 14 digits without a symbology identifier whose last digit happens to be a
        // valid check digit (one number in ten) may be a lot or serial number from a plain Code
        // 128 label: read as a GTIN alone, 20260002 was "GTIN not in the registry" while serial
        // 20260002 was, and a lot numbered as a product's EAN-8 was hidden behind the product
        // (found by a QA run). Known only as a number: that; known as both: ambiguous.
        if scanned.kind == .gtin, scanned.symbology == nil, resolution.subject == .unknown || resolution.subject == .product,
           let plain = parser.plainReading(code), let known = try await resolveKnown(plain, code: code, options: options) {
            guard resolution.subject == .product, let product = resolution.product else { return known }
            let others = known.subject == .ambiguous ? known.candidates
                : known.product.map { [Resolution.Candidate(product: $0.article, number: known.lotSerial?.number)] } ?? []
            let numbers = others.filter { $0.number != nil || $0.product != product.article }
            if !numbers.isEmpty { return Self.ambiguous(resolution, gtinOf: product.article, or: numbers, code: code) }
        }
        if resolution.subject == .unknown, let known = try await resolveUPCE(code, parser: parser, options: options) { return known }
        return resolution
    }

    /// A code of 8 digits the registry knows by nothing else, read as the UPC-E it may be: the
    /// product registered under its UPC-A's GTIN (scanners often send UPC-E unexpanded).
    private func resolveUPCE(_ code: String, parser: GS1Parser, options: ResolveOptions) async throws -> Resolution? {
        guard let gtin = GTIN.expandingUPCE(code.trimmingCharacters(in: .whitespaces)),
              let expanded = try? parser.parse(String(gtin.gtin14.suffix(12))) else { return nil }
        let resolution = try await resolve(expanded, code: code, options: options)
        return resolution.subject == .unknown ? nil : resolution
    }

    /// A code that is the GTIN of `product` and the number of `others`: which one the label
    /// means is not known, as for any code several records have.
    static func ambiguous(_ asGTIN: Resolution, gtinOf product: String, or others: [Resolution.Candidate], code: String) -> Resolution {
        var resolution = asGTIN
        resolution.subject = .ambiguous
        resolution.candidates = Array(([Resolution.Candidate(product: product, number: nil)] + others).prefix(10))
        (resolution.product, resolution.lotSerial, resolution.lot, resolution.stock) = (nil, nil, nil, [])
        (resolution.daysToExpiry, resolution.lastReceipt, resolution.lastIssue, resolution.lastMovement) = (nil, nil, nil, nil)
        let shown = others.prefix(9).map { "\($0.product)" + ($0.number.map { " \($0)" } ?? " (article)") }
        resolution.warnings = [ResolutionWarning(.ambiguous,
            "\"\(printable(code))\" is the GTIN of product \(product) and the number of \(shown.joined(separator: ", ")): scan a GS1 barcode that names the product with its lot or serial")]
        return resolution
    }

    /// `plain`'s resolution if the registry knows the code (one record or several), else nil.
    private func resolveKnown(_ plain: ScannedCode, code: String, options: ResolveOptions) async throws -> Resolution? {
        let resolution = try await resolve(plain, code: code, options: options)
        return resolution.subject == .unknown ? nil : resolution
    }

    /// What an unknown plain code that starts like a GS1 label's data ((00) and 18 digits, (01)
    /// or (02) and 14) but does not read as element strings probably is: a misread, or a scanner
    /// that sends neither its AIM prefix nor GS; where it stops reading, else nothing. Asked only
    /// of a code nothing is known by, off the path of every scan.
    static func brokenElementStrings(_ code: String) -> String {
        let bytes = Array(code.utf8)
        func digits(_ range: Range<Int>) -> Bool { bytes.count >= range.upperBound && bytes[range].allSatisfy { (48...57).contains($0) } }
        guard bytes.count > 2, bytes[0] == UInt8(ascii: "0"), digits(0..<2),
              bytes[1] == UInt8(ascii: "0") ? digits(2..<20) : (bytes[1] == UInt8(ascii: "1") || bytes[1] == UInt8(ascii: "2")) && digits(2..<16)
        else { return "" }
        do {
            _ = try GS1Parser(.scanning()).parseElementString(code)
            return ""
        } catch {
            return "; it starts like a GS1 label's data but does not read as one (\(error.message)): most likely a misread, or a scanner that sends neither its AIM prefix nor GS, scan it again"
        }
    }

    /// What an unknown plain code of 8, 12, 13 or 14 digits whose GTIN check digit is wrong
    /// probably is: an EAN or UPC misread (scanners send no symbology by default, so the code
    /// cannot say it is one), else nothing.
    static func misreadGTIN(_ code: String) -> String {
        let digits = Array(code.utf8)
        guard let name = [8: "an EAN-8", 12: "a UPC-A", 13: "an EAN-13", 14: "a GTIN-14"][digits.count],
              digits.allSatisfy({ (48...57).contains($0) }) else { return "" }
        let expected = CheckDigit.compute(digits.dropLast()), got = digits[digits.count - 1] - UInt8(ascii: "0")
        guard expected != got else { return "" }
        return "; read as \(name), its check digit is wrong (check digit should be \(expected), got \(got)): most likely a misread, scan it again"
    }

    /// `(reason)` of a block, or `(no reason recorded)`.
    private static func because(_ reason: String?) -> String {
        guard let reason = reason?.trimmingCharacters(in: .whitespaces), !reason.isEmpty else { return "(no reason recorded)" }
        return "(\(reason))"
    }

    /// Resolves an already parsed scan; `code` is the scan as received, for the report.
    public func resolve(_ scanned: ScannedCode, code: String, options: ResolveOptions = ResolveOptions()) async throws -> Resolution {
        let today = options.date ?? self.today
        // A lot counts as one to take first only if it is usable for whom the goods are for.
        let usableUntil = today.adding(days: max(options.minimumShelfLifeDays ?? 0, 0))
        // ... and only if it holds what one taking needs (stored millionths; at least one).
        let atLeast = max(options.minimumQuantity.flatMap { try? Quantity($0).storage } ?? 1, 1)
        let query = ResolveQuery(kind: store.kind)
        var resolution = Resolution(subject: .unknown, scan: Self.scan(scanned, code: code), product: nil, lotSerial: nil, lot: nil,
                                    stock: [], daysToExpiry: nil, lastReceipt: nil, lastIssue: nil, lastMovement: nil,
                                    candidates: [], warnings: [])
        let scan = resolution.scan
        let facts: ResolveQuery.Facts?
        // A logistic label of one trade item names its goods by (02): it is resolved as they are,
        // with their lot's warnings (a lookup of a blocked lot's pallet said only "SSCC, not
        // tracked"; found by a QA run).
        if let gtin = scan.gtin ?? (scan.sscc != nil ? scanned.value(for: "02").flatMap({ try? GTIN($0) }) : nil) {
            let number = scan.serial ?? scan.lot
            facts = try await store.read { db in
                if let number {
                    let found = try await lotSerial(db, query, .gtin(gtin), number: number, lotOfSerial: scan.serial == nil ? nil : scan.lot,
                                                    warehouse: options.warehouse, usableUntil: usableUntil, atLeast: atLeast)
                    // A pack with a serial of its own (a medicine's DataMatrix carries (10) and (21))
                    // of a product tracked by lot: the lot is what the registry knows it by.
                    if let found, found.lotSerial == nil, found.retiredReason == nil, scan.serial != nil, let lot = scan.lot,
                       try await db.raw("""
                           SELECT c.tracking FROM products p JOIN lot_serial_classes c ON c.code = p.class_code WHERE p.id = \(bind: found.productID)
                           """).first()?.decode(column: "tracking", as: String.self) == LotSerialClass.Tracking.lot.rawValue,
                       let byLot = try await lotSerial(db, query, .gtin(gtin), number: lot, lotOfSerial: nil,
                                                       warehouse: options.warehouse, usableUntil: usableUntil, atLeast: atLeast),
                       byLot.lotSerial != nil {
                        return byLot
                    }
                    return found
                } else {
                    return try await query.product(db, .gtin(gtin))
                }
            }
            if facts == nil {
                resolution.warnings.append(ResolutionWarning(.unknownProduct,
                    "GTIN \(gtin) is not in the registry: add the product (with this GTIN) before receiving it"))
            }
        } else if let sscc = scan.sscc {
            facts = nil
            resolution.warnings.append(ResolutionWarning(.notTracked,
                "SSCC \(sscc) names a logistic unit (a pallet or case), which the registry does not track: scan the goods' own barcodes"))
        } else if let raw = scanned.elements.first(where: { $0.ai == "01" })?.value, scan.serial ?? scan.lot == nil {
            // A GTIN that is not one (read leniently: its check digit is wrong) names no product.
            facts = nil
            resolution.warnings.append(ResolutionWarning(.unknownProduct,
                "GTIN \(Self.printable(raw)) is not a valid GTIN (its check digit is wrong): it names no product; check the label"))
        } else if let number = scan.serial ?? scan.lot ?? (scanned.kind == .plain ? scanned.data.trimmingCharacters(in: .whitespaces) : nil) {
            // No number holds a control character (registering one refuses it): a scanner or a
            // program that sent one sent something else than a barcode's text.
            // Nor one that is not text: bytes that are not UTF-8 (a scanner sending Latin-1) arrive
            // as U+FFFD, and were looked up as "CAF\u{FFFD}" and said unknown (found by a QA run);
            // an invisible format character (a byte order mark) likewise.
            if scanned.kind == .plain, let at = number.unicodeScalars.firstIndex(where: {
                [.control, .format].contains($0.properties.generalCategory) || $0 == "\u{FFFD}"
            }) {
                let position = number.unicodeScalars.distance(from: number.unicodeScalars.startIndex, to: at) + 1
                let scalar = number.unicodeScalars[at]
                let what = switch scalar {
                case "\u{FFFD}": "a byte that is not UTF-8 text at character \(position): the scanner sends another character set (Latin-1?); set it to send UTF-8"
                case _ where scalar.properties.generalCategory == .format:
                    "an invisible character (U+\(String(format: "%04X", scalar.value))) at character \(position): no number holds one; check the scanner's prefix and suffix settings"
                default:
                    "a control character (U+\(String(format: "%04X", scalar.value))) at character \(position): no number holds one; check the scanner's prefix and suffix settings"
                }
                throw RegistryError(.invalidInput, "scan \"\(Self.printable(number))\" has \(what)")
            }
            (facts, resolution.candidates) = try await store.read { db in
                let candidates = try await query.candidates(db, code: number)
                guard candidates.count == 1, let only = candidates.first else { return (nil, candidates) }
                let facts = if let number = only.number {
                    try await lotSerial(db, query, .article(only.product), number: number, lotOfSerial: nil,
                                        warehouse: options.warehouse, usableUntil: usableUntil, atLeast: atLeast)
                } else {
                    try await query.product(db, .article(only.product))
                }
                return (facts, [])
            }
            if resolution.candidates.count > 1 {
                resolution.subject = .ambiguous
                let shown = resolution.candidates.prefix(10).map { "\($0.product)" + ($0.number.map { " \($0)" } ?? " (article)") }
                resolution.warnings.append(ResolutionWarning(.ambiguous,
                    "\"\(Self.printable(number))\" matches \(resolution.candidates.count > 10 ? "more than 10" : "\(resolution.candidates.count)") records (\(shown.joined(separator: ", "))): scan a GS1 barcode that names the product too"))
                resolution.candidates = Array(resolution.candidates.prefix(10))
            } else if facts == nil {
                resolution.warnings.append(ResolutionWarning(.unknownProduct,
                    "no product, lot or serial is known by \"\(Self.printable(number))\"" + Self.misreadGTIN(number)
                        + (scanned.kind == .plain && scanned.symbology == nil ? Self.brokenElementStrings(number) : "")))
            }
            // Found by its number alone though the scan named a product by a GTIN that is not
            // valid (read leniently): which product the label means is not known.
            if let raw = scanned.elements.first(where: { $0.ai == "01" })?.value {
                resolution.warnings.append(ResolutionWarning(.unknownProduct,
                    "GTIN \(Self.printable(raw)) is not a valid GTIN (its check digit is wrong)\(facts.map { ": \"\(Self.printable(number))\" was found by its number alone, as a \($0.lotSerial == nil ? "product" : "lot or serial") of \($0.product.article); check the label is that product's" } ?? "")"))
            }
        } else {
            facts = nil
            let ais = scan.elements.map { "(\($0.ai))" }.joined()
            resolution.warnings.append(ResolutionWarning(.notTracked,
                "the scan names no product, lot or serial\(ais.isEmpty ? "" : ": it holds \(ais)")"))
        }
        if let facts { Self.fill(&resolution, facts, options: options, today: today) }
        try await sayReserved(&resolution, scanned: scanned)
        // "No stock in warehouse NOPE" for a warehouse that does not exist would send the operator
        // looking for goods; asked only then, off the path of every scan.
        if let warehouse = options.warehouse, resolution.warnings.contains(where: { $0.kind == .notInStock }) {
            try await checkWarehouse(warehouse)
        }
        for warning in scanned.warnings {
            resolution.warnings.append(ResolutionWarning(.scanRuleBroken, warning.message))
        }
        resolution.warnings = resolution.warnings.enumerated()
            .sorted { ($0.element.kind.severity, $0.offset) < ($1.element.kind.severity, $1.offset) }.map(\.element)
        return resolution
    }

    /// A number not registered yet that a block reserves (a pre-printed label not used yet) is
    /// said to be, with its block: it was "unknown", or "no product, lot or serial is known" for a
    /// plain code (found by a QA run). Asked only when the scan's number is unknown.
    private func sayReserved(_ resolution: inout Resolution, scanned: ScannedCode) async throws {
        guard let index = resolution.warnings.firstIndex(where: { $0.kind == .unknownLotSerial || $0.kind == .unknownProduct }),
              let number = resolution.scan.serial ?? resolution.scan.lot
                ?? (scanned.kind == .plain ? scanned.data.trimmingCharacters(in: .whitespaces) : nil),
              !number.isEmpty, number.utf8.count <= 64 else { return }
        let product = resolution.product?.article
        let blocks = try await store.read { db in
            try await db.raw("""
                SELECT b.id, b.purpose, p.article FROM number_block_numbers n JOIN number_blocks b ON b.id = n.block_id
                JOIN products p ON p.id = b.product_id
                WHERE n.number = \(bind: number) ORDER BY b.id LIMIT 5
                """).all().map { (id: try $0.int("id"), purpose: try $0.string("purpose"), article: try $0.string("article")) }
        }.filter { product == nil || $0.article == product }
        guard let block = blocks.first else { return }
        let purpose = block.purpose.trimmingCharacters(in: .whitespaces).isEmpty ? "" : " (\(block.purpose))"
        let what = product == nil ? "\(Self.printable(number)) is no lot or serial yet: it is reserved for product \(block.article)" : "\(Self.printable(number)) of \(block.article) is not registered yet: it is reserved"
        resolution.warnings[index] = ResolutionWarning(resolution.warnings[index].kind,
            "\(what) in block \(block.id)\(purpose), a pre-printed number not used yet; receive or make the goods to register it")
    }

    /// The lot/serial's facts, asked with the product's issue method as last seen, and asked again
    /// when the product's class has another (the first scan of a product, or after a change).
    private func lotSerial(_ db: any SQLDatabase, _ query: ResolveQuery, _ key: ResolveQuery.ProductKey, number: String,
                           lotOfSerial: String?, warehouse: String?, usableUntil: CalendarDate, atLeast: Int) async throws -> ResolveQuery.Facts? {
        let hint = resolveHints.issueMethod(for: key)
        guard let facts = try await query.lotSerial(db, key, number: number, lotOfSerial: lotOfSerial, warehouse: warehouse,
                                                    today: usableUntil, atLeast: atLeast, assumedMethod: hint) else { return nil }
        guard facts.issueMethod != hint else { return facts }
        resolveHints.remember(facts.issueMethod, for: key)
        guard facts.lotSerial != nil else { return facts }
        return try await query.lotSerial(db, key, number: number, lotOfSerial: lotOfSerial, warehouse: warehouse,
                                         today: usableUntil, atLeast: atLeast, assumedMethod: facts.issueMethod)
    }

    // MARK: - Assembly

    private static func scan(_ scanned: ScannedCode, code: String) -> Resolution.Scan {
        let form = switch scanned.kind {
        case .elementString: "elementString"
        case .digitalLink: "digitalLink"
        case .gtin: "gtin"
        case .plain: "plain"
        }
        return Resolution.Scan(code: code, form: form, symbology: scanned.symbology?.description,
                               elements: scanned.elements.map { .init(ai: $0.ai, value: $0.value, reading: scanned.reading(of: $0)) },
                               gtin: scanned.gtin, lot: scanned.lot, serial: scanned.serial, sscc: scanned.sscc,
                               expiry: scanned.expiry, production: scanned.production, bestBefore: scanned.bestBefore)
    }

    private static func fill(_ resolution: inout Resolution, _ facts: ResolveQuery.Facts, options: ResolveOptions,
                             today: CalendarDate) {
        let scan = resolution.scan
        let product = facts.product
        resolution.product = product
        resolution.stock = facts.stock
        resolution.lastMovement = facts.lastMovement
        resolution.lastReceipt = facts.lastReceipt
        resolution.lastIssue = facts.lastIssue
        var warnings: [ResolutionWarning] = []
        let expiry: CalendarDate?
        let what: String
        if let lotSerial = facts.lotSerial {
            resolution.lotSerial = lotSerial
            resolution.subject = lotSerial.kind == .lot ? .lot : .serial
            what = "\(lotSerial.kind.rawValue) \(lotSerial.number) of \(product.article)"
            expiry = lotSerial.expiry ?? scan.expiry
            switch lotSerial.status {
            case .blocked:
                let held = facts.recalls.filter { $0.state == .held }
                // Blocked by hand is not "(recall)": the reason recorded with the block is said
                // (found by a QA run).
                let by = held.isEmpty ? Self.because(facts.statusReason)
                    : "by recall " + held.map { "\($0.id) (\($0.reason))" }.joined(separator: ", ")
                warnings.append(ResolutionWarning(.blocked, "\(what) is blocked \(by): do not use or ship it, put it aside"))
            case .quarantined:
                warnings.append(ResolutionWarning(.quarantined, "\(what) is in quarantine\(facts.statusReason.map { " (\($0))" } ?? ""): do not use it until it is released"))
            case .voided:
                warnings.append(ResolutionWarning(.retiredNumber,
                    "\(what) was voided\(facts.retiredReason.map { " (\($0))" } ?? ""): the number must not be used again; check the label"))
            case .available, .consumed, .shipped, .writtenOff:
                break
            }
            // A held recall's lot in stock is blocked, and says so above.
            for recall in facts.recalls where recall.state == .open || lotSerial.status != .blocked {
                warnings.append(ResolutionWarning(.recalled, recall.state == .open
                    ? "\(what) is under recall \(recall.id), open (\(recall.reason)): do not use or ship it, put it aside until the recall is closed"
                    : "\(what) is in recall \(recall.id), held (\(recall.reason)): do not use or ship it, put it aside"))
            }
            if let scanned = scan.expiry, scanned != lotSerial.expiry {
                warnings.append(ResolutionWarning(.expiryMismatch, lotSerial.expiry.map {
                    "the barcode says expiry \(scanned), the registry has \($0) for \(what): check the label"
                } ?? "the barcode says expiry \(scanned), the registry has no expiry for \(what)"))
            }
            if lotSerial.flaggedForInvestigation {
                warnings.append(ResolutionWarning(.flaggedForInvestigation,
                    "\(what) is flagged for investigation: it appeared in a transaction without ever being received"))
            }
            if lotSerial.status != .voided {
                stockWarnings(&warnings, lotSerial: lotSerial, what: what, facts: facts, warehouse: options.warehouse)
            }
            for earlier in facts.earlier {
                let reason = switch facts.issueMethod {
                case .expiration: earlier.expiry == lotSerial.expiry
                    ? "expires the same day (\(earlier.expiry?.description ?? "no expiry")) and was received earlier (\(earlier.received?.prefix(10) ?? "?"))"
                    : "expires earlier (\(earlier.expiry?.description ?? "no expiry"))"
                case .fifo: "was received earlier (\(earlier.received?.prefix(10) ?? "?"))"
                case .lifo: "was received later (\(earlier.received?.prefix(10) ?? "?"))"
                case .sequential: "comes first in number order"
                case .manual, nil: "comes first"
                }
                warnings.append(ResolutionWarning(.betterLotAvailable,
                    "\(lotSerial.kind.rawValue) \(earlier.number) \(reason) and is available in warehouse \(earlier.warehouse): take it before \(lotSerial.number)",
                    other: earlier.number))
            }
            if lotSerial.kind == .serial {
                let attribute = lotSerial.attributes.first { ["lot", "batch"].contains($0.name.lowercased()) }
                let recorded = facts.lotRecord?.number ?? attribute?.value.stored
                if let number = scan.lot ?? recorded {
                    resolution.lot = Resolution.LotOfSerial(number: number, recorded: recorded, record: facts.lotRecord)
                }
                if let scanned = scan.lot, let recorded, facts.lotRecord == nil, scanned != recorded {
                    warnings.append(ResolutionWarning(.lotMismatch,
                        "the barcode says lot \(scanned), the registry recorded lot \(recorded) for \(what): check the label"))
                }
            }
        } else if let number = scan.serial ?? scan.lot {
            resolution.subject = scan.serial != nil ? .serial : .lot
            let kind = scan.serial != nil ? "serial" : "lot"
            what = "\(kind) \(number) of \(product.article)"
            expiry = scan.expiry
            if let reason = facts.retiredReason {
                warnings.append(ResolutionWarning(.retiredNumber,
                    "\(what) was retired (\(reason)): the number must not be used again; check the label"))
            } else {
                let says = [scan.expiry.map { "expiry \($0)" }, scan.production.map { "production \($0)" }].compactMap { $0 }
                // A label with a lot and a serial (a medicine's pack) names both: the product may
                // be tracked by either, and the lot went unmentioned (found by a QA run).
                let neither = scan.serial != nil ? scan.lot.map { "neither serial \(number) nor lot \($0)" } : nil
                // A number of the other kind than the product is tracked by cannot be received as
                // one: "receive it to register it" sent the dock the wrong way (a QA run).
                let misfit: String? = switch (facts.tracking, scan.serial, scan.lot) {
                case (.lot?, let serial?, nil):
                    "product \(product.article) is tracked by lot, and the barcode names only a serial (21) \(serial), no lot (10): check the label"
                case (.serial?, nil, let lot?):
                    "product \(product.article) is tracked by serial, and the barcode names only a lot (10) \(lot), no serial (21): check the label"
                default: nil
                }
                // A number its class keeps unique across products, held by another product: it
                // cannot be received here, and "receive it to register it" was refused when
                // followed (found by a QA run at a returns desk).
                let elsewhere = facts.globalOwner.map {
                    "\(kind) \(number) belongs to product \($0), not \(product.article) (its class keeps numbers unique across products): check the label, or the product"
                }
                warnings.append(ResolutionWarning(.unknownLotSerial, misfit ?? elsewhere ??
                    "product \(product.article) has \(neither ?? "no \(kind) \(number)") in the registry; receive it to register it"
                        + (says.isEmpty ? "" : " (the barcode says \(says.joined(separator: ", ")))")))
            }
        } else {
            resolution.subject = .product
            what = scan.expiry == nil ? "product \(product.article)" : "the goods of this label (product \(product.article))"
            // A barcode with a GTIN and an expiry but no lot (a fresh-food label): its own expiry
            // is still the goods' (a QA run scanned (01)…(17)250101 with no warning).
            expiry = scan.expiry
        }
        if let expiry {
            let days = expiry.daysSinceEpoch - today.daysSinceEpoch
            resolution.daysToExpiry = days
            if days < 0 {
                warnings.append(ResolutionWarning(.expired,
                    "\(what) expired on \(expiry), \(-days) day\(days == -1 ? "" : "s") ago: do not use or ship it"))
            } else if days <= options.expiryWarningDays {
                warnings.append(ResolutionWarning(.expiresSoon,
                    "\(what) \(what.hasPrefix("the goods") ? "expire" : "expires") on \(expiry), " + (days == 0 ? "today" : "in \(days) day\(days == 1 ? "" : "s")")))
            }
        }
        resolution.warnings.append(contentsOf: warnings)
    }

    private static func stockWarnings(_ warnings: inout [ResolutionWarning], lotSerial: LotSerial, what: String,
                                      facts: ResolveQuery.Facts, warehouse: String?) {
        let held = facts.stock.filter { $0.quantity > 0 }
        if held.isEmpty {
            var message = "\(what) is not in stock"
            if let last = facts.lastMovement {
                message += ": last " + describe(last)
            } else {
                message += ": it was never received"
            }
            warnings.append(ResolutionWarning(.notInStock, message))
        } else if let warehouse, !held.contains(where: { $0.warehouse == warehouse }) {
            let elsewhere = held.map { "\($0.warehouse) (\($0.quantity) \($0.unit))" }.joined(separator: ", ")
            warnings.append(ResolutionWarning(.notInStock, "\(what) has no stock in warehouse \(warehouse); the registry has it in \(elsewhere)"))
        }
    }

    /// "issue ISS-000012 to CUST1 (Name) on 2026-11-02 from MAIN".
    static func describe(_ movement: Resolution.Movement) -> String {
        let into = movement.quantity > 0
        var text = "\(movement.what) \(movement.document)"
        if let partner = movement.partner {
            text += (into ? " from " : " to ") + partner
            if let name = movement.partnerName, !name.isEmpty { text += " (\(name))" }
        }
        if let date = movement.date { text += " on \(date)" }
        text += (into ? " into " : " from ") + movement.warehouse
        return text
    }

    /// The scan with control characters shown by their ASCII names, e.g. GS as `<GS>`, a line
    /// feed as `<LF>` (as scanner manuals and the GS1 standards write them).
    static func printable(_ code: String) -> String {
        var out = ""
        for scalar in code.unicodeScalars {
            switch scalar.value {
            case 0..<32: out += "<\(asciiNames[Int(scalar.value)])>"
            case 127: out += "<DEL>"
            case 0xFEFF: out += "<BOM>"
            case _ where scalar.properties.generalCategory == .format: out += "<U+\(String(format: "%04X", scalar.value))>"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static let asciiNames = ["NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
                                     "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"]
}

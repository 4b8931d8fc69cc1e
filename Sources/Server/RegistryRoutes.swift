import Crypto
import Foundation
import GS1
import Registry

/// The registry over HTTP: products, classes, series, warehouses and partners; lots and serials
/// (show, find, history, status); stock; and stock documents posted by kind. Each is the same
/// registry call as the command line's, with the caller as the user.
///
/// Products and lot/serial status carry an `ETag` (a hash of what is shown); changing them needs
/// `If-Match` with it (428 without, 412 when someone changed it meanwhile), so that two clients
/// cannot overwrite each other's change unseen.
extension APIRoutes {
    static let registryRoutes: [APIRoute] = [
        APIRoute(.get, "/api/v1/products", "listProducts", role: .viewer) { call in
            try .json(try paged(call, try await call.environment.registry.products()))
        },
        APIRoute(.post, "/api/v1/products", "createProduct", role: .admin) { call in
            let product = try await call.environment.registry.addProduct(try call.decode(ProductBody.self, shape: ProductBody.shape).product())
            return try tagged(product, status: 201)
        },
        APIRoute(.get, "/api/v1/products/{article}", "getProduct", role: .viewer) { call in
            try tagged(try await call.environment.registry.product(try call.parameter("article")))
        },
        APIRoute(.put, "/api/v1/products/{article}", "updateProduct", role: .admin) { call in
            let article = try call.parameter("article")
            let registry = call.environment.registry
            var product = try call.decode(ProductBody.self, shape: ProductBody.shape).product()
            // A PUT gives the product whole: one in pieces that leaves `decimals` out takes whole
            // quantities, as when it was added (it was left at "up to 6", and took 1.5 pcs).
            if product.decimals == nil, Product.pieceUnits.contains(product.unit.lowercased()) { product.decimals = 0 }
            try precondition(call, current: try await registry.product(article))
            guard product.article == article else {
                throw APIProblem(422, "invalid-input", "the body's article \(product.article) is not the path's \(article): an article is not renamed")
            }
            // Checked again in the update's transaction: two clients with the same ETag at once
            // both wrote (a lost update, found by a QA run).
            let headers = call.headers
            return try tagged(try await registry.updateProduct(product, expecting: ifMatch(headers)))
        },
        APIRoute(.get, "/api/v1/classes", "listClasses", role: .viewer) { call in
            try .json(try paged(call, try await call.environment.registry.classes()))
        },
        APIRoute(.post, "/api/v1/classes", "createClass", role: .admin) { call in
            let lotSerialClass = try call.decode(LotSerialClass.self, shape: JSONShape([
                "code", "description", "tracking", "serialQuantity", "tracksExpiry", "assignment", "issueMethod", "autoGenerateBatchSize",
                "format", "counterScope", "counterSeries", "uniqueness"], name: "a class"))
            guard (1...1_000_000).contains(lotSerialClass.autoGenerateBatchSize) else {
                throw APIProblem(422, "invalid-input", "autoGenerateBatchSize \(lotSerialClass.autoGenerateBatchSize) is not from 1 to 1000000")
            }
            return try .json(try await call.environment.registry.addClass(lotSerialClass), status: 201)
        },
        APIRoute(.get, "/api/v1/series", "listSeries", role: .viewer) { call in
            try .json(try paged(call, try await call.environment.registry.allSeries()))
        },
        APIRoute(.get, "/api/v1/warehouses", "listWarehouses", role: .viewer) { call in
            try .json(try paged(call, try await call.environment.registry.warehouses()))
        },
        APIRoute(.post, "/api/v1/warehouses", "createWarehouse", role: .admin) { call in
            try .json(try await call.environment.registry.addWarehouse(try call.decode(Warehouse.self, shape: JSONShape(["code", "name"], name: "a warehouse"))), status: 201)
        },
        APIRoute(.get, "/api/v1/partners", "listPartners", role: .viewer) { call in
            try .json(try paged(call, try await call.environment.registry.partners()))
        },
        APIRoute(.post, "/api/v1/partners", "createPartner", role: .admin) { call in
            let partner = try call.decode(Partner.self, shape: JSONShape(["code", "name", "role", "minimumShelfLifeDays", "contact", "email", "phone"],
                                                                         name: "a partner"))
            if let days = partner.minimumShelfLifeDays, !(0...36_500).contains(days) {
                throw APIProblem(422, "invalid-input", "minimumShelfLifeDays \(days) is not from 0 to 36500")
            }
            return try .json(try await call.environment.registry.addPartner(partner), status: 201)
        },
        APIRoute(.get, "/api/v1/lots", "findLots", role: .viewer, findLots),
        APIRoute(.get, "/api/v1/products/{article}/lots/{number}", "getLot", role: .viewer) { call in
            try tagged(try await lot(call))
        },
        APIRoute(.get, "/api/v1/products/{article}/lots/{number}/history", "lotHistory", role: .viewer) { call in
            try .json(try await call.environment.registry.history(product: try call.parameter("article"), number: try call.parameter("number")))
        },
        APIRoute(.post, "/api/v1/products/{article}/lots/{number}/status", "changeLotStatus", role: .supervisor) { call in
            struct Body: Decodable { var status: LotSerial.Status; var reason: String }
            let body = try call.decode(Body.self, shape: JSONShape(["status", "reason"]))
            guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIProblem(422, "invalid-input", "give the reason for the status change")
            }
            try precondition(call, current: try await lot(call))
            let headers = call.headers
            return try tagged(try await call.environment.registry.changeStatus(
                product: try call.parameter("article"), number: try call.parameter("number"), to: body.status, user: call.user, reason: body.reason,
                expecting: ifMatch(headers)))
        },
        APIRoute(.get, "/api/v1/stock", "listStock", role: .viewer, listStock),
        APIRoute(.get, "/api/v1/products/{article}/proposal", "proposal", role: .viewer) { call in
            guard let warehouse = call.filter("warehouse") else { throw APIProblem.badRequest("give the warehouse: ?warehouse=…") }
            let quantity = try call.query["quantity"].map { text -> Decimal in
                let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                      let amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                    throw APIProblem.badRequest("quantity must be a number such as 12 or 2.5")
                }
                guard amount > 0, amount <= 1_000_000_000 else {
                    throw APIProblem(422, "invalid-input", "quantity must be more than 0 and at most 1000000000")
                }
                return amount
            } ?? 1
            let excluded = (call.filter("exclude") ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
            guard excluded.count <= 1000 else { throw APIProblem(422, "invalid-input", "exclude at most 1000 numbers") }
            // As the command line's: a back-dated pick previewed on its date, and an order's own
            // shelf life (found by a QA run: neither could be asked over HTTP).
            let shelfLife = try call.query["minShelfLife"].map { text -> Int in
                guard let days = Int(text), (0...36_500).contains(days) else {
                    throw APIProblem.badRequest("minShelfLife must be a number of days from 0 to 36500, not \(text)")
                }
                return days
            }
            return try .json(try await call.environment.registry.proposal(product: try call.parameter("article"), warehouse: warehouse,
                                                                          quantity: quantity, date: try APIRoutes.queryDate(call, "date"),
                                                                          customer: call.filter("customer"), minimumShelfLifeDays: shelfLife,
                                                                          excluding: excluded))
        },
        APIRoute(.post, "/api/v1/documents/{kind}", "postDocument", role: .operator, postDocument),
        // The journal, and one document with its lines: a client that posted a document could
        // not read it back, nor list what was posted (the movement report only, by period).
        APIRoute(.get, "/api/v1/documents", "listDocuments", role: .viewer) { call in
            let page = try Page(call)
            var query = DocumentQuery(partner: call.filter("partner"), warehouse: call.filter("warehouse"), product: call.filter("product"),
                                      number: call.filter("number"), limit: page.limit, before: page.before)
            // An empty kind or date is a malformed request, not a filter left out.
            query.kind = try call.query["kind"].map { text in
                guard let kind = DocumentKind(rawValue: text) else {
                    throw APIProblem.badRequest("kind \(text) is not one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
            query.from = try APIRoutes.queryDate(call, "from", emptyIsMalformed: true)
            query.through = try APIRoutes.queryDate(call, "to", emptyIsMalformed: true)
            let documents = try await call.environment.registry.documents(query)
            var response = try APIResponse.json(documents)
            if documents.count == page.limit, let last = documents.last { response.headers["Link"] = call.nextLink(cursor: String(last.cursor)) }
            return response
        },
        APIRoute(.get, "/api/v1/documents/{kind}/{number}", "getDocument", role: .viewer) { call in
            let kind = try call.parameter("kind"), number = try call.parameter("number")
            guard DocumentKind(rawValue: kind) != nil else {
                throw APIProblem(404, "not-found", "\(kind) is not a document kind: \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let document: DocumentRecord
            do {
                document = try await call.environment.registry.document(number)
            } catch let error as RegistryError where error.code == .notFound {
                throw APIProblem(404, "not-found", "there is no \(kind) \(number)")
            }
            guard document.kind.rawValue == kind else {
                throw APIProblem(404, "not-found", "there is no \(kind) \(number): \(number) is a \(document.kind.rawValue)")
            }
            return try .json(document)
        },
    ]

    /// A product as a client sends it: the GTIN checked here, so that a wrong check digit is a
    /// 422 that says so.
    struct ProductBody: Decodable {
        /// Its fields: those a product is shown with, so that what a GET gives a PUT takes.
        static let shape = JSONShape(["article", "gtin", "description", "unit", "lotSerialClass", "counterStart", "counterEnd",
                                      "allowsUnknownSerials", "decimals"], name: "a product")
        var article: String
        var gtin: String?
        var description: String
        var unit: String
        var lotSerialClass: String?
        var counterStart: Int?
        var counterEnd: Int?
        var allowsUnknownSerials: Bool
        var decimals: Int?

        func product() throws -> Product {
            for (name, value) in [("counterStart", counterStart), ("counterEnd", counterEnd)] {
                if let value, !(0...999_999_999_999_999).contains(value) {
                    throw APIProblem(422, "invalid-input", "\(name) \(value) is not from 0 to 999999999999999")
                }
            }
            if let decimals, !(0...6).contains(decimals) {
                throw APIProblem(422, "invalid-input", "decimals \(decimals) is not from 0 to 6")
            }
            var checked: GTIN?
            if let gtin {
                do { checked = try GTIN(gtin) } catch { throw APIProblem(422, "invalid-input", "gtin \(gtin): \(error)") }
            }
            return Product(article: article, gtin: checked, description: description, unit: unit, lotSerialClass: lotSerialClass,
                           counterStart: counterStart, counterEnd: counterEnd, allowsUnknownSerials: allowsUnknownSerials,
                           decimals: decimals)
        }
    }

    /// A date a client sent in a body (`YYYY-MM-DD`), or 422 saying which field is not one.
    static func date(_ text: String?, _ name: String) throws -> CalendarDate? {
        guard let text else { return nil }
        guard let date = CalendarDate(iso: text) else { throw APIProblem(422, "invalid-input", "\(name): \(text) is not a date as YYYY-MM-DD") }
        return date
    }

    /// A date in the query (`YYYY-MM-DD`). As every query parameter: a value that does not match
    /// the OpenAPI document's schema for it (`today`, `2026-1-1`) is a malformed request, 400
    /// naming it; one that matches but is no day (`2026-02-31`, year 0) is 422. Both were 422,
    /// while a report's number of days out of its schema was 400 (found by a QA run).
    /// `emptyIsMalformed`: `?from=` is refused rather than read as no date.
    static func queryDate(_ call: APICall, _ name: String, emptyIsMalformed: Bool = false) throws -> CalendarDate? {
        guard let text = emptyIsMalformed ? call.query[name] : call.filter(name) else { return nil }
        guard let date = CalendarDate(iso: text) else {
            let detail = "\(name): \(text) is not a date as YYYY-MM-DD"
            throw dateShaped(text) ? APIProblem(422, "invalid-input", detail) : APIProblem.badRequest(detail)
        }
        return date
    }

    /// Whether `text` matches the document's pattern for a date (the same expression).
    static func dateShaped(_ text: String) -> Bool {
        text.wholeMatch(of: /[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])/) != nil
    }

    /// A quantity a client sent, to six decimals; 422 when it is not one a stock line can hold.
    static func quantity(_ value: Double?, of what: String) throws -> Decimal? {
        guard let value else { return nil }
        guard value.isFinite, value >= 0, value <= 1_000_000_000 else {
            throw APIProblem(422, "invalid-input", "quantity \(value.isFinite ? Self.written(value) : "\(value)") of \(what): a quantity is from 0 to 1000000000")
        }
        return try exact(value, "quantity \(Self.written(value)) of \(what)")
    }

    /// `value` as a decimal of at most six decimals, as the registry keeps it; one with more is
    /// refused, never rounded (1.0000000001 units is a typo, not one unit).
    private static func exact(_ value: Double, _ what: String) throws -> Decimal? {
        let text = written(value)
        let decimals = text.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
        guard decimals <= 6 else { throw APIProblem(422, "invalid-input", "\(what) has more than 6 decimals") }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// The shortest text that reads back as `value`, without an exponent (1e-07 as 0.0000001).
    static func written(_ value: Double) -> String {
        let text = "\(value)"
        guard text.contains("e") else { return text.hasSuffix(".0") ? String(text.dropLast(2)) : text }
        return Decimal(value).description
    }

    /// An amount of money from JSON (a unit cost, an added cost): from 0 to 1,000,000,000, six
    /// decimals at most.
    static func amount(_ value: Double?, _ what: String) throws -> Decimal? {
        guard let value else { return nil }
        guard value.isFinite, value >= 0, value <= 1_000_000_000 else {
            throw APIProblem(422, "invalid-input", "\(what) \(value): an amount is from 0 to 1000000000")
        }
        return try exact(value, "\(what) \(Self.written(value))")
    }

    // MARK: ETags

    /// The ETag of what a resource shows: a hash of its JSON.
    static func etag<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let digest = SHA256.hash(data: try encoder.encode(value))
        return "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    static func tagged<T: Encodable>(_ value: T, status: Int = 200) throws -> APIResponse {
        var response = try APIResponse.json(value, status: status)
        response.headers["ETag"] = try etag(value)
        return response
    }

    /// A change needs `If-Match` with the resource's current ETag.
    static func precondition<T: Encodable>(_ call: APICall, current: T) throws {
        try precondition(call.headers, current: current)
    }

    /// The If-Match check as a write's own transaction makes it again, on what it reads.
    static func ifMatch<T: Encodable & SendableMetatype>(_ headers: [String: String]) -> @Sendable (T) throws -> Void {
        { current in try precondition(headers, current: current) }
    }

    /// The check of ``precondition(_:current:)`` against the request's headers alone, for the
    /// write's own transaction to make again.
    static func precondition<T: Encodable>(_ headers: [String: String], current: T) throws {
        let tag = try etag(current)
        // Neither refusal gives the current ETag: a client that could resend with it would
        // overwrite what it never read, which the check is there to prevent.
        guard let match = headers["if-match"] else {
            throw APIProblem(428, "precondition-required", "send If-Match with the ETag you read (GET it first)")
        }
        let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // `*` matches whatever is there: the blind overwrite the check is for.
        guard !tags.contains("*") else {
            throw APIProblem(428, "precondition-required", "If-Match: * does not say what you read: send the ETag you read (GET it first)")
        }
        guard tags.contains(tag) else {
            throw APIProblem(412, "precondition-failed", "it was changed since you read it: read it again, and make your change to what it is now")
        }
    }

    // MARK: Lists

    /// A page of an ordered list: `limit`, and a cursor that is the offset of the next page.
    struct Listed<T: Encodable>: Encodable {
        var items: [T]
        var nextCursor: String?
    }

    static func paged<T: Encodable>(_ call: APICall, _ all: [T]) throws -> Listed<T> {
        let page = try Page(call, defaultLimit: 100)
        let start = Int(page.before ?? 0)
        guard start <= all.count else { return Listed(items: [], nextCursor: nil) }
        let end = min(all.count, start + page.limit)
        return Listed(items: Array(all[start..<end]), nextCursor: end < all.count ? String(end) : nil)
    }

    private static func lot(_ call: APICall) async throws -> LotSerial {
        let article = try call.parameter("article"), number = try call.parameter("number")
        guard let lot = try await call.environment.registry.lotSerial(product: article, number: number) else {
            throw APIProblem(404, "not-found", "product \(article) has no lot or serial \(number)")
        }
        return lot
    }

    /// Stock a page at a time, by the last row's key (a stock row posted between two pages neither
    /// repeats a row nor skips one). As CSV without a `limit`, all of it: an export; with one, a
    /// page, and a `Link` header to the next with the same filters.
    private static func listStock(_ call: APICall) async throws -> APIResponse {
        let csv = try call.wantsCSV()
        let page = try Page(call, defaultLimit: 100, numericCursor: false)
        let after = try call.query["cursor"].map(stockCursor)
        let limit: Int? = csv && call.query["limit"] == nil ? nil : page.limit
        let stock = try await call.environment.registry.stock(
            product: call.filter("product"), warehouse: call.filter("warehouse"), after: after, limit: limit)
        let next = try stock.next.map { try JSONEncoder().encode($0).base64URLEncoded }
        guard csv else { return try .json(Listed(items: stock.items, nextCursor: next)) }
        var lines = ["product,warehouse,number,quantity,unit,status,expiry,recall"]
        for balance in stock.items {
            lines.append([balance.product, balance.warehouse, balance.number ?? "", "\(balance.quantity)", balance.unit,
                          balance.status?.rawValue ?? "", balance.expiry?.description ?? "", balance.recall.map(String.init) ?? ""]
                .map(CSVText.field).joined(separator: ","))
        }
        var response = APIResponse.text(lines.joined(separator: "\r\n") + "\r\n", contentType: "text/csv; charset=utf-8")
        if let next { response.headers["Link"] = call.nextLink(cursor: next) }
        return response
    }

    private static func stockCursor(_ text: String) throws -> StockCursor {
        guard text.count <= 2048, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw APIProblem.badRequest("cursor \(text.prefix(64)) is not a cursor (take nextCursor from the last page)")
        }
        guard let data = Data(base64URLEncoded: text), let cursor = try? JSONDecoder().decode(StockCursor.self, from: data) else {
            throw APIProblem(422, "invalid-input", "cursor \(text.prefix(64)) is not one this server gives out (take nextCursor from the last page)")
        }
        return cursor
    }

    private static func findLots(_ call: APICall) async throws -> APIResponse {
        let page = try Page(call, defaultLimit: 50)
        // Keyset pages (the cursor is the last lot's id): a lot registered or changed between two
        // pages neither repeats one nor skips one, as offsets would.
        // One row more than the page says whether another page follows.
        var query = LotSerialQuery(text: call.filter("text"), product: call.filter("product"), limit: page.limit + 1)
        query.beforeID = page.before.map(Int.init)
        if let status = call.filter("status") {
            guard let value = LotSerial.Status(rawValue: status) else {
                throw APIProblem.badRequest("status \(status) is not one of \(LotSerial.Status.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.status = value
        }
        query.expiresFrom = try queryDate(call, "expiresFrom")
        query.expiresThrough = try queryDate(call, "expiresThrough")
        let found = try await call.environment.registry.find(query)
        let items = Array(found.items.prefix(page.limit))
        let next = found.items.count > page.limit ? items.last.map { String($0.id) } : nil
        return try .json(Listed(items: items, nextCursor: next))
    }

    // MARK: Documents

    /// A document's body: what the kind needs, with everything optional that can be.
    struct DocumentBody: Decodable {
        /// The fields a document of `kind` takes, for ``APICall/decode(_:shape:)``: a field of
        /// another kind (`to` on a receipt, `customer` on a transfer) is refused, naming it, rather
        /// than ignored and the document posted without what its sender meant.
        static func shape(of kind: String) -> JSONShape {
            let picks = JSONShape(["number", "quantity", "expiry", "production"])
            let line = JSONShape(["product", "quantity", "picks", "expiry", "production", "unitCost"], nested: ["picks": picks])
            // A production's output names the inputs it was made of (their indexes).
            let output = JSONShape(line.fields + ["inputs"], nested: ["picks": picks])
            let fields: [String]
            var lines = line
            switch kind {
            case "receipt": fields = ["warehouse", "supplier", "lines", "acceptExpired"]
            case "issue": fields = ["warehouse", "customer", "lines", "minimumShelfLifeDays", "allowExpired", "allowQuarantined", "allowRecalled"]
            case "transfer": fields = ["from", "to", "lines"]
            case "production": fields = ["warehouse", "inputs", "outputs", "addedCost", "allowRecalled"]
            case "return": fields = ["warehouse", "customer", "lines"]
            case "write-off": fields = ["warehouse", "reason", "lines"]
            // Every kind's fields at once (""), what the operation's schema allows; an unknown
            // kind is refused by name after the body is read.
            default: fields = ["warehouse", "supplier", "customer", "from", "to", "reason", "lines", "inputs", "outputs",
                               "acceptExpired", "allowExpired", "allowQuarantined", "allowRecalled", "minimumShelfLifeDays", "addedCost"]
                lines = output
            }
            let article = kind.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            return JSONShape(fields + ["date", "note"], nested: ["lines": lines, "inputs": lines, "outputs": output],
                             name: kind.isEmpty ? nil : "\(article) \(kind)")
        }

        struct Line: Decodable {
            struct Pick: Decodable {
                var number: String
                var quantity: Double?
                var expiry: String?
                var production: String?
            }
            var product: String
            var quantity: Double?
            var picks: [Pick]?
            var expiry: String?
            var production: String?
            var inputs: [Int]?
            var unitCost: Double?

            func stockLine() throws -> StockLine {
                StockLine(product: product, quantity: try APIRoutes.quantity(quantity, of: product),
                          picks: try (picks ?? []).map {
                              StockLine.Pick(number: $0.number, quantity: try APIRoutes.quantity($0.quantity, of: $0.number), expiry: try APIRoutes.date($0.expiry, "expiry of \($0.number)"),
                                             production: try APIRoutes.date($0.production, "production of \($0.number)"))
                          },
                          expiry: try APIRoutes.date(expiry, "expiry of \(product)"), production: try APIRoutes.date(production, "production of \(product)"),
                          inputs: inputs, unitCost: try APIRoutes.amount(unitCost, "unitCost of \(product)"))
            }
        }
        var warehouse: String?
        var supplier: String?
        var customer: String?
        var from: String?
        var to: String?
        var reason: WriteOff.Reason?
        var lines: [Line]?
        var inputs: [Line]?
        var outputs: [Line]?
        var date: String?
        var note: String?
        var acceptExpired: Bool?
        var allowExpired: Bool?
        var allowQuarantined: Bool?
        var allowRecalled: Bool?
        var minimumShelfLifeDays: Int?
        var addedCost: Double?
    }

    /// Posts a receipt, issue, transfer, production, return or write-off; the overrides
    /// (receiving expired goods, issuing expired, quarantined or recalled ones) need a supervisor.
    private static func postDocument(_ call: APICall) async throws -> APIResponse {
        let kind = try call.parameter("kind")
        // A field no document has is a malformed body (400); one of another kind than this a
        // body the schema allows but the kind refuses (422).
        let body = try call.decode(DocumentBody.self, shape: DocumentBody.shape(of: ""))
        if let object = try? JSONSerialization.jsonObject(with: call.body) { try DocumentBody.shape(of: kind).check(object, at: "", status: 422) }
        if body.acceptExpired == true || body.allowExpired == true || body.allowQuarantined == true || body.allowRecalled == true,
           (call.caller?.role ?? .viewer) < .supervisor {
            throw APIProblem(403, "forbidden", "accepting expired goods or issuing expired, quarantined or recalled ones is a supervisor's override")
        }
        if let days = body.minimumShelfLifeDays, !(0...36_500).contains(days) {
            throw APIProblem(422, "invalid-input", "minimumShelfLifeDays \(days) is not from 0 to 36500")
        }
        // An order may ask for more shelf life than its customer does; asking for less waives what
        // the customer requires, and shipped goods they refuse (an operator's token sent 30 days
        // to a customer requiring 90, found by a QA run): a supervisor's override, as the others.
        if kind == "issue", let days = body.minimumShelfLifeDays, let code = body.customer, (call.caller?.role ?? .viewer) < .supervisor,
           let required = try await call.environment.registry.partners().first(where: { $0.code == code })?.minimumShelfLifeDays, days < required {
            throw APIProblem(403, "forbidden",
                "customer \(code) requires \(required) days of shelf life: less for this order (minimumShelfLifeDays \(days)) is a supervisor's override")
        }
        // Each list's lines, a refusal naming the line it is about (`lines[1]`).
        func stockLines(_ name: String, _ list: [DocumentBody.Line]?) throws -> [StockLine] {
            try (list ?? []).enumerated().map { index, line in
                try APIProblem.item(name, index) {
                    if let bad = line.inputs?.first(where: { !(0...10_000).contains($0) }) {
                        throw APIProblem(422, "invalid-input", "line for \(line.product): input \(bad) is not a line index from 0 to 10000")
                    }
                    return try line.stockLine()
                }
            }
        }
        let header = DocumentHeader(date: try date(body.date, "date"), user: call.user, note: body.note ?? "")
        let lines = try stockLines("lines", body.lines)
        // A production's inputs and outputs; other documents have lines only.
        let production = kind == "production"
        let inputs = production ? try stockLines("inputs", body.inputs) : []
        let outputs = production ? try stockLines("outputs", body.outputs) : []
        let registry = call.environment.registry
        let posted: PostedDocument
        do {
            posted = try await post(kind, body, lines: lines, inputs: inputs, outputs: outputs, header, registry)
        } catch let error as RegistryError {
            // Where in the body the refusal points, as a file's line is named on the command line.
            let places: [String]
            if let line = error.line {
                // The line the registry named (a production's inputs first, then its outputs).
                places = [production ? (line < inputs.count ? "inputs[\(line)]" : "outputs[\(line - inputs.count)]") : "lines[\(line)]"]
            } else {
                places = [("lines", lines), ("inputs", inputs), ("outputs", outputs)].flatMap { name, lines in
                    StockLine.positions(namedIn: error.message, lines).map { "\(name)[\($0)]" }
                }
            }
            guard !places.isEmpty else { throw error }
            throw RegistryError(error.code, "\(error.message) (\(places.joined(separator: ", ")))", cause: error)
        }
        return try .json(posted, status: 201)
    }

    /// Posts the document `kind` that `body` describes.
    private static func post(_ kind: String, _ body: DocumentBody, lines: [StockLine], inputs: [StockLine], outputs: [StockLine],
                             _ header: DocumentHeader, _ registry: Registry) async throws -> PostedDocument {
        func need<T>(_ value: T?, _ name: String) throws -> T {
            guard let value else { throw APIProblem(422, "invalid-input", "\(kind.first.map { "aeiou".contains($0) } == true ? "an" : "a") \(kind) needs \(name)") }
            return value
        }
        let posted: PostedDocument
        switch kind {
        case "receipt":
            posted = try await registry.receive(Receipt(warehouse: try need(body.warehouse, "warehouse"), supplier: body.supplier, lines: lines,
                                                        acceptExpired: body.acceptExpired ?? false, header: header))
        case "issue":
            posted = try await registry.issue(Issue(warehouse: try need(body.warehouse, "warehouse"), customer: body.customer, lines: lines,
                                                    minimumShelfLifeDays: body.minimumShelfLifeDays, allowExpired: body.allowExpired ?? false,
                                                    allowQuarantined: body.allowQuarantined ?? false,
                                                    allowRecalled: body.allowRecalled ?? false, header: header))
        case "transfer":
            posted = try await registry.transfer(Transfer(from: try need(body.from, "from"), to: try need(body.to, "to"), lines: lines, header: header))
        case "production":
            posted = try await registry.produce(Production(warehouse: try need(body.warehouse, "warehouse"),
                                                           inputs: inputs, outputs: outputs,
                                                           addedCost: try amount(body.addedCost, "addedCost"),
                                                           allowRecalled: body.allowRecalled ?? false, header: header))
        case "return":
            posted = try await registry.returnFromCustomer(CustomerReturn(warehouse: try need(body.warehouse, "warehouse"),
                                                                          customer: try need(body.customer, "customer"), lines: lines, header: header))
        case "write-off":
            posted = try await registry.writeOff(WriteOff(warehouse: try need(body.warehouse, "warehouse"), reason: try need(body.reason, "reason"),
                                                          lines: lines, header: header))
        case "split", "assignment":
            // Kinds of document that are made, not posted: said so, rather than "not a kind" of
            // one the journal lists (found by a QA run).
            throw APIProblem(404, "not-found",
                "a\(kind == "split" ? "" : "n") \(kind) is not posted over the API: it is made with tracemark \(kind == "split" ? "split" : "assign"); post receipt, issue, transfer, production, return or write-off")
        default:
            throw APIProblem(404, "not-found", "\(kind) is not a document kind: receipt, issue, transfer, production, return or write-off")
        }
        return posted
    }
}

import ArgumentParser
import Foundation
import GS1
import Registry

struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "receive", abstract: "Post a receipt from a supplier into a warehouse.",
        discussion: """
            Examples: tracemark receive --warehouse MAIN --supplier ACME --product MILK --lot L-77 --quantity 40 --expiry 2027-01-31 --unit-cost 0.85
                      tracemark receive --warehouse MAIN --product PHONE --serials 'IMEI-0001..IMEI-0050'
                      tracemark receive --warehouse MAIN --product PHONE --quantity 20     (numbers generated per the class)
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Into this warehouse.") var warehouse: String
    @Option(help: "From this supplier.") var supplier: String?
    @Flag(help: "Accept goods that are already expired (returns, destruction); they start quarantined.") var acceptExpired = false
    @OptionGroup var lines: LineOptions
    @OptionGroup var header: HeaderOptions
    func run() async throws {
        let receipt = Receipt(warehouse: warehouse, supplier: supplier, lines: try lines.lines(), acceptExpired: acceptExpired, header: try header.header())
        let posted = try await lines.locating { try await options.withRegistry { try await $0.receive(receipt) } }
        try options.emit(posted) { describe(posted) }
    }
}

struct IssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "issue", abstract: "Post an issue (sale) to a customer; lots are proposed by the class's issue method.",
        discussion: "Example: tracemark issue --warehouse MAIN --customer SHOP --product MILK --quantity 12")
    @OptionGroup var options: GlobalOptions
    @Option(help: "From this warehouse.") var warehouse: String
    @Option(help: "To this customer.") var customer: String?
    @Option(help: "Least shelf life in days for this order (default: the customer's).") var minShelfLife: Int?
    @Flag(help: "Allow issuing expired lots (recorded on the movement).") var allowExpired = false
    @Flag(help: "Allow issuing quarantined lots (recorded on the movement).") var allowQuarantined = false
    @Flag(help: "Allow issuing lots under an open recall, not yet held (recorded on the movement).") var allowRecalled = false
    @OptionGroup var lines: LineOptions
    @OptionGroup var header: HeaderOptions
    func run() async throws {
        let issue = Issue(warehouse: warehouse, customer: customer, lines: try lines.lines(), minimumShelfLifeDays: minShelfLife,
                          allowExpired: allowExpired, allowQuarantined: allowQuarantined, allowRecalled: allowRecalled,
                          header: try header.header())
        let posted = try await lines.locating { try await options.withRegistry { try await $0.issue(issue) } }
        try options.emit(posted) { describe(posted) }
    }
}

struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "Post a transfer between warehouses, keeping lot/serial identity.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "From this warehouse.") var from: String
    @Option(help: "To this warehouse.") var to: String
    @OptionGroup var lines: LineOptions
    @OptionGroup var header: HeaderOptions
    func run() async throws {
        let transfer = Transfer(from: from, to: to, lines: try lines.lines(), header: try header.header())
        let posted = try await lines.locating { try await options.withRegistry { try await $0.transfer(transfer) } }
        try options.emit(posted) { describe(posted) }
    }
}

struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "produce", abstract: "Post a production: consume components, produce finished lots/serials, link them.",
        discussion: """
            Example: tracemark produce --warehouse MAIN --input MILK=2 --input-serials PHONE=IMEI-1 --output KIT=1
            Lots by number with their quantity: --input-lot RESIN=R26-00002:2.5 --output-lot PAINT-5L=P-900:40:2027-12-31 (the expiry last, when the class tracks it).
            Or --file production.json with {"inputs": [lines], "outputs": [lines], "addedCost": 12.5}; an output line's "inputs" lists the input lines (from 0) it consumed.
            The outputs cost their inputs plus the added cost, shared by quantity among the output lines that consumed each input.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "In this warehouse.") var warehouse: String
    @Option(help: ArgumentHelp("A component consumed, by quantity (allocated by issue method).", valueName: "product=quantity")) var input: [String] = []
    @Option(help: ArgumentHelp("Serials or lots consumed.", valueName: "product=list")) var inputSerials: [String] = []
    @Option(help: ArgumentHelp("A product made, by quantity (numbers generated).", valueName: "product=quantity")) var output: [String] = []
    @Option(help: ArgumentHelp("Serials or lots made, by number.", valueName: "product=list")) var outputSerials: [String] = []
    @Option(help: ArgumentHelp("A lot consumed, by number and quantity.", valueName: "product=lot:quantity")) var inputLot: [String] = []
    @Option(help: ArgumentHelp("A lot made, by number and quantity, with its expiry when its class tracks one.",
                               valueName: "product=lot:quantity[:YYYY-MM-DD]")) var outputLot: [String] = []
    @Option(help: "A JSON file with inputs and outputs.") var file: String?
    @Option(parsing: .unconditional, help: "What making the outputs cost besides their inputs (the outputs cost their inputs plus this).") var addedCost: String?
    @OptionGroup var header: HeaderOptions

    @Flag(help: "Allow consuming lots under an open recall, not yet held (recorded on the movement; the outputs join the recall).")
    var allowRecalled = false

    struct Lines: Decodable { let inputs: [StockLine]; let outputs: [StockLine]; let addedCost: Decimal? }

    func run() async throws {
        var inputs: [StockLine], outputs: [StockLine]
        var addedCost = try self.addedCost.map { try LineOptions.decimal($0, what: "--added-cost") }
        if let file {
            let lines: Lines
            let data: Data
            do { data = try InputFile.read(file) } catch { throw ValidationError("cannot read \(file): \(error)") }
            try LineOptions.refuseDuplicateKeys(data, path: file)
            try Self.refuseUnknownKeys(data, file: file)
            do { lines = try JSONDecoder().decode(Lines.self, from: data) } catch let error as DecodingError {
                throw ValidationError(Self.explain(error, file: file))
            } catch {
                throw ValidationError("\(file): expected {\"inputs\": [lines], \"outputs\": [lines]}: \(error)")
            }
            (inputs, outputs) = (lines.inputs, lines.outputs)
            if let cost = lines.addedCost {
                guard addedCost == nil else { throw ValidationError("give the added cost in \(file) or as --added-cost, not both") }
                addedCost = cost
            }
        } else {
            inputs = try input.map(Self.byQuantity) + inputSerials.map(Self.byNumbers) + inputLot.map { try Self.byLot($0, "--input-lot", expiry: false) }
            outputs = try output.map(Self.byQuantity) + outputSerials.map(Self.byNumbers) + outputLot.map { try Self.byLot($0, "--output-lot", expiry: true) }
        }
        let production = Production(warehouse: warehouse, inputs: inputs, outputs: outputs, addedCost: addedCost, allowRecalled: allowRecalled,
                                    header: try header.header())
        let posted = try await options.withRegistry { try await $0.produce(production) }
        try options.emit(posted) { describe(posted) }
    }

    /// A key the file does not know (`addedCots`, or `allowRecalled`, which is an option here)
    /// would be dropped without a word and the production posted without it (found by a QA
    /// run): refused, naming it and where it goes, as the lines' own keys are.
    static func refuseUnknownKeys(_ data: Data, file: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        let options = ["allowRecalled": "--allow-recalled", "date": "--date", "note": "--note", "user": "--user", "warehouse": "--warehouse"]
        if let key = object.keys.sorted().first(where: { !["inputs", "outputs", "addedCost"].contains($0) }) {
            throw ValidationError("\(file): unknown key \"\(key)\": the file takes inputs, outputs and addedCost"
                + (options[key].map { "; give \(key) as \($0)" } ?? ""))
        }
        // Named as an output's `inputs` counts them, from 0: "inputs[1]", as the links' refusals say.
        for side in ["inputs", "outputs"] {
            try LineOptions.refuseUnknownKeys((object[side] as? [[String: Any]]) ?? [], place: { "\(file), \(side)[\($0)]" },
                                              takesInputs: side == "outputs")
        }
        // An output's inputs are lines, counted from 0: 0.5 was "not valid JSON".
        for (offset, output) in ((object["outputs"] as? [[String: Any]]) ?? []).enumerated() {
            for (index, value) in ((output["inputs"] as? [Any]) ?? []).enumerated() {
                guard let number = value as? NSNumber, let whole = Int(exactly: number.doubleValue), whole >= 0 else {
                    let shown = value is String ? "\"\(value)\" (text)" : "\(value)"
                    throw ValidationError("\(file), outputs[\(offset)].inputs[\(index)]: \(shown) is not an input: name inputs by their place, a whole number counted from 0")
                }
            }
        }
    }

    /// Where the production file is not what it should be, as a JSON path: `p.json, outputs[0].inputs[0]: …`,
    /// not the decoder's dump of coding keys.
    static func explain(_ error: DecodingError, file: String) -> String {
        func place(_ path: [any CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? file : "\(file), \(text.hasPrefix(".") ? String(text.dropFirst()) : text)"
        }
        let shape = " (the file is {\"inputs\": [lines], \"outputs\": [lines], \"addedCost\": 12.5}; see tracemark produce --help)"
        switch error {
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath)): \"\(key.stringValue)\" is missing\(context.codingPath.isEmpty ? shape : "")"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let wanted = LineOptions.expected(type, wholeNumber: "a whole number (a line, counted from 0)")
            return "\(place(context.codingPath)): expected \(wanted)\(context.codingPath.isEmpty ? shape : "")"
        case .dataCorrupted(let context):
            // An output's inputs that are no whole numbers are refused before decoding.
            return "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(file): \(error)"
        }
    }

    static func pair(_ text: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ValidationError("\"\(text)\" must be written product=value")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
    static func byQuantity(_ text: String) throws -> StockLine {
        let (product, quantity) = try pair(text)
        return StockLine(product: product, quantity: try LineOptions.decimal(quantity, what: "quantity of \(product)"))
    }
    /// `product=lot:quantity[:expiry]`, read from the right: a lot number may hold a colon itself.
    static func byLot(_ text: String, _ option: String, expiry allowed: Bool) throws -> StockLine {
        let (product, value) = try pair(text)
        var parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var expiry: CalendarDate?
        if allowed, parts.count >= 3, let date = CalendarDate(iso: parts[parts.count - 1]) {
            expiry = date
            parts.removeLast()
        }
        guard parts.count >= 2, let quantityText = parts.last, !quantityText.isEmpty else {
            throw ValidationError("\(option) \"\(text)\" must be written product=lot:quantity\(allowed ? "[:YYYY-MM-DD]" : "")")
        }
        let lot = parts.dropLast().joined(separator: ":")
        guard !lot.isEmpty else { throw ValidationError("\(option) \"\(text)\": name the lot before the quantity") }
        let quantity = try LineOptions.decimal(quantityText, what: "\(option) quantity of \(product) lot \(lot)")
        return StockLine(product: product, picks: [StockLine.Pick(number: lot, quantity: quantity, expiry: expiry)])
    }

    static func byNumbers(_ text: String) throws -> StockLine {
        let (product, list) = try pair(text)
        return .serials(product, try SerialList.expand(list))
    }
}

struct ReturnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "return", abstract: "Post a customer return: known lots/serials come back.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Into this warehouse.") var warehouse: String
    @Option(help: "From this customer.") var customer: String
    @OptionGroup var lines: LineOptions
    @OptionGroup var header: HeaderOptions
    func run() async throws {
        let back = CustomerReturn(warehouse: warehouse, customer: customer, lines: try lines.lines(), header: try header.header())
        let posted = try await lines.locating { try await options.withRegistry { try await $0.returnFromCustomer(back) } }
        try options.emit(posted) { describe(posted) }
    }
}

struct WriteOffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write-off", abstract: "Post a write-off (damaged, expired, correction); name the lots/serials.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "From this warehouse.") var warehouse: String
    @Option(help: "damaged, expired, correction or other.") var reason: WriteOff.Reason
    @OptionGroup var lines: LineOptions
    @OptionGroup var header: HeaderOptions
    func run() async throws {
        let writeOff = WriteOff(warehouse: warehouse, reason: reason, lines: try lines.lines(), header: try header.header())
        let posted = try await lines.locating { try await options.withRegistry { try await $0.writeOff(writeOff) } }
        try options.emit(posted) { describe(posted) }
    }
}

struct SplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "split", abstract: "Split part of a lot into a new lot that keeps the link to its parent.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Argument(help: "The lot to split.") var lot: String
    @Option(help: "In this warehouse.") var warehouse: String
    @Option(parsing: .unconditional, help: "How much goes to the new lot.") var quantity: String
    @Option(help: "The new lot's number (default: generated).") var newNumber: String?
    @OptionGroup var header: HeaderOptions
    func run() async throws {
        let amount = try LineOptions.decimal(quantity, what: "--quantity")
        let (posted, child) = try await options.withRegistry {
            try await $0.split(product: product, lot: lot, warehouse: warehouse, quantity: amount, newNumber: newNumber, header: try header.header())
        }
        try options.emit(posted) { "new lot \(child)\n" + describe(posted) }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Quarantine, block or release a lot or serial, with who and why.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The article number.") var product: String
    @Argument(help: "The lot or serial.") var number: String
    // Parsed here, not by the type: its help listed every status, four of which it refuses (a QA run).
    @Option(name: .customLong("set"), help: ArgumentHelp("available, quarantined or blocked.", valueName: "status"),
            transform: StatusCommand.settable) var status: LotSerial.Status

    static func settable(_ text: String) throws -> LotSerial.Status {
        guard let status = LotSerial.Status(rawValue: text) else {
            throw ValidationError("--set \(text): set available, quarantined or blocked")
        }
        guard [.available, .quarantined, .blocked].contains(status) else {
            throw ValidationError("--set \(status.rawValue): set available, quarantined or blocked; \(status.rawValue) comes from documents\(status == .voided ? " (void a number with `tracemark lot void`)" : "")")
        }
        return status
    }
    @Option(help: "Why.") var reason: String
    @Option(help: "Who.") var user = defaultUser()
    func run() async throws {
        let (saved, before) = try await options.withRegistry { registry in
            try await registry.changeStatusSaying(product: product, number: number, to: status, user: user, reason: reason)
        }
        try options.emit(saved) {
            before == saved.status ? "\(saved.number) of \(saved.product) was \(saved.status.rawValue) already: nothing changed"
                                   : "\(saved.number) of \(saved.product) is now \(saved.status.rawValue)"
        }
    }
}

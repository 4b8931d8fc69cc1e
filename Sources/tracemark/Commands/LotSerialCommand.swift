import ArgumentParser
import Foundation
import GS1
import Registry

struct LotSerialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lot",
        abstract: "Lots and serial numbers: register, show, attributes, certificates, void. (`tracemark serial …` is the same.)",
        subcommands: [Register.self, Show.self, List.self, Attributes.self, Attach.self, File.self, Void.self],
        aliases: ["serial"]
    )

    static func show(_ ls: LotSerial) -> String {
        var lines = fields([
            (ls.kind.rawValue, ls.number), ("product", ls.product), ("status", ls.status.rawValue),
            ("expiry", ls.expiry?.description), ("production", ls.production?.description),
            ("origin", ls.origin.rawValue + (ls.series.map { ", series \($0) #\(ls.counter ?? 0)" } ?? "")),
            ("flagged", ls.flaggedForInvestigation ? "for investigation" : nil), ("registered", ls.createdAt),
        ])
        for attribute in ls.attributes {
            lines += "\n  \(attribute.name) = \(attribute.value.displayed)"
        }
        for file in ls.attachments {
            lines += "\n  file #\(file.id) \(file.fileName) (\(file.mediaType), \(file.size) bytes, sha256 \(file.sha256))"
        }
        return lines
    }

    /// `name=value` attribute options, typed by the option that carries them.
    struct AttributeOptions: ParsableArguments {
        @Option(name: .customLong("text"), help: ArgumentHelp("A text attribute.", valueName: "name=value")) var texts: [String] = []
        @Option(name: .customLong("number"), help: ArgumentHelp("A number attribute.", valueName: "name=value")) var numbers: [String] = []
        @Option(name: .customLong("date"), help: ArgumentHelp("A date attribute (YYYY-MM-DD).", valueName: "name=value")) var dates: [String] = []

        func attributes() throws -> [Attribute] {
            try [("text", texts), ("number", numbers), ("date", dates)].flatMap { type, items in
                try items.map { item in
                    guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                        throw ValidationError("attribute \"\(item)\" must be written name=value")
                    }
                    return try Attribute.parse(name: String(item[..<equals]), type: type, text: String(item[item.index(after: equals)...]))
                }
            }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a lot or serial number that was typed, scanned or given by a supplier.",
            discussion: "Example: tracemark lot register PAINT-5L L2611-001 --expiry 2027-11-30 --number viscosity=92.5")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Argument(help: "The lot or serial number.") var number: String
        @Option(help: "Expiry date (YYYY-MM-DD).") var expiry: String?
        @Option(help: "Production date (YYYY-MM-DD).") var production: String?
        @OptionGroup var attributes: AttributeOptions
        func run() async throws {
            let new = NewLotSerial(product: product, number: number,
                                   expiry: try expiry.map { try parseDate($0, what: "--expiry") },
                                   production: try production.map { try parseDate($0, what: "--production") },
                                   attributes: try attributes.attributes())
            let saved = try await options.withRegistry { try await $0.register(new) }
            try options.emit(saved) { LotSerialCommand.show(saved) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a lot or serial with its attributes and files.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Argument(help: "The lot or serial number.") var number: String
        func run() async throws {
            let (found, recalls) = try await options.withExistingRegistry { registry in
                (try await registry.lotSerial(product: product, number: number),
                 try await registry.activeRecalls(product: product, number: number))
            }
            guard let found else { throw RegistryError(.notFound, "product \(product) has no lot or serial \(number)") }
            // A recall not closed holds the lot back whatever its status says: shown beside it.
            struct Shown: Encodable {
                let lot: LotSerial
                let recalls: [RecallMark]
                func encode(to encoder: any Encoder) throws {
                    try lot.encode(to: encoder)
                    var container = encoder.container(keyedBy: Key.self)
                    try container.encode(recalls, forKey: .recalls)
                }
                enum Key: CodingKey { case recalls }
            }
            try options.emit(Shown(lot: found, recalls: recalls)) {
                var text = LotSerialCommand.show(found)
                for recall in recalls {
                    text += "\n  under recall \(recall.id) (\(recall.state.rawValue)): \(recall.reason); not proposed or issued until it closes"
                }
                return text
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's lots or serials.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Option(help: "At most this many.") var limit = 100
        @Option(help: "Skip this many first.") var offset = 0
        func run() async throws {
            let found = try await options.withExistingRegistry { try await $0.lotSerials(product: product, limit: limit, offset: offset) }
            try options.emit(found) {
                table(["NUMBER", "STATUS", "EXPIRY", "PRODUCTION", "ORIGIN"], found.map {
                    [$0.number, $0.status.rawValue, $0.expiry?.description ?? "-", $0.production?.description ?? "-", $0.origin.rawValue]
                })
            }
        }
    }

    struct Attributes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "attr", abstract: "Set attributes (test results, …) of a lot or serial.",
            discussion: "Example: tracemark lot attr PAINT-5L L2611-001 --number viscosity=92.5 --date tested=2026-11-20 --text lab=North")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Argument(help: "The lot or serial number.") var number: String
        @OptionGroup var attributes: AttributeOptions
        @Option(help: "Who sets them (kept with each change, as the lot's history shows).") var user = defaultUser()
        @Option(help: "Why (a retest, a correction): kept with each change.") var reason = ""
        func run() async throws {
            let list = try attributes.attributes()
            if list.isEmpty { throw ValidationError("give at least one --text, --number or --date name=value") }
            let saved = try await options.withRegistry {
                try await $0.setAttributes(product: product, number: number, list, user: user, reason: reason)
            }
            try options.emit(saved) { LotSerialCommand.show(saved) }
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Attach a file (a certificate) to a lot or serial.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Argument(help: "The lot or serial number.") var number: String
        @Argument(help: "The file.") var file: String
        @Option(help: "Its media type (default from the file name).") var mediaType: String?
        func run() async throws {
            let url = URL(fileURLWithPath: file)
            // Read part by part as it is stored, after its size is checked: never whole in memory.
            let type = mediaType ?? Self.mediaType(for: url.pathExtension)
            let saved = try await options.withRegistry {
                try await $0.attach(product: product, number: number, contentsOf: url, mediaType: type)
            }
            try options.emit(saved) { "attached \(saved.fileName) as file #\(saved.id): \(saved.size) bytes, sha256 \(saved.sha256)" }
        }

        static func mediaType(for ext: String) -> String {
            switch ext.lowercased() {
            case "pdf": "application/pdf"
            case "png": "image/png"
            case "jpg", "jpeg": "image/jpeg"
            case "txt": "text/plain"
            case "csv": "text/csv"
            case "json": "application/json"
            case "xml": "application/xml"
            default: "application/octet-stream"
            }
        }
    }

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save an attached file (by its number, as `lot show` lists it), checked against its SHA-256.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The attachment's number.") var id: Int
        @Option(help: "Write it here (default: its file name, in this folder; never overwritten).") var output: String?
        func run() async throws {
            // Written part by part beside its place, checked, and only then put there.
            let (attachment, path) = try await options.withExistingRegistry { registry in
                guard let attachment = try await registry.attachment(id: id) else {
                    throw RegistryError(.notFound, "attachment \(id) does not exist")
                }
                let path = output ?? attachment.fileName
                return (try await registry.saveAttachment(id: id, to: URL(fileURLWithPath: path)), path)
            }
            try options.emit(["file": path, "sha256": attachment.sha256]) { "saved \(attachment.fileName) to \(path): \(attachment.size) bytes, sha256 \(attachment.sha256) checked" }
        }
    }

    struct Void: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "void",
            abstract: "Void a number for good (a damaged label, a wrong entry without stock): it is never issued again.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The article number.") var product: String
        @Argument(help: "The lot or serial number.") var number: String
        @Option(help: "Why.") var reason: String
        @Option(help: "Who voids it.") var user = defaultUser()
        func run() async throws {
            let voided = try await options.withRegistry { try await $0.retire(product: product, number: number, reason: reason, user: user) }
            let was: String
            let detail: String
            switch voided.was {
            case .registered(let status):
                (was, detail) = (status.rawValue, "")
            case .reserved(let block):
                (was, detail) = ("reserved", " (an unused number of block \(block))")
            case .neverRegistered:
                // A typo is voided for good as well: say so, so that the operator can see it.
                (was, detail) = ("never-registered", "; note: the registry had no \(voided.number) of \(product), so a number that was never made is now voided for good (check its spelling)")
            }
            try options.emit(["voided": voided.number, "product": product, "was": was]) { "\(voided.number) of \(product) voided\(detail)" }
        }
    }
}

extension Attribute.Value {
    var displayed: String {
        switch self {
        case .text(let text): text
        case .number(let number): number.description
        case .date(let date): date.description
        }
    }
}

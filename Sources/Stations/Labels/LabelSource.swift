public import Foundation
public import Labels
public import Registry

/// Where a label's data comes from: a JSON document, the registry (a product, with a lot or a
/// serial), or the template's sample, as `tracemark render` and `print` take them and as the
/// HTTP API will.
public struct LabelSource: Sendable {
    /// Label data as JSON, under the registry's records (partner, quantity, copies …).
    public var json: Data?
    /// The product's article number, to take product data from the registry.
    public var product: String?
    /// With `product`: the lot or serial whose record fills the label.
    public var number: String?
    /// Whether `number` is a lot (else a serial): the refusal names which was not found.
    public var numberIsLot: Bool

    public init(json: Data? = nil, product: String? = nil, number: String? = nil, numberIsLot: Bool = true) {
        self.json = json
        self.product = product
        self.number = number
        self.numberIsLot = numberIsLot
    }

    /// Whether the data comes from the registry (a product is named).
    public var needsRegistry: Bool { product != nil }

    /// The data for `template`: its sample when nothing else is given; the registry's records set
    /// over the JSON, with the unit, the quantity in stock and the supplier where the JSON has none. `registry` may be `nil` when ``needsRegistry`` is false.
    public func data(for template: Template, registry: Registry?) async throws -> LabelData {
        // A lot or serial alone names nothing the registry can look up: the sample's label (of
        // another lot) would have come back in its place (found by a QA run of the API).
        if let number, product == nil {
            throw RegistryError(.invalidInput, "\(numberIsLot ? "lot" : "serial") \(number) needs its product: give the product too")
        }
        var data = product == nil ? template.sample : .object([:])
        if let json { data = try LabelData(json: json) }
        guard let product else { return data }
        guard let registry else { throw RegistryError(.invalidInput, "label data from product \(product) needs the registry") }
        let found = try await registry.product(product)
        var lotSerial: LotSerial?
        if let number {
            lotSerial = try await registry.lotSerial(product: product, number: number)
            guard let numbered = lotSerial else {
                throw RegistryError(.notFound, "product \(product) has no \(numberIsLot ? "lot" : "serial") \(number)")
            }
            // A voided number is never used again: a label would put it back on the floor.
            if numbered.status == .voided {
                throw RegistryError(.numberRetired,
                    "\(numbered.kind.rawValue) \(number) of \(product) was voided and is never used again: no label is made for it")
            }
        }
        var filled = LabelData.from(product: found, lotSerial: lotSerial, over: data)
        // What else the registry knows, under anything the JSON gave: the unit, the quantity in
        // stock, and the supplier of the lot's first receipt (a lot label's usual fields), and one copy.
        filled = Self.default(filled, "unit", .string(found.unit))
        filled = Self.default(filled, "copies", .number(1))
        if let lotSerial {
            let stock = try await registry.stock(product: found.article).filter { $0.number == lotSerial.number }
            if !stock.isEmpty { filled = Self.default(filled, "quantity", .number(stock.reduce(0) { $0 + $1.quantity })) }
            let history = try await registry.history(product: found.article, number: lotSerial.number)
            if let code = history.entries.first(where: { $0.what == "receipt" && $0.partner != nil })?.partner {
                let name = try await registry.partners().first { $0.code == code }?.name ?? ""
                filled = Self.default(filled, "partner", .object(["code": .string(code), "name": .string(name.isEmpty ? code : name)]))
            }
        }
        return filled
    }

    /// `data` with `key` set to `value` unless it has it already.
    static func `default`(_ data: LabelData, _ key: String, _ value: LabelData) -> LabelData {
        if case .object(let members) = data, members[key] != nil { return data }
        return data.setting(key, to: value)
    }
}

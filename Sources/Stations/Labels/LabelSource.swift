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
    /// over the JSON. `registry` may be `nil` when ``needsRegistry`` is false.
    public func data(for template: Template, registry: Registry?) async throws -> LabelData {
        var data = product == nil ? template.sample : .object([:])
        if let json { data = try LabelData(json: json) }
        guard let product else { return data }
        guard let registry else { throw RegistryError(.invalidInput, "label data from product \(product) needs the registry") }
        let found = try await registry.product(product)
        var lotSerial: LotSerial?
        if let number {
            lotSerial = try await registry.lotSerial(product: product, number: number)
            guard lotSerial != nil else {
                throw RegistryError(.notFound, "product \(product) has no \(numberIsLot ? "lot" : "serial") \(number)")
            }
        }
        return LabelData.from(product: found, lotSerial: lotSerial, over: data)
    }
}

public import GS1
public import Labels
public import Registry

extension LabelData {
    /// The registry's product and lot/serial as label data: `product` (article, gtin, description,
    /// unit) and `lot` or `serial` (number, expiry, production, status, attributes by name), set
    /// over `base` (e.g. `--data` with the partner, quantity and copies).
    public static func from(product: Product, lotSerial: LotSerial?, over base: LabelData) -> LabelData {
        var data = base
        data = data.setting("product", to: .object([
            "article": .string(product.article),
            "gtin": .string(product.gtin?.description ?? ""),
            "description": .string(product.description),
            "unit": .string(product.unit),
        ]))
        guard let lotSerial else { return data }
        var members: [String: LabelData] = [
            "number": .string(lotSerial.number),
            "status": .string(lotSerial.status.rawValue),
        ]
        if let expiry = lotSerial.expiry { members["expiry"] = .string(expiry.description) }
        if let production = lotSerial.production {
            members["production"] = .string(production.description)
            members["produced"] = .string(production.description)
        }
        var attributes: [String: LabelData] = [:]
        for attribute in lotSerial.attributes {
            switch attribute.value {
            case .text(let text): attributes[attribute.name] = .string(text)
            case .number(let number): attributes[attribute.name] = .number(number)
            case .date(let date): attributes[attribute.name] = .string(date.description)
            }
        }
        members["attributes"] = .object(attributes)
        return data.setting(lotSerial.kind == .serial ? "serial" : "lot", to: .object(members))
    }

    /// A number generated in the current transaction (not yet readable as a ``LotSerial``) as
    /// label data: `lot` or `serial` with its number, dates and status `active`.
    public static func from(product: Product, number: String, kind: LotSerial.Kind, expiry: CalendarDate?,
                            production: CalendarDate?, over base: LabelData) -> LabelData {
        var members: [String: LabelData] = ["number": .string(number), "status": .string("active"), "attributes": .object([:])]
        if let expiry { members["expiry"] = .string(expiry.description) }
        if let production {
            members["production"] = .string(production.description)
            members["produced"] = .string(production.description)
        }
        return from(product: product, lotSerial: nil, over: base).setting(kind == .serial ? "serial" : "lot", to: .object(members))
    }
}

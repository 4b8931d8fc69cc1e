public import GS1
public import Labels
public import Registry

extension LabelData {
    /// The registry's product and lot/serial as label data: `product` (article, gtin, description,
    /// unit) and `lot` or `serial` (number, expiry, production, status, attributes by name), set
    /// over `base` (e.g. `--data` with the partner, quantity and copies).
    public static func from(product: Product, lotSerial: LotSerial?, over base: LabelData) -> LabelData {
        var data = base
        data = merging(data, "product", [
            "article": .string(product.article),
            "gtin": .string(product.gtin?.description ?? ""),
            "description": .string(product.description),
            "unit": .string(product.unit),
        ])
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
        return merging(data, lotSerial.kind == .serial ? "serial" : "lot", members)
    }

    /// `data` with the object at `key` holding `members` over what it held: the registry's
    /// fields win, and a field it does not keep (a hazard statement given as JSON beside
    /// `--product`) stays.
    static func merging(_ data: LabelData, _ key: String, _ members: [String: LabelData]) -> LabelData {
        guard case .object(let top) = data, case .object(let given)? = top[key] else { return data.setting(key, to: .object(members)) }
        return data.setting(key, to: .object(given.merging(members) { _, registry in registry }))
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
        return merging(from(product: product, lotSerial: nil, over: base), kind == .serial ? "serial" : "lot", members)
    }
}

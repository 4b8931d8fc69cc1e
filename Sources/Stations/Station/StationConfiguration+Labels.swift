import Foundation
import GS1
import Labels
import Registry

extension StationConfiguration {
    /// Why the station's template can never be filled with what the station has for a label, or
    /// nil: a receiving station whose template prints `partner.sender` (the pallet label's) blocked
    /// every scan, telling the operator to check the label, while `serve --check` said good.
    ///
    /// The data is what the station fills a label with, for a product with every field, a lot
    /// and a serial with both dates: what a template asks beyond that no scan can give. (A field
    /// one scan lacks, such as an expiry its barcode does not have, is that scan's refusal.)
    public func labelFieldProblem() -> String? {
        guard let template else { return nil }
        let product = Product(article: "ARTICLE", gtin: try? GTIN("09501101530003"), description: "description")
        let base: LabelData
        switch kind {
        case .receiving:
            base = Station.receivingData(station: name, product: product, quantity: 1,
                                         partner: supplier.map { Partner(code: $0, name: $0, role: .supplier) })
        case .production:
            base = Station.unitData(product, line: name)
        case .picking, .lookup:
            return nil
        }
        let day = CalendarDate(year: 2030, month: 1, day: 1)!
        var data = LabelData.from(product: product, number: "NUMBER", kind: .lot, expiry: day, production: day, over: base)
        data = LabelData.from(product: product, number: "NUMBER", kind: .serial, expiry: day, production: day, over: data)
        let missing = template.missingFields(in: data)
        guard !missing.isEmpty else { return nil }
        let named = missing.map { "\($0.path) (\($0.element)\($0.line.map { ", line \($0)" } ?? ""))" }
        return "it prints \(named.joined(separator: ", ")), which a \(kind.rawValue) station's label never has: every scan would be refused for it. "
            + "The label has \(Self.paths(data).joined(separator: ", ")); choose a template that prints only those"
    }

    /// The fields `data` has, as templates name them.
    static func paths(_ data: LabelData, prefix: String = "") -> [String] {
        guard case .object(let members) = data else { return [prefix] }
        return members.keys.sorted().flatMap { key -> [String] in
            if case .object(let inner) = members[key]!, inner.isEmpty { return [] }
            return paths(members[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
        }
    }
}

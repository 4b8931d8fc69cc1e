import Foundation
import GS1

/// What a scanner reads from one barcode of a label: a GS1 barcode's AIs and values, or another
/// barcode's text.
public enum LabelReading: Hashable, Sendable, Codable, CustomStringConvertible {
    /// AI → value.
    case gs1([String: String])
    case text(String)

    public var description: String {
        switch self {
        case .gs1(let elements): elements.keys.sorted().map { "(\($0))\(elements[$0]!)" }.joined()
        case .text(let text): text
        }
    }

    /// Whether `scanned` is what a scanner reads from a label whose barcodes are `expected`: one
    /// barcode's content, or for GS1 data, all the label's GS1 barcodes together (a label whose
    /// AIs are split over two barcodes). Order does not matter. A read `joined` by the station
    /// from two barcodes matches only a label that has two GS1 barcodes: a label printed as one
    /// symbol cannot be read in two parts (a QA run's two part-reads verified one).
    public static func matches(_ scanned: LabelReading, _ expected: [LabelReading], joined: Bool = false) -> Bool {
        var gs1 = 0
        var all: [String: String] = [:]
        for case .gs1(let elements) in expected {
            gs1 += 1
            all.merge(elements) { first, _ in first }
        }
        if joined { return gs1 >= 2 && scanned == .gs1(all) }
        if expected.contains(scanned) { return true }
        guard case .gs1(let read) = scanned else { return false }
        return read == all
    }

    /// `readings` as kept with what was printed (JSON), or `nil`.
    public static func stored(_ readings: [LabelReading]?) -> String? {
        readings.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
    }

    /// The readings kept as ``stored(_:)`` wrote them, or `nil` when `text` is not such.
    public static func stored(from text: String) -> [LabelReading]? {
        try? JSONDecoder().decode([LabelReading].self, from: Data(text.utf8))
    }

    /// The reading of GS1 elements.
    public static func gs1(_ elements: some Sequence<(ai: String, value: String)>) -> LabelReading {
        var map: [String: String] = [:]
        for element in elements { map[element.ai] = map[element.ai] ?? element.value }
        return .gs1(map)
    }

    init(_ content: BarcodeContent) {
        switch content {
        case .text(let text): self = .text(text)
        case .gs1(let string): self = Self.gs1(string.elements.lazy.map { (ai: $0.ai, value: $0.value) })
        }
    }
}

extension Template {
    /// What each barcode of this template's label filled with `data` carries, as a scanner reads
    /// it; `nil` for a raw EPL template, whose barcodes are not read back.
    ///
    /// - Throws: ``LabelError`` when the label cannot be made from `data`.
    public func readings(_ data: LabelData) throws(LabelError) -> [LabelReading]? {
        if let raw = rawLanguage {
            guard raw == .zpl else { return nil }
            return try Self.readings(rawZPL: try fillRaw(data).text)
        }
        return try layout(data).readings
    }

    /// What the barcodes of a filled raw ZPL label carry, as a Zebra printer reads them.
    public static func readings(rawZPL text: String) throws(LabelError) -> [LabelReading] {
        try RawZPLBarcodes.barcodes(in: text).map { LabelReading($0.content) }
    }
}

extension LabelLayout {
    /// What each barcode of the laid-out label carries, as a scanner reads it.
    public var readings: [LabelReading] {
        items.compactMap { item in
            if case .barcode(let barcode) = item { LabelReading(barcode.content) } else { nil }
        }
    }
}

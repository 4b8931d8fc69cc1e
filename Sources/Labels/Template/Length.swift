import Foundation

/// A distance on the label: `12.5mm`, `0.5in`, `40dots`, or a bare number in the template's unit.
///
/// Converted to printer dots only when a label is laid out, so that one template prints at 203,
/// 300 or 600 dpi.
public struct Length: Hashable, Sendable, CustomStringConvertible {
    public enum Unit: String, Hashable, Sendable { case mm, inch = "in", dots }
    public var value: Double
    public var unit: Unit

    public init(_ value: Double, _ unit: Unit) {
        self.value = value
        self.unit = unit
    }

    /// Whole printer dots at `dpi` (rounded to the nearest dot).
    /// The length in millimetres (dots counted at the finest resolution, 600 dpi).
    public var millimetres: Double {
        switch unit {
        case .mm: value
        case .inch: value * 25.4
        case .dots: value * 25.4 / 600
        }
    }

    public func dots(_ dpi: Int) -> Int {
        switch unit {
        case .dots: Int(value.rounded())
        case .mm: Int((value * Self.dotsPerMillimetre(dpi)).rounded())
        case .inch: Int((value * Double(dpi)).rounded())
        }
    }

    /// A "203 dpi" printer head has 8 dots a millimetre (203.2 dpi), so 100 mm is 800 dots; the
    /// other resolutions are what they say.
    static func dotsPerMillimetre(_ dpi: Int) -> Double {
        dpi == 203 ? 8 : Double(dpi) / 25.4
    }

    /// Parses `12.5mm`, `1in`, `30dots` (or `30dot`), or a bare number in `defaultUnit`.
    init?(parsing text: String, defaultUnit: Unit) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let suffixes: [(String, Unit)] = [("mm", .mm), ("in", .inch), ("dots", .dots), ("dot", .dots)]
        var unit = defaultUnit
        var number = Substring(trimmed)
        for (suffix, candidate) in suffixes where trimmed.hasSuffix(suffix) {
            unit = candidate
            number = trimmed.dropLast(suffix.count)
            break
        }
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        self.init(value, unit)
    }

    public var description: String {
        let number = value == value.rounded() ? String(Int(value)) : String(value)
        return number + unit.rawValue
    }
}

/// A point on the label, from its top-left corner.
public struct Position: Hashable, Sendable {
    public var x: Length
    public var y: Length
    public init(x: Length, y: Length) {
        self.x = x
        self.y = y
    }
}

/// A width and a height.
public struct Size: Hashable, Sendable {
    public var width: Length
    public var height: Length
    public init(width: Length, height: Length) {
        self.width = width
        self.height = height
    }
}

/// The barcode types a template can use, with the names written in templates.
public enum Symbology: String, CaseIterable, Hashable, Sendable {
    case gs1_128 = "gs1-128"
    case code128 = "code128"
    case gs1DataMatrix = "gs1-datamatrix"
    case dataMatrix = "datamatrix"
    case qr = "qr"
    case gs1QR = "gs1-qr"
    case ean13 = "ean13"
    case upcA = "upca"
    case itf14 = "itf14"
    case code39 = "code39"

    /// Whether the data is a list of GS1 AIs (built with the GS1 target's ElementStringBuilder).
    public var isGS1: Bool { self == .gs1_128 || self == .gs1DataMatrix || self == .gs1QR }

    /// Whether the symbol is a matrix of square modules (the module size sets both sides).
    public var isMatrix: Bool { self == .gs1DataMatrix || self == .dataMatrix || self == .qr || self == .gs1QR }
}

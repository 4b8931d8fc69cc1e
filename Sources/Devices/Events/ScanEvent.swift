public import Foundation

/// One scan as a scanner delivered it: the data, the AIM symbology identifier when the scanner sent
/// one, which source it came from and when.
///
/// The data is kept as bytes so that GS (ASCII 29) and non-ASCII bytes from HID POS and serial
/// scanners arrive unchanged; ``text`` decodes them as UTF-8.
public struct ScanEvent: Hashable, Sendable {
    /// The data without the symbology identifier and without terminator, prefix or suffix.
    public let data: [UInt8]
    /// The AIM symbology identifier (ISO/IEC 15424) such as `]C1` or `]d2`, when the scanner sent one.
    public let symbologyIdentifier: String?
    /// The source that delivered it: `usb:05e0:1200`, `serial:/dev/ttyACM0`, `tcp://host:port`, `stdin`.
    public let source: String
    /// When the scan was complete (UTC).
    public let time: Date
    /// The whole length of a scan that ran past its framing's maximum (``FramedScan``): only its
    /// start is in ``data``, and it is to be refused as too long, not acted on.
    public let overlongLength: Int?

    /// A scan whose identifier is already separated from its data (HID POS reports carry it apart).
    public init(data: [UInt8], symbologyIdentifier: String?, source: String, time: Date = Date(), overlongLength: Int? = nil) {
        self.data = data
        self.symbologyIdentifier = symbologyIdentifier
        self.source = source
        self.time = time
        self.overlongLength = overlongLength
    }

    /// A scan as transmitted in one piece (keyboard, serial, TCP): a leading `]` followed by a
    /// symbology character and a modifier is taken as the AIM symbology identifier.
    public init(transmitted bytes: [UInt8], source: String, time: Date = Date(), overlongLength: Int? = nil) {
        let length = Self.identifierLength(bytes)
        self.init(data: Array(bytes.dropFirst(length)),
                  symbologyIdentifier: length == 0 ? nil : String(decoding: bytes.prefix(length), as: UTF8.self),
                  source: source, time: time, overlongLength: overlongLength)
    }

    /// A scan a framer cut from a stream.
    public init(_ scan: FramedScan, source: String, time: Date = Date()) {
        self.init(transmitted: scan.bytes, source: source, time: time, overlongLength: scan.overlongLength)
    }

    /// The data as text (UTF-8; a byte that is not UTF-8 becomes U+FFFD).
    public var text: String { String(decoding: data, as: UTF8.self) }

    /// What the scanner sent: identifier and data in one string, as a GS1 parser reads it.
    public var transmitted: String { (symbologyIdentifier ?? "") + text }

    /// The length of the AIM identifier at the start of `bytes`: `]`, a symbology letter and one
    /// alphanumeric modifier (two for system expansion `]Y`), or 0.
    static func identifierLength(_ bytes: [UInt8]) -> Int {
        func isLetter(_ byte: UInt8) -> Bool { (65...90).contains(byte) || (97...122).contains(byte) }
        func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || (48...57).contains(byte) }
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "]"), isLetter(bytes[1]), isAlphanumeric(bytes[2]) else {
            return 0
        }
        if bytes[1] == UInt8(ascii: "Y"), bytes.count >= 4, isAlphanumeric(bytes[3]) { return 4 }
        return 3
    }
}

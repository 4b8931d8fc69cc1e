public import Devices
import Foundation
public import GS1
public import Registry

/// One scan as the faces show it (`tracemark scan`, the HTTP API): where it came from, its bytes,
/// what GS1 makes of it, and what the registry says of it.
public struct ScanReport: Encodable, Sendable {
    /// What GS1 makes of the scan.
    public struct GS1: Encodable, Sendable {
        public let kind: String
        public let elements: [[String: String]]
        public let bracketed: String
        public let warnings: [String]
    }

    public let source: String
    public let time: String
    public let symbologyIdentifier: String?
    /// The data, GS as ASCII 29 (JSON writes it as \u001d).
    public let data: String
    public let hex: String
    public let gs1: GS1?
    public let gs1Error: String?
    /// What the registry says of the scan (absent when it was not looked up).
    public var resolution: Resolution?
    /// Why it could not be resolved: an unreadable scan, or a registry that cannot be opened.
    public var resolveError: String?

    /// The scan as it came, read as GS1 by `parser` (lenient: a legacy label still shows its AIs).
    public init(_ event: ScanEvent, parser: GS1Parser = GS1Parser(.lenient)) {
        source = event.source
        time = ISO8601DateFormatter().string(from: event.time)
        symbologyIdentifier = event.symbologyIdentifier
        data = event.text
        hex = event.data.map { String(format: "%02x", $0) }.joined()
        // An over-long scan is no scan: said, not read as GS1 (looked up or not).
        if let length = event.overlongLength {
            gs1 = nil
            gs1Error = nil
            resolveError = StationScan.overlongMessage(length)
            return
        }
        do {
            let code = try parser.parse(event.transmitted)
            switch code.kind {
            case .plain:
                gs1 = nil
            case .elementString, .digitalLink, .gtin:
                gs1 = GS1(kind: "\(code.kind)", elements: code.elements.map { ["ai": $0.ai, "value": $0.value] },
                          bracketed: code.bracketed, warnings: code.warnings.map(\.message))
            }
            gs1Error = nil
        } catch {
            gs1 = nil
            gs1Error = error.message
        }
    }
}

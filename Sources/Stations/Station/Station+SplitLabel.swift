import Foundation
import GS1
import Logging
import Registry

/// A label whose GS1 data is split over two barcodes, as GS1 allows when one symbol would be too
/// wide: (01)(17) in one GS1-128, (10) in the other (our own lot label does so for a lot of 16 to
/// 20 characters, and so do suppliers'). A scanner reads one barcode at a time: the part that
/// names a tracked product but not its lot or serial (or, the other way round, the part with the
/// lot or serial but no product) is refused as such and kept, and the next scan from the same
/// scanner, within a minute, that is the label's other part is read together with it, as one
/// label. A production line's verify scanner does the same without refusing the part it keeps
/// (`verifyingParts`).
extension Station {
    /// The part of a label kept for the scan that completes it.
    struct HeldPart: Sendable {
        var time: Date
        var elements: [AIElement]
        /// Which part this is, for the verify scanner's alarm when its window passes.
        var serial: UInt64 = 0
    }

    /// AIs that name the thing itself: a scan with one of them is a label of its own, never the
    /// rest of another.
    static let keyAIs: Set<String> = ["00", "01", "02"]

    /// What to do after a label that names a tracked product but not its number.
    static let secondBarcodeNext = "scan the label's other barcode: the two are read as one label; or scan the next item"

    /// The refusal of a scan that names `product` (tracked by `tracking`) but not its lot or serial.
    static func numberMissing(_ product: Product, _ tracking: LotSerialClass.Tracking) -> ScanOutcome.Reason {
        tracking == .serial
            ? .init("serial-missing", "product \(product.article) is tracked by serial, but this barcode has no serial (21): scan the barcode that has it")
            : .init("lot-missing", "product \(product.article) is tracked by lot, but this barcode has no lot (10): scan the barcode that has it")
    }

    /// A picking or production scan that names a tracked product but not its lot or serial,
    /// refused as such (the label's other barcode has it); nil for any other.
    func refusedForMissingNumber(_ scan: StationScan, _ resolution: Resolution) async throws -> ScanOutcome? {
        guard let product = resolution.product, resolution.lotSerial == nil, resolution.scan.lot == nil, resolution.scan.serial == nil
        else { return nil }
        let tracking = try await self.tracking(of: product)
        guard tracking != .none else { return nil }
        return try await refuse(scan, [Self.numberMissing(product, tracking)], next: Self.secondBarcodeNext, resolution: resolution)
    }

    /// Whether `elements` name the thing itself ((00), (01), (02)).
    static func namesProduct(_ elements: [AIElement]) -> Bool { elements.contains { keyAIs.contains($0.ai) } }

    /// Whether `elements` carry a lot (10) or a serial (21).
    static func namesNumber(_ elements: [AIElement]) -> Bool { elements.contains { $0.ai == "10" || $0.ai == "21" } }

    /// How `product` is tracked.
    func tracking(of product: Product) async throws -> LotSerialClass.Tracking {
        guard let code = product.lotSerialClass else { return .none }
        return try await registry.lotSerialClass(code).tracking
    }

    /// Reads a part leniently: the rest of a label breaks GS1's rules on its own ((10) needs
    /// (01)); the label joined from both is read by the station's own parser.
    static let partParser = GS1Parser(.scanning(lenient: true))

    /// The scan's AIs, when it is GS1 element strings.
    nonisolated func elements(of scan: StationScan) -> [AIElement]? {
        guard let code = try? Self.partParser.parse(scan.transmitted), code.kind == .elementString, !code.elements.isEmpty else { return nil }
        return code.elements
    }

    /// The rest of a label on its own: its lot or serial without the product ((10) or (21), no
    /// (00)/(01)/(02)), in data that says it is GS1 (an AIM prefix, brackets or GS: digits
    /// alone may be a plain number), which the station's parser refuses as it stands. Nil for
    /// anything else.
    nonisolated func lonelyRest(_ scan: StationScan) -> [AIElement]? {
        guard parser.plainReading(scan.transmitted) == nil, (try? parser.parse(scan.transmitted)) == nil,
              let elements = elements(of: scan), !Self.namesProduct(elements), Self.namesNumber(elements) else { return nil }
        return elements
    }

    /// Whose part a scan's is: its scanner's.
    static func partKey(_ scan: StationScan) -> String { scan.scanner ?? scan.device }

    /// `scan` read together with the part its scanner left before it, when the two make one
    /// label (one names the product, the other does not, and no AI differs), in either order;
    /// the part is let go either way (a scan that is not its other part means the operator went
    /// on). Each scanner's part is its own: two operators at one station do not mix labels.
    /// `dropped` is the part let go without being completed, if any; `disagreeing`, when the scan
    /// is the held part's other half in all but an AI both carry with two values (`(17)` 271231
    /// and 280101), that AI: two labels' barcodes, which the operator is told rather than asked
    /// again for the barcode just scanned (found by a QA run).
    func completingHeldPart(_ scan: StationScan) -> (scan: StationScan, dropped: HeldPart?, disagreeing: (ai: String, held: String, scanned: String)?) {
        guard let held = heldParts.removeValue(forKey: Self.partKey(scan)) else { return (scan, nil, nil) }
        let waited = scan.time.timeIntervalSince(held.time)
        guard waited >= 0, waited <= configuration.partWindow, let part = elements(of: scan) else { return (scan, held, nil) }
        let heldNamesProduct = Self.namesProduct(held.elements)
        guard Self.namesProduct(part) != heldNamesProduct else { return (scan, held, nil) }
        let (first, second) = heldNamesProduct ? (held.elements, part) : (part, held.elements)
        var all = first
        for element in second {
            if let same = all.first(where: { $0.ai == element.ai }) {
                // The same AI with another value: another label's barcode.
                guard same.value == element.value else {
                    // `same` is from `first`, `element` from `second`: the held part is one of them.
                    let (heldValue, scannedValue) = heldNamesProduct ? (same.value, element.value) : (element.value, same.value)
                    return (scan, held, (element.ai, heldValue, scannedValue))
                }
            } else {
                all.append(element)
            }
        }
        var joined = scan
        joined.received = (scan.data, scan.symbologyIdentifier)
        joined.data = Array(ElementString.bracketed(all).utf8)
        joined.symbologyIdentifier = nil
        logger.info("scan read with the barcode before it as one label", metadata: ["device": "\(scan.device)"])
        return (joined, nil, nil)
    }

    /// Keeps `scan` for its label's other barcode when it was refused for naming a tracked
    /// product without its number.
    func holdIfPart(_ scan: StationScan, _ outcome: ScanOutcome) {
        guard outcome.verdict == .block, outcome.reasons.contains(where: { $0.code == "lot-missing" || $0.code == "serial-missing" }),
              let elements = elements(of: scan), Self.namesProduct(elements) else { return }
        heldParts[Self.partKey(scan)] = HeldPart(time: scan.time, elements: elements)
    }

    /// An operator's scan of a label's rest on its own (its lot, no product): refused, saying
    /// so, and kept for the barcode that names the product. Nil when `scan` is no such part.
    func holdingLonelyRest(_ scan: StationScan) async throws -> ScanOutcome? {
        guard scan.received == nil, let rest = lonelyRest(scan) else { return nil }
        let outcome = try await refuse(scan, [.init("product-missing",
            "this barcode has \(rest.contains { $0.ai == "21" } ? "a serial (21)" : "a lot (10)") but names no product (01): scan the label's barcode that has it, and the two are read as one")],
            next: Self.secondBarcodeNext)
        heldParts[Self.partKey(scan)] = HeldPart(time: scan.time, elements: rest)
        return outcome
    }

    /// A verify scan's part, kept; if its other barcode has not come when the window passes,
    /// the alarm is raised then rather than at the line's next verify scan, which never comes
    /// when the line has stopped (the unit stood printed and unverified, without a word).
    func holdVerifyPart(_ scan: StationScan, _ elements: [AIElement]) {
        partSerial &+= 1
        let serial = partSerial, key = Self.partKey(scan), window = configuration.partWindow
        heldParts[key] = HeldPart(time: scan.time, elements: elements, serial: serial)
        Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int64(window * 1000)))
            await self?.verifyPartTimedOut(key, serial: serial, scan: scan)
        }
    }

    private func verifyPartTimedOut(_ key: String, serial: UInt64, scan: StationScan) async {
        guard let held = heldParts[key], held.serial == serial else { return }
        heldParts[key] = nil
        // Logged anew, now, without the part's scan id (its scan is logged already, as read).
        var late = scan
        late.scanID = nil
        late.time = Date()
        let seconds = Int(configuration.partWindow.rounded())
        let reason = ScanOutcome.Reason("label-part-only",
            "the verify scanner read one barcode of a label, \(ElementString.bracketed(held.elements)), and not its other barcode within \(seconds) s")
        do {
            _ = try await partAlarm(late, reason)
        } catch {
            logger.error("alarm: \(reason.message); it could not be logged: \(error)", metadata: ["device": "\(scan.device)"])
        }
    }
}

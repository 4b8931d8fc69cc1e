@testable import GS1
import Testing

/// One row of `linter-components.tsv`: a GS1 Barcode Syntax Test run on one component.
struct LinterVector: Sendable, CustomTestStringConvertible {
    let line: Int
    let linter: String
    /// The component as the C test passed it: one byte per character (the file writes bytes
    /// 0x80-0xFF as the Latin-1 characters they are).
    let data: [UInt8]
    let expectedOK: Bool
    let expectedError: String
    /// The highlight column: the data with the error span between two `*`.
    let highlight: [UInt8]

    /// Every span the highlight can mean (the data itself may contain `*`).
    var expectedSpans: [Range<Int>] {
        var spans: [Range<Int>] = []
        let star = UInt8(ascii: "*")
        for open in highlight.indices where highlight[open] == star {
            for close in highlight.indices where close > open && highlight[close] == star {
                var rest = highlight
                rest.remove(at: close)
                rest.remove(at: open)
                if rest == data { spans.append(open..<(close - 1)) }
            }
        }
        return spans
    }

    var testDescription: String { "\(linter) \(String(decoding: data, as: UTF8.self).debugDescription) (row \(line))" }

    static func bytes(_ text: String) -> [UInt8] {
        VectorFiles.unescape(text).unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    static func all() throws -> [LinterVector] {
        try VectorFiles.tsv("linter-components.tsv").enumerated().map { index, row in
            return LinterVector(line: index + 1, linter: row["linter"] ?? "", data: bytes(row["component_data"] ?? ""),
                                expectedOK: row["expected_ok"] == "true", expectedError: row["expected_err"] ?? "",
                                highlight: bytes(row["error_highlight(*marks*)"] ?? ""))
        }
    }
}

/// Every row of `linter-components.tsv`: each check gives the reference's verdict, error and span.
@Suite struct LinterVectorTests {
    /// The C tests were compiled with 2021 as the current year.
    private static let year = 2021

    private func run(_ vector: LinterVector) -> LintFailure? {
        vector.data.withUnsafeBufferPointer { data -> LintFailure? in
            // The company-prefix tests use a stub look-up that answers "not allocated" or "offline"
            // for one prefix: here the one at the span the vector highlights.
            var context = LintContext(currentYear: Self.year)
            let answer: CompanyPrefixStatus? = switch vector.expectedError {
            case "GS1_LINTER_GCP_DATASOURCE_OFFLINE": .unavailable
            case "GS1_LINTER_INVALID_GCP_PREFIX": .unallocated
            default: nil
            }
            if let answer, let failing = vector.expectedSpans.first?.lowerBound {
                let base = UInt(bitPattern: data.baseAddress)
                context.companyPrefixLookup = { prefix in
                    UInt(bitPattern: prefix.baseAddress) &- base == UInt(failing) ? answer : .allocated
                }
            }
            return check(vector, data, context)
        }
    }

    private func check(_ vector: LinterVector, _ data: UnsafeBufferPointer<UInt8>, _ context: LintContext) -> LintFailure? {
        switch vector.linter {
        case "csetnumeric": CharacterSets.checkNumeric(data)
        case "cset82": CharacterSets.checkCSet82(data)
        case "cset39": CharacterSets.checkCSet39(data)
        case "cset64": CharacterSets.checkCSet64(data)
        default: Linter(rawValue: vector.linter)?.check(data, context)
        }
    }

    @Test(arguments: try LinterVector.all())
    func checkAgreesWithTheReference(_ vector: LinterVector) throws {
        #expect(vector.linter.hasPrefix("cset") || Linter(rawValue: vector.linter) != nil, "unknown linter \(vector.linter)")
        let failure = run(vector)
        #expect((failure == nil) == vector.expectedOK)
        guard let failure, !vector.expectedOK else { return }
        #expect("GS1_LINTER_" + failure.error.referenceName == vector.expectedError)
        #expect(vector.expectedSpans.contains(failure.offset..<(failure.offset + failure.length)),
                "span \(failure.offset)+\(failure.length) is not the highlighted one")
    }

    @Test func everyLinterOfTheDictionaryIsImplemented() {
        let used = Set(AIDictionary.standard.entries.flatMap { $0.components.flatMap(\.checks) })
        #expect(used.allSatisfy { Linter(rawValue: $0) != nil })
    }
}

import Foundation
@testable import GS1
import Testing
import TracemarkTesting

@Suite struct AIDictionaryTests {
    private let dictionary = AIDictionary.standard

    @Test func everyAIOfTheSyntaxDictionaryIsInTheTable() throws {
        var expected = 0
        for line in try VectorFiles.text("gs1-syntax-dictionary.txt").split(separator: "\n") where !line.hasPrefix("#") {
            guard let first = line.split(separator: " ").first else { continue }
            let bounds = first.split(separator: "-").compactMap { Int($0) }
            expected += bounds.count == 2 ? bounds[1] - bounds[0] + 1 : 1
        }
        #expect(dictionary.entries.count == expected)
        #expect(AIDictionary.syntaxDictionaryRelease == "2026-01-27")
    }

    @Test func theGeneratedTableIsUpToDate() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let generator = repository.appendingPathComponent("scripts/generate-ai-table.py")
        let process = try ChildProcess("/usr/bin/env", ["python3", generator.path, VectorFiles.url("gs1-syntax-dictionary.txt").path, "--check"])
        #expect(process.waitUntilExit() == 0, "run scripts/generate-ai-table.py")
    }

    @Test func entriesGiveTitleFormatAndFlags() throws {
        let expiry = try #require(dictionary["17"])
        #expect(expiry.title == "USE BY or EXPIRY")
        #expect(expiry.format == "N6,yymmd0")
        #expect(expiry.hasPredefinedLength)
        #expect(expiry.components.first?.checks == ["yymmd0"])
        let lot = try #require(dictionary["10"])
        #expect(lot.needsSeparator && lot.maximumLength == 20 && lot.isDigitalLinkDataAttribute)
        let gtin = try #require(dictionary["01"])
        #expect(gtin.isDigitalLinkPrimaryKey && gtin.keyQualifiers == [["22", "10", "21"], ["235"]])
        #expect(gtin.excludes == ["255", "37"])
        #expect(dictionary["8001"]?.needsSeparator == true)
        #expect(dictionary["3103"]?.requires == [[["01"], ["02"]]])
        #expect(dictionary["99"] != nil && dictionary["89"] == nil && dictionary["1"] == nil && dictionary["0"] == nil)
    }

    /// The dictionary's "no FNC1" flag agrees with the General Specifications' table of predefined
    /// lengths for every AI, and so does the value length.
    @Test func predefinedLengthFlagsAgreeWithThePrefixTable() {
        for entry in dictionary.entries {
            let bytes = Array(entry.ai.utf8)
            let length = PredefinedLength.valueLength(prefix: Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48))
            #expect(entry.hasPredefinedLength == (length != nil), "\(entry.ai)")
            if let length { #expect(entry.maximumLength == length && entry.minimumLength == length, "\(entry.ai)") }
        }
    }

    @Test func unknownAIsAreVivifiedOnlyWhereTheirLengthIsKnown() {
        func exact(_ ai: String) -> AIEntry? {
            Array(ai.utf8).withUnsafeBufferPointer { dictionary.entry(exactly: $0, permitUnknown: true) }
        }
        #expect(exact("89")?.isUnknown == true)
        #expect(exact("011") == nil)
        #expect(exact("800") == nil)
        #expect(exact("399") == nil)
        #expect(exact("3999")?.needsSeparator == true)
        #expect(exact("419")?.maximumLength == 13)
        #expect(exact("3199")?.hasPredefinedLength == true)
    }
}

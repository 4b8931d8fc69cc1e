public import Testing

/// An error with a code and a message, as every target's error is (`RegistryError`,
/// `PrintingError`, `StoreError` …), so one assertion serves them all.
public protocol CodedError: Error {
    associatedtype Code: Equatable & CustomStringConvertible
    var code: Code { get }
    var message: String { get }
}

/// Asserts that `body` throws an `E` with `code` whose message contains every fragment.
public func expectFailure<E: CodedError>(_ type: E.Type, _ code: E.Code, _ fragments: [String],
                                         sourceLocation: SourceLocation = #_sourceLocation,
                                         _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(E.self) \(code), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as E {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message \"\(error.message)\" lacks \"\(fragment)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected \(E.self) \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

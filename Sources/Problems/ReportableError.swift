/// A failure that every face of Tracemark reports the same way: the command line with an exit
/// status, the HTTP API with a status and an RFC 9457 problem document. Each error type states
/// both statuses beside its codes, once; the faces only read them.
public protocol ReportableError: Error, Sendable {
    /// Stable and kebab-case (`not-found`, `locked`): what clients and scripts match on.
    var problemCode: String { get }
    /// What failed and what to do about it, for people.
    var problemDetail: String { get }
    /// The HTTP status the API answers with.
    var httpStatus: Int { get }
    /// The command line's exit status (sysexits: 64 usage, 69 unavailable, 77 permission; 1 refused).
    var exitStatus: Int32 { get }
}

public enum ProblemCode {
    /// `invalidInput` → `invalid-input`.
    public static func kebab(_ name: String) -> String {
        name.reduce(into: "") { text, character in
            if character.isUppercase { text += "-" + character.lowercased() } else { text.append(character) }
        }
    }
}

/// An error code that states its HTTP and exit status: the one mapping, kept beside the codes.
public protocol StatusCarrying: CustomStringConvertible {
    var statuses: (http: Int, exit: Int32) { get }
}

/// An error of the usual shape (a `code` and a `message`): reportable from its code alone.
public protocol CodedError: ReportableError {
    associatedtype Code: StatusCarrying
    var code: Code { get }
    var message: String { get }
}

extension CodedError {
    public var problemCode: String { ProblemCode.kebab(code.description) }
    public var problemDetail: String { message }
    public var httpStatus: Int { code.statuses.http }
    public var exitStatus: Int32 { code.statuses.exit }
}

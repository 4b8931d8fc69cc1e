public import Problems
/// An error of the Labels target: a template that cannot be loaded, data that cannot be put on a
/// label, or an output that cannot be produced.
public struct LabelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case syntax, unknownElement, unknownProperty, invalidValue, missingField, unencodable
            case missingImage, unsupported, io, unverified
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The template file is not valid YAML or not shaped like a template.
        public static let syntax = Code(.syntax)
        /// An element type the template format does not know.
        public static let unknownElement = Code(.unknownElement)
        /// A property an element (or the label) does not have.
        public static let unknownProperty = Code(.unknownProperty)
        /// A property whose value is not allowed (a negative size, an unknown unit, a bad format).
        public static let invalidValue = Code(.invalidValue)
        /// A field refers to data that the label data does not have.
        public static let missingField = Code(.missingField)
        /// A barcode whose data cannot be encoded in its symbology.
        public static let unencodable = Code(.unencodable)
        /// An image file that does not exist or is not a readable PNG.
        public static let missingImage = Code(.missingImage)
        /// Something the chosen output cannot express.
        public static let unsupported = Code(.unsupported)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// Check before print: a barcode did not read back to the data it was meant to carry.
        public static let unverified = Code(.unverified)

        public var description: String { "\(base)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence saying what failed, where (file, line, element) and what to do.
    public let message: String
    /// The template file concerned, when known.
    public let file: String?
    /// The 1-based line in the template file, when known.
    public let line: Int?
    /// The element concerned, e.g. `barcode "gs1"` or `elements[3]`.
    public let element: String?

    /// An error with a location; the message is prefixed with `file:line: element:`.
    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, element: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.element = element
    }

    /// The same error placed at a location (keeping what it already knew).
    func located(file: String?, line: Int?, element: String?) -> LabelError {
        LabelError(code, message, file: self.file ?? file, line: self.line ?? line, element: self.element ?? element)
    }

    public var description: String {
        var prefix = ""
        if let file { prefix += file }
        if let line { prefix += (prefix.isEmpty ? "line \(line)" : ":\(line)") }
        if let element { prefix += (prefix.isEmpty ? "" : ": ") + element }
        return prefix.isEmpty ? message : "\(prefix): \(message)"
    }
}

extension LabelError: CodedError {
    public var problemDetail: String { description }
}

extension LabelError.Code: StatusCarrying {
    /// The HTTP status and the exit status of this code: the one mapping both faces use.
    public var statuses: (http: Int, exit: Int32) {
        switch base {
        case .syntax: (422, 1)
        case .unknownElement: (422, 1)
        case .unknownProperty: (422, 1)
        case .invalidValue: (422, 1)
        case .missingField: (422, 1)
        case .unencodable: (422, 1)
        case .missingImage: (422, 1)
        case .unsupported: (422, 1)
        case .io: (500, 1)
        case .unverified: (422, 1)
        }
    }
}

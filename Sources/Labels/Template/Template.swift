/// A label template, parsed and validated once: the label's size and the elements on it, with
/// fields bound to label data. Render it many times with different data through the writers
/// (``ZPLWriter``, ``EPLWriter``, ``PNGRenderer``), which never parse the template again.
public struct Template: Sendable {
    /// The template's name (from the file, or its file name).
    public var name: String
    /// The file it was loaded from, for messages.
    public var file: String?
    /// Label width and height.
    public var size: Size
    /// The resolution the label is printed at unless the caller chooses another.
    public var dpi: Int
    /// How many copies of each label (a field, e.g. `"{{copies}}"`, or a number).
    var copies: Field?
    /// The elements in drawing order.
    public internal(set) var elements: [Element]
    /// Formats named in the template (and made from pipes in fields).
    var formats: [String: FieldFormat]
    /// Data the template prints with when none is given; fields are checked against it.
    public var sample: LabelData
    /// For a raw `.zpl` or `.epl` template: the printer language text with Mustache placeholders.
    var raw: RawTemplate?
    /// The line of `copies:` in the template file, for messages about the count it gives.
    var copiesLine: Int? = nil

    /// The printer language a raw template is written in, or `nil` for a designed template.
    public var rawLanguage: RawTemplate.Language? { raw?.language }
}

/// One thing drawn on the label.
public struct Element: Sendable {
    /// The element's `id` or a name made from its type and index, for messages.
    public var name: String
    /// The line of the template file it starts on.
    public var line: Int
    /// What it is.
    var kind: Kind

    enum Kind: Sendable {
        case text(TextElement)
        case barcode(BarcodeElement)
        case line(LineElement)
        case box(BoxElement)
        case reverse(ReverseElement)
        case image(ImageElement)
    }
}

/// Text alignment within a text's box.
public enum TextAlignment: String, Sendable { case left, center, right }

/// What a text does when it does not fit its box: `wrap` breaks it into lines and, when they
/// are more than the box holds, makes them smaller; `shrink` keeps one line a paragraph and
/// makes it smaller; both refuse a text that does not fit at the smallest size. `truncate`
/// breaks it into lines and cuts those the box cannot hold, ending with "...": for a text a
/// label may shorten (a description), never for one it must carry whole (hazard statements).
public enum TextFit: String, Sendable { case wrap, shrink, truncate }

struct TextElement: Sendable {
    var at: Position
    var text: Field
    var fontSize: Length
    var bold: Bool
    var alignment: TextAlignment
    var rotation: Int
    /// The box the text wraps or shrinks into (width; height limits the lines).
    var box: Size?
    var fit: TextFit
}

struct BarcodeElement: Sendable {
    var at: Position
    var symbology: Symbology
    /// The data of a non-GS1 barcode.
    var data: Field?
    /// The AIs of a GS1 barcode, in the order written (the builder reorders them).
    var ais: [(ai: String, value: Field)]
    /// Width of the narrowest bar, or the side of a matrix module.
    var module: Length
    /// Bar height of a linear barcode.
    var height: Length
    /// Print the human-readable text under a linear barcode (GS1 AIs in brackets).
    var humanReadable: Bool
    /// Font size of the human-readable text.
    var textSize: Length
    /// A GS1-128 whose data is too wide for the label prints as two symbols, one above the
    /// other in the same space, the second from this AI on (GS1 lets a label split its element
    /// strings over several symbols; a station joins the two scans).
    var split: String? = nil
}

struct LineElement: Sendable {
    var from: Position
    var to: Position
    var thickness: Length
}

struct BoxElement: Sendable {
    var at: Position
    var size: Size
    var thickness: Length
    var radius: Length
    var filled: Bool
}

struct ReverseElement: Sendable {
    var at: Position
    var size: Size
}

struct ImageElement: Sendable {
    var at: Position
    /// The image as loaded, 1-bit.
    var bitmap: Bitmap
    /// The printed size; `nil` prints one image pixel per printer dot.
    var size: Size?
    /// The file, for messages.
    var file: String
}

/// A raw printer-language template: an existing label with Mustache placeholders whose values are
/// escaped for the language.
public struct RawTemplate: Sendable {
    public enum Language: String, Sendable { case zpl, epl }
    public var language: Language
    /// The label text split at the placeholders.
    var parts: [RawPart]

    enum RawPart: Sendable {
        case text(String)
        /// A placeholder, and the line of the template it is on.
        case field(Field, line: Int)
    }
}

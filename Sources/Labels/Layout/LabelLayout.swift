import GS1

/// One label of a template filled with data, placed in whole printer dots at one resolution:
/// what every writer (ZPL, EPL, PNG) draws, so that they agree on where things are.
public struct LabelLayout: Sendable {
    /// Label width and height in dots.
    public let width: Int
    public let height: Int
    public let dpi: Int
    /// Copies of this label.
    public let copies: Int
    var items: [LayoutItem]
    /// The template's elements, and for each item the index of the element that drew it: what
    /// check before print names when an item spoils a barcode. Empty for a label of no template.
    var elements: [Element] = []
    var owners: [Int] = []
    /// The template file, for the errors of a writer (text a printer cannot print).
    var file: String?

    /// The element that drew item `index`, for messages: `text 'article' (line 17)`.
    func owner(of index: Int) -> String? {
        guard index < owners.count, owners[index] < elements.count else { return nil }
        let element = elements[owners[index]]
        return element.line > 0 ? "\(element.name) (line \(element.line))" : element.name
    }

    /// `error` placed at the element that drew item `index`, in the template's file.
    func located(_ error: LabelError, item index: Int) -> LabelError {
        guard index < owners.count, owners[index] < elements.count else { return error.located(file: file, line: nil, element: nil) }
        let element = elements[owners[index]]
        return error.located(file: file, line: element.line > 0 ? element.line : nil, element: element.name)
    }
}

/// One line of text, placed: (x, y) is the top-left of the line's box after rotation; the box
/// is `length` dots along the text and `lineHeight` across it.
struct TextRun: Hashable, Sendable {
    var x: Int
    var y: Int
    var text: String
    var length: Int
    var lineHeight: Int
    var bold: Bool
    var alignment: TextAlignment
    var rotation: Int
    /// Whether `length` is a box the text must keep to (a text's box, a barcode's width under
    /// it), rather than only its width as measured in the label font.
    var boxed = false

    /// The run moved along its line so that text `width` dots wide sits in its box as its
    /// alignment says (a left-aligned run as it is): for the writers that place aligned text
    /// themselves, EPL always and ZPL where a field block cannot hold the text.
    func aligned(textWidth width: Int) -> TextRun {
        guard alignment != .left else { return self }
        let spare = max(0, length - width)
        let shift = alignment == .center ? spare / 2 : spare
        var run = self
        switch rotation {
        case 90: run.y += shift
        case 180: run.x += spare - shift  // read right to left: the start is on the right
        case 270: run.y += spare - shift  // read bottom to top
        default: run.x += shift
        }
        return run
    }
}

struct BarcodeItem: Sendable {
    var x: Int
    var y: Int
    var symbology: Symbology
    var content: BarcodeContent
    /// Rows and columns of modules, as libzint encodes the data.
    var symbolSize: SymbolSize
    /// The modules, when laying out had to encode them (or a test put them here); otherwise
    /// they are encoded by the writer that draws them (PNG, EPL, ZPL's graphic fallback), never
    /// for ZPL's native symbols.
    var encoded: SymbolMatrix?
    /// Module width (linear) or module side (matrix) in dots.
    var module: Int
    /// Bar height in dots (linear symbols).
    var height: Int
    var humanReadable: TextRun?
    var name: String

    /// Width and height of the symbol in dots.
    var size: (width: Int, height: Int) {
        symbology.isMatrix
            ? (symbolSize.columns * module, symbolSize.rows * module)
            : (symbolSize.columns * module, height)
    }

    /// The modules to draw.
    func modules() throws(LabelError) -> SymbolMatrix {
        if let encoded { return encoded }
        let matrix = try ZintSymbol.encode(content, as: symbology)
        guard matrix.rows == symbolSize.rows, matrix.columns == symbolSize.columns else {
            throw LabelError(.unencodable, "\(symbology.rawValue) came out \(matrix.columns) x \(matrix.rows) modules, "
                + "not the \(symbolSize.columns) x \(symbolSize.rows) it was laid out with", element: name)
        }
        return matrix
    }
}

enum LayoutItem: Sendable {
    case text(TextRun)
    case barcode(BarcodeItem)
    /// A box (or a line, when filled): outline `thickness` dots, corner `radius`.
    case box(x: Int, y: Int, width: Int, height: Int, thickness: Int, radius: Int)
    case reverse(x: Int, y: Int, width: Int, height: Int)
    case image(x: Int, y: Int, bitmap: Bitmap)
}

extension LabelLayout {
    /// A label that is one picture, e.g. to send a rendered image as a ZPL `^GF` graphic.
    public static func graphic(_ bitmap: Bitmap, dpi: Int, copies: Int = 1) -> LabelLayout {
        LabelLayout(width: bitmap.width, height: bitmap.height, dpi: dpi, copies: copies,
                    items: [.image(x: 0, y: 0, bitmap: bitmap)])
    }
}

public import Foundation

/// Rasterises labels at the printer's resolution: libzint's modules in whole dots, FreeType text,
/// written by libpng as 1-bit PNG (for printing through CUPS) or 8-bit grey (for previews).
public struct PNGRenderer: Sendable {
    public init() {}

    /// The label as a bitmap of printer dots.
    public func bitmap(_ label: LabelLayout) throws(LabelError) -> Bitmap {
        var canvas = Bitmap(width: label.width, height: label.height)
        for (index, item) in label.items.enumerated() {
            switch item {
            case .text(let run):
                do { try draw(run, on: &canvas) } catch { throw label.located(error, item: index) }
            case .barcode(let barcode):
                canvas.draw(try SymbolRaster.draw(barcode), x: barcode.x, y: barcode.y)
                if let hri = barcode.humanReadable {
                    do { try draw(hri, on: &canvas) } catch { throw label.located(error, item: index) }
                }
            case .box(let x, let y, let width, let height, let thickness, let radius):
                drawBox(x: x, y: y, width: width, height: height, thickness: thickness,
                        rounding: ZPLWriter.rounding(radius, width, height), on: &canvas)
            case .reverse(let x, let y, let width, let height):
                canvas.invert(x: x, y: y, width: width, height: height)
            case .image(let x, let y, let bitmap):
                canvas.draw(bitmap, x: x, y: y)
            }
        }
        return canvas
    }

    /// The label as PNG data (1-bit, or 8-bit grey with `preview`), resolution recorded.
    public func png(_ label: LabelLayout, preview: Bool = false) throws(LabelError) -> Data {
        try PNGFile.encode(try bitmap(label), dpi: label.dpi, eightBit: preview)
    }

    /// - Throws: ``LabelError`` for a character the label font has no glyph for: it would print
    ///   as an empty box, and a label with a product's name in boxes is refused rather than printed.
    private func draw(_ run: TextRun, on canvas: inout Bitmap) throws(LabelError) {
        guard !run.text.isEmpty, let face = FontFace.shared else { return }
        try FontFace.checkGlyphs(run)
        let line = face.render(run.text, lineHeight: run.lineHeight, bold: run.bold)
        let offset = switch run.alignment {
        case .left: 0
        case .center: (run.length - line.width) / 2
        case .right: run.length - line.width
        }
        guard run.rotation != 0 else {
            // Upright: straight onto the label, kept inside the run's box.
            canvas.draw(line, x: run.x + offset, y: run.y, within: (run.x, run.y, max(run.length, 1), run.lineHeight))
            return
        }
        var box = Bitmap(width: max(run.length, 1), height: run.lineHeight)
        box.draw(line, x: offset, y: 0)
        canvas.draw(box.rotated(run.rotation), x: run.x, y: run.y)
    }

    /// A box outline `thickness` dots wide with ZPL's corner rounding (0–8), so that PNG and ZPL
    /// draw the same corners.
    private func drawBox(x: Int, y: Int, width: Int, height: Int, thickness: Int, rounding: Int, on canvas: inout Bitmap) {
        let radius = rounding * min(width, height) / 16
        if radius == 0 {
            if thickness * 2 >= min(width, height) {
                canvas.fill(x: x, y: y, width: width, height: height)
                return
            }
            canvas.fill(x: x, y: y, width: width, height: thickness)
            canvas.fill(x: x, y: y + height - thickness, width: width, height: thickness)
            canvas.fill(x: x, y: y, width: thickness, height: height)
            canvas.fill(x: x + width - thickness, y: y, width: thickness, height: height)
            return
        }
        func inside(_ px: Int, _ py: Int, _ w: Int, _ h: Int, _ r: Int) -> Bool {
            guard px >= 0, py >= 0, px < w, py < h else { return false }
            guard r > 0 else { return true }
            let cx = px < r ? r : (px >= w - r ? w - r - 1 : px)
            let cy = py < r ? r : (py >= h - r ? h - r - 1 : py)
            let dx = Double(px - cx), dy = Double(py - cy)
            return dx * dx + dy * dy <= Double(r) * Double(r)
        }
        // Straight edges are filled whole; only the four corner squares are tested dot by dot.
        let corner = max(radius, thickness)
        canvas.fill(x: x + corner, y: y, width: width - 2 * corner, height: thickness)
        canvas.fill(x: x + corner, y: y + height - thickness, width: width - 2 * corner, height: thickness)
        canvas.fill(x: x, y: y + corner, width: thickness, height: height - 2 * corner)
        canvas.fill(x: x + width - thickness, y: y + corner, width: thickness, height: height - 2 * corner)
        let innerRadius = max(0, radius - thickness)
        for (left, top) in [(0, 0), (width - corner, 0), (0, height - corner), (width - corner, height - corner)] {
            for py in top..<(top + corner) {
                for px in left..<(left + corner) where inside(px, py, width, height, radius)
                    && !inside(px - thickness, py - thickness, width - 2 * thickness, height - 2 * thickness, innerRadius) {
                    let cx = x + px, cy = y + py
                    if cx >= 0, cy >= 0, cx < canvas.width, cy < canvas.height { canvas[cx, cy] = true }
                }
            }
        }
    }
}

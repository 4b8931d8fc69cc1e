/// Draws a barcode's modules in whole printer dots: each module is `module` dots wide (and high,
/// in a matrix), never scaled, so the printed symbol is as sharp as the printer allows.
enum SymbolRaster {
    static func draw(_ item: BarcodeItem) throws(LabelError) -> Bitmap {
        let matrix = try item.modules()
        let (width, height) = item.size
        var bitmap = Bitmap(width: width, height: height)
        if item.symbology.isMatrix {
            for row in 0..<matrix.rows {
                for column in 0..<matrix.columns where matrix.isDark(row: row, column: column) {
                    bitmap.fill(x: column * item.module, y: row * item.module, width: item.module, height: item.module)
                }
            }
        } else {
            var column = 0
            while column < matrix.columns {
                guard matrix.isDark(row: 0, column: column) else {
                    column += 1
                    continue
                }
                var end = column
                while end < matrix.columns, matrix.isDark(row: 0, column: end) { end += 1 }
                bitmap.fill(x: column * item.module, y: 0, width: (end - column) * item.module, height: height)
                column = end
            }
        }
        return bitmap
    }
}

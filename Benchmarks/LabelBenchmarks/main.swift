// The label engine's benchmarks, run by `make bench` (release build), on one core:
//
//   1. zpl   fill the 100 x 50 mm GS1 lot label (GS1-128, GS1 DataMatrix, six text fields) with
//            10,000 different serials/lots and write ZPL at 203 dpi: labels/s. Goal: > 50,000.
//   2. png   the same labels as 1-bit PNG at 203 dpi: labels/s. Goal: > 1,000.
//   3. gf    convert an 812 x 1218 dot image to a compressed ^GF: ms per image.
//
// LabelBenchmarks TEMPLATES_FOLDER [--count N] [--only zpl|png|gf]
// The figures (and the peers', measured in the same run by `make bench`) are in BENCHMARKS.md.
import Foundation
import Labels

let arguments = Array(CommandLine.arguments.dropFirst())
guard let folder = arguments.first else {
    FileHandle.standardError.write(Data("usage: LabelBenchmarks TEMPLATES_FOLDER [--count N]\n".utf8))
    exit(2)
}
var count = 10_000
if let index = arguments.firstIndex(of: "--count"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
    count = value
}

let template = try TemplateLoader().load(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("gs1-lot-100x50.yaml"))
/// Different data for every label: lot number, expiry day and quantity change.
func labelData(_ index: Int) -> LabelData {
    let month = index % 12 + 1, day = index % 28 + 1
    let expiry = "2027-" + (month < 10 ? "0" : "") + String(month) + "-" + (day < 10 ? "0" : "") + String(day)
    var data = template.sample.setting("lot.number", to: .string("LOT-" + String(100000 + index)))
    data = data.setting("lot.expiry", to: .string(expiry))
    return data.setting("quantity", to: .number(Decimal(index % 500 + 1)))
}
let data: [LabelData] = (0..<count).map(labelData)

/// Runs `body` `rounds` times and prints the median and the best round: one round of the ZPL
/// labels lasts a fifth of a second, which a shared machine's noise can halve.
func measure(_ name: String, unit: String = "labels/s", rounds: Int = 1, _ body: () throws -> Int) rethrows {
    var results: [(seconds: Double, done: Int)] = []
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        let done = try body()
        results.append(((ContinuousClock.now - start) / .seconds(1), done))
    }
    results.sort { $0.seconds < $1.seconds }
    let median = results[results.count / 2], best = results[0]
    let rounds = rounds > 1 ? String(format: ", median of %d rounds; best %.0f", rounds, Double(best.done) / best.seconds) : ""
    if unit == "ms" {
        print(String(format: "%-6@ %10.2f ms per image (%d images)", name as NSString, median.seconds * 1000 / Double(median.done), median.done))
    } else {
        print(String(format: "%-6@ %10.0f %@ (%d labels in %.2f s%@)", name as NSString, Double(median.done) / median.seconds,
                     unit as NSString, median.done, median.seconds, rounds as NSString))
    }
}

/// `--only zpl|png|gf` runs one of them (e.g. under a profiler).
let only: String? = arguments.firstIndex(of: "--only").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
func wanted(_ name: String) -> Bool { only == nil || only == name }

var bytes = 0
if wanted("zpl") { try measure("zpl", rounds: 7) {
    for item in data { bytes &+= try ZPLWriter().write(try template.layout(item, dpi: 203)).utf8.count }
    return data.count
} }
if wanted("png") { try measure("png", rounds: 3) {
    for item in data { bytes &+= try PNGRenderer().png(try template.layout(item, dpi: 203)).count }
    return data.count
} }

// An 812 x 1218 picture: the pictogram scaled up, as a full 4 x 6 in label graphic.
let picture = try PNGFile.readMonochrome(URL(fileURLWithPath: folder).appendingPathComponent("images/exclamation-ghs07.png"))
    .scaled(width: 812, height: 1218)
let graphicLabel = LabelLayout.graphic(picture, dpi: 203)
if wanted("gf") { try measure("gf", unit: "ms") {
    for _ in 0..<100 { bytes &+= try ZPLWriter().write(graphicLabel).utf8.count }
    return 100
} }
if bytes == 0 { print("no output") }

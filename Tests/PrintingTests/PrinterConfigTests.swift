import Testing
@testable import Printing

@Suite struct PrinterConfigTests {
    @Test(arguments: [
        ("tcp://10.0.0.5:9100", PrinterAddress.tcp(host: "10.0.0.5", port: 9100)),
        ("tcp://zebra-dock-1", PrinterAddress.tcp(host: "zebra-dock-1", port: 9100)),
        ("tcp://[::1]:9101/", PrinterAddress.tcp(host: "::1", port: 9101)),
        ("cups://ZebraRaw", PrinterAddress.cups(queue: "ZebraRaw")),
        ("file:labels", PrinterAddress.file(directory: "labels")),
        ("file:///srv/labels", PrinterAddress.file(directory: "/srv/labels")),
    ])
    func parsesPrinterURIs(uri: String, expected: PrinterAddress) throws {
        #expect(try PrinterAddress(parsing: uri) == expected)
    }

    @Test(arguments: ["tcp://", "tcp://host:99999", "tcp://host:abc", "cups://", "cups://a/b", "file://relative",
                      "lpd://host/queue", "10.0.0.5:9100"])
    func refusesMalformedURIsSayingWhichOne(uri: String) {
        #expect {
            try PrinterAddress(parsing: uri)
        } throws: { error in
            let error = error as! PrintingError
            return error.code == .invalidConfiguration && error.message.contains(uri)
        }
    }

    @Test func refusesPNGOnARawTCPPrinter() {
        let config = PrinterConfig(name: "dock", uri: "tcp://127.0.0.1:9100", language: .png)
        #expect(throws: PrintingError.self) { try config.validate() }
    }
}

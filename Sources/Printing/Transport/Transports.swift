/// Makes the transport for a configured printer.
public enum Transports {
    /// `databaseID`: the spool's ``Spool/databaseID``, which names a folder printer's files and is
    /// in a CUPS job's title.
    public static func make(_ printer: PrinterConfig, databaseID: String = "") throws(PrintingError) -> any PrinterTransport {
        try printer.validate()
        switch try printer.address {
        case .tcp(let host, let port): return TCP9100Printer(printer, host: host, port: port)
        case .cups(let queue): return CUPSPrinter(printer, queue: queue, databaseID: databaseID)
        case .file(let directory): return FilePrinter(printer, directory: directory, databaseID: databaseID)
        }
    }
}

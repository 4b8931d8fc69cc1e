import ArgumentParser
import Foundation
import Printing
import Registry

/// `tracemark printers`: configured printers and their live status.
struct PrintersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "printers",
        abstract: "List printers with their live status; add or remove one.",
        subcommands: [List.self, Add.self, Remove.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Configured printers, each asked for its status now (ZPL: ~HS; CUPS: the queue's state), and the CUPS queues.")
        @OptionGroup var options: GlobalOptions

        struct Listing: Encodable {
            let printers: [Row]
            let cupsQueues: [CUPSQueue]
            let cupsError: String?
        }

        struct Row: Encodable {
            let name: String
            let uri: String
            let language: String
            let dpi: Int
            let state: String
            let status: String
            let canPrint: Bool
            let queued: Int
            let held: Int
            let conditions: [String]
            let formatsInBuffer: Int?
            let labelsRemaining: Int?
            let labelCounter: Int?
        }

        func run() async throws {
            let printers = try await options.withSpool(existing: true) { _, spool in try await spool.printers() }
            // Every printer is asked at once: one that does not answer costs its status timeout, not the sum.
            let statuses = await withTaskGroup(of: (String, PrinterStatus).self) { group in
                for printer in printers {
                    group.addTask {
                        do {
                            let transport = try Transports.make(printer.config)
                            return (printer.config.name, await transport.status())
                        } catch {
                            return (printer.config.name, .offline("\(error)"))
                        }
                    }
                }
                var result: [String: PrinterStatus] = [:]
                for await (name, status) in group { result[name] = status }
                return result
            }
            let rows = printers.map { printer in
                let status = statuses[printer.config.name] ?? .noAnswer("not asked")
                return Row(name: printer.config.name, uri: printer.config.uri, language: printer.config.language.rawValue,
                           dpi: printer.config.dpi, state: status.state, status: status.description, canPrint: status.canPrint,
                           queued: printer.queued, held: printer.held, conditions: status.conditions.sorted().map(\.rawValue),
                           formatsInBuffer: status.formatsInBuffer, labelsRemaining: status.labelsRemaining,
                           labelCounter: status.labelCounter)
            }
            // The CUPS queues of the server libcups is set to use, configured here or not.
            let (queues, cupsProblem) = await listCUPSQueues()
            try options.emit(Listing(printers: rows, cupsQueues: queues, cupsError: cupsProblem)) {
                var out = table(["PRINTER", "URI", "LANGUAGE", "DPI", "STATE", "QUEUED", "HELD", "STATUS"], rows.map {
                    [$0.name, $0.uri, $0.language, String($0.dpi), $0.state, String($0.queued), String($0.held), $0.status]
                })
                out += "\n\nCUPS queues (print to one with a printer whose URI is cups://QUEUE)\n"
                if let cupsProblem {
                    out += "CUPS cannot be reached: \(cupsProblem)"
                } else {
                    out += table(["QUEUE", "STATE", "JOBS", "STATUS", "DEVICE"], queues.map {
                        [$0.name, $0.status.state, String($0.queuedJobs), $0.status.description, $0.deviceURI ?? ""]
                    })
                }
                return out
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Configure a printer by name.",
            discussion: """
                Examples: tracemark printers add dock-1 --uri tcp://10.0.0.5:9100 --language zpl --dpi 203 \
                --width 100 --length 50; tracemark printers add office --uri cups://Zebra_GK420 --language png. \
                URIs: tcp://HOST[:PORT] (raw, port 9100 by default), cups://QUEUE, file:FOLDER or file:///FOLDER.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The printer's name.") var name: String
        @Option(help: "Where it is: tcp://HOST:PORT, cups://QUEUE or file:FOLDER.") var uri: String
        @Option(help: "What it reads: zpl, epl or png.") var language: PrinterLanguage = .zpl
        @Option(help: "Its resolution in dots per inch.") var dpi: Int = 203
        @Option(help: "Label width in millimetres.") var width: Double?
        @Option(help: "Label length in millimetres.") var length: Double?
        @Option(help: "Seconds to wait for a TCP connection.") var connectTimeout: Double = 5
        @Option(help: "Seconds a write may stall before the job is abandoned.") var writeTimeout: Double = 30
        @Option(help: "Seconds an unused connection stays open (with --end-of-job keep-open).") var idleTimeout: Double = 10
        @Option(help: "Seconds to wait for a status answer (~HS).") var statusTimeout: Double = 2
        @Option(help: "End of a TCP job: close, half-close or keep-open.") var endOfJob: EndOfJob = .close
        @Flag(inversion: .prefixedNo, help: "Follow each job until the printer reports it printed.") var follow = true
        @Option(help: "Seconds to follow a job before leaving it delivered, not confirmed.") var printTimeout: Double = 120
        @Option(help: "Failed sends before a job waits for an operator.") var maxAttempts: Int = 5
        @Flag(inversion: .prefixedNo, help: """
            Ask a raw TCP ZPL printer its status (~HS) before each payload. --no-status-query for \
            one that reads ZPL but answers no query (an emulation, a print server): its jobs are \
            sent and left delivered, not confirmed.
            """) var statusQuery = true
        @Flag(help: "Replace an existing printer's configuration.") var replace = false
        @Flag(inversion: .prefixedNo, help: "For cups://QUEUE: refuse a queue the CUPS server does not have.") var check = true

        func run() async throws {
            // A queue name with a typo would be accepted and every job would fail at print time:
            // asked of the CUPS server now, when it answers.
            if check, case .cups(let queue) = try PrinterAddress(parsing: uri) {
                switch await CUPSQueueCheck.check(queue) {
                case .present: break
                case .unknown(let problem):
                    FileHandle.standardError.write(Data("note: CUPS queue \(queue) not checked: \(problem)\n".utf8))
                case .missing(let known):
                    throw CUPSQueueCheck.refusal(queue, uri: uri, known: known, bypass: ", or give --no-check")
                }
            }
            let config = PrinterConfig(name: name, uri: uri, language: language, dpi: dpi, widthMillimetres: width,
                                       lengthMillimetres: length, connectTimeout: connectTimeout, writeTimeout: writeTimeout,
                                       idleTimeout: idleTimeout, statusTimeout: statusTimeout, endOfJob: endOfJob,
                                       followUntilPrinted: follow, printTimeout: printTimeout, maxAttempts: maxAttempts)
            var configured = config
            configured.statusQuery = statusQuery
            try configured.validate()
            try await options.withSpool { _, spool in try await spool.addPrinter(configured, replace: replace) }
            if !options.json { print("printer \(name) \(replace ? "configured" : "added"): \(uri), \(language.rawValue), \(dpi) dpi") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a printer that has no unfinished jobs.",
            discussion: "Its finished jobs and their history are kept (tracemark jobs --printer NAME); adding the name again takes them back.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The printer's name.") var name: String

        func run() async throws {
            try await options.withSpool { _, spool in try await spool.removePrinter(name) }
            if !options.json { print("printer \(name) removed") }
        }
    }
}

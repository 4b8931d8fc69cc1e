import Foundation
import Testing
@testable import Printing

/// How a CUPS queue's state and state reasons become a printer status (no server needed).
@Suite struct CUPSQueueStatusTests {
    @Test(arguments: [
        (["media-empty-error"], PrinterStatus.Condition.paperOut),
        (["media-needed-error"], .paperOut),
        (["media-empty"], .paperOut),
        (["marker-supply-empty-error"], .ribbonOut),
        (["cover-open-error"], .headOpen),
        (["door-open-report"], .headOpen),
        (["paused"], .paused),
        (["offline-report"], .offline),
        (["media-jam-error"], .other),
    ])
    func stateReasonsMapToConditionsWhateverTheirSuffix(reasons: [String], condition: PrinterStatus.Condition) {
        let queue = CUPSQueue(name: "dock", state: .idle, isAcceptingJobs: true, reasons: reasons)
        #expect(queue.status.conditions == [condition])
        #expect(queue.status.message.contains(reasons[0]))
    }

    @Test func warningsAndReportsLeaveTheQueueReady() {
        let queue = CUPSQueue(name: "dock", state: .processing, isAcceptingJobs: true,
                              reasons: ["media-low-warning", "connecting-to-device", "cups-waiting-for-job-completed"], queuedJobs: 2)
        #expect(queue.status.canPrint)
        #expect(queue.status.state == "printing")
    }

    /// A stopped queue and one that rejects jobs are told apart: each has its own fix.
    @Test func aStoppedQueueIsStoppedAndARejectingOneRejects() {
        #expect(CUPSQueue(name: "q", state: .stopped, isAcceptingJobs: true).status.conditions == [.queueStopped])
        #expect(CUPSQueue(name: "q", state: .idle, isAcceptingJobs: false).status.conditions == [.queueRejecting])
        #expect(CUPSQueue(name: "q", state: .idle, isAcceptingJobs: false).status.message.contains("rejecting jobs (cupsaccept q takes them again)"))
        #expect(CUPSQueue(name: "q", state: .stopped, isAcceptingJobs: true, reasons: ["paused"]).status.conditions
                == [.queueStopped, .paused])
    }

    @Test func pngJobsAskForTheLabelSizeAndThePrintersResolution() {
        let config = PrinterConfig(name: "png", uri: "cups://png", language: .png, dpi: 300,
                                   widthMillimetres: 101.6, lengthMillimetres: 50)
        let printer = CUPSPrinter(config, queue: "png")
        let payload = PrintPayload(jobIDs: [7], bytes: Data(), language: .png, labelCount: 2, copies: 2)
        #expect(printer.options(for: payload) == ["media": "Custom.101.6x50mm", "Resolution": "300dpi", "ppi": "300", "copies": "2"])
        #expect(printer.format(of: payload) == "image/png")
        let zpl = PrintPayload(jobIDs: [8], bytes: Data(), language: .zpl, labelCount: 1)
        #expect(printer.options(for: zpl).isEmpty)
        #expect(printer.format(of: zpl) == "application/vnd.cups-raw")
        #expect(zpl.title == "tracemark-job-8")
        #expect(printer.batchLimit == 1)
    }
}

import ArgumentParser
import Devices
import Foundation
import Printing

/// `tracemark devices`: what scanners, label printers, serial ports and CUPS queues this machine has.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List USB scanners and label printers, serial ports, and CUPS queues.",
        discussion: """
            USB devices are listed when they are HID (keyboard-mode and HID POS scanners), printers, or \
            made by a known scanner or label-printer maker, with the kernel driver that holds each \
            interface (usbhid: scans type into the focused window until `tracemark scan` detaches it). \
            Use the ids with `tracemark scan --device usb:VID:PID`. CUPS queues come from the server libcups \
            is set to use (CUPS_SERVER, client.conf, else the local cupsd); print to one with cups://QUEUE.
            """
    )

    @OptionGroup var options: GlobalOptions

    struct Listing: Encodable {
        let usb: [DeviceDiscovery.USBDevice]
        let serial: [DeviceDiscovery.SerialPort]
        let usbError: String?
        let cups: [CUPSQueue]
        let cupsError: String?
    }

    func run() async throws {
        var usbError: String?
        var usb: [DeviceDiscovery.USBDevice] = []
        do {
            usb = try await DeviceDiscovery.usbDevices()
        } catch let error as DevicesError {
            usbError = error.message
        }
        let serial = await DeviceDiscovery.serialPorts()
        let (cups, cupsError) = await listCUPSQueues()
        let listing = Listing(usb: usb, serial: serial, usbError: usbError, cups: cups, cupsError: cupsError)
        try options.emit(listing) {
            var out = "USB\n"
            if let usbError { out += "  cannot list USB devices: \(usbError)\n" }
            out += indent(table(["ID", "ROLE", "MAKER", "PRODUCT", "INTERFACES (kernel driver)", "PATH"], usb.map { device in
                [device.id, device.role, device.maker ?? device.manufacturer ?? "-", device.product ?? "-",
                 device.interfaces.map { "\($0.number):\($0.kind)(\($0.kernelDriver ?? "free"))" }.joined(separator: " "),
                 device.path + (device.note.map { "  [\($0)]" } ?? "")]
            }))
            out += "\nSerial ports\n"
            out += indent(table(["PORT", "DRIVER", "USB ID", "MAKER", "STABLE NAME"], serial.map { port in
                [port.path, port.driver ?? "-", port.usbID ?? "-", port.maker ?? "-", port.links.first ?? "-"]
            }))
            out += "\nCUPS queues\n"
            if let cupsError {
                out += "  \(cupsError)"
            } else {
                out += indent(table(["QUEUE", "STATE", "JOBS", "REASONS", "DEVICE", "MODEL"], cups.map { queue in
                    [queue.name, queue.state.rawValue + (queue.isAcceptingJobs ? "" : ", rejecting"), String(queue.queuedJobs),
                     queue.reasons.isEmpty ? "-" : queue.reasons.joined(separator: " "), queue.deviceURI ?? "-", queue.makeAndModel ?? "-"]
                }))
            }
            return out
        }
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}

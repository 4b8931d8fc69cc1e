@testable import Devices
import Testing
import TracemarkSystem

@Suite struct DeviceAddressTests {
    @Test func usbAddressesNameVendorAndProduct() throws {
        guard case .usb(let configuration) = try DeviceAddress(parsing: "usb:05E0:1200?interface=0&protocol=pos") else {
            Issue.record("not usb")
            return
        }
        #expect(configuration.vendorID == 0x05E0 && configuration.productID == 0x1200)
        #expect(configuration.interfaceNumber == 0 && configuration.reportProtocol == .pos)
        #expect(try DeviceAddress(parsing: "usb:0c2e").description == "usb:0c2e:*")
    }

    @Test func serialAddressesCarryTheLineSettings() throws {
        let address = try DeviceAddress(parsing: "serial:/dev/ttyACM0?baud=115200&bits=7&parity=even&stop=2&flow=rtscts&end=crlf&timeout=40&prefix=%02&suffix=%03")
        guard case .serial(let configuration) = address else {
            Issue.record("not serial")
            return
        }
        #expect(configuration.path == "/dev/ttyACM0")
        #expect(configuration.baudRate == 115200 && configuration.dataBits == 7 && configuration.parity == .even)
        #expect(configuration.stopBits == 2 && configuration.flowControl == .hardware)
        #expect(configuration.framing.lineEnd == .crlf && configuration.framing.interCharacterTimeout == .milliseconds(40))
        #expect(configuration.framing.prefix == [2] && configuration.framing.suffix == [3])
        #expect(address.description == "serial:/dev/ttyACM0")
    }

    @Test func tcpAndStandardInput() throws {
        #expect(try DeviceAddress(parsing: "tcp://scanner-7.local:2001") == .tcp(host: "scanner-7.local", port: 2001))
        #expect(try DeviceAddress(parsing: "tcp://[::1]:51236") == .tcp(host: "::1", port: 51236))
        // Loopback unless an address is given (#17 item 3); an allow list and a client limit.
        #expect(try DeviceAddress(parsing: "tcp-listen://:9004") == .tcpListen(host: "127.0.0.1", port: 9004))
        #expect(try DeviceAddress(parsing: "tcp-listen://0.0.0.0:9004") == .tcpListen(host: "0.0.0.0", port: 9004))
        guard case .tcpListen(_, _, let access, _) = try DeviceAddress(parsing: "tcp-listen://0.0.0.0:9004?allow=10.1.0.0/16,192.168.1.20&max-clients=4") else {
            Issue.record("not a tcp-listen address")
            return
        }
        #expect(access.maxClients == 4)
        #expect(access.allows("10.1.200.3") && access.allows("192.168.1.20"))
        #expect(!access.allows("10.2.0.1") && !access.allows("192.168.1.21") && !access.allows("127.0.0.1"))
        #expect(try DeviceAddress(parsing: "stdin") == .standardInput)
        // Keepalives: 25 s for a silent scanner unless told, 0 off, on both kinds.
        #expect(try DeviceAddress(parsing: "tcp://scanner-7.local:2001?keepalive=60")
                == .tcp(host: "scanner-7.local", port: 2001, keepalive: TCPKeepalive(seconds: 60)))
        guard case .tcpListen(_, _, let limited, let off) = try DeviceAddress(parsing: "tcp-listen://:9004?keepalive=0&max-clients=2") else {
            Issue.record("not a tcp-listen address")
            return
        }
        #expect(limited.maxClients == 2 && off.seconds == 0)
        #expect(TCPKeepalive().seconds == 25)
        let probes = TCPKeepalive()
        #expect(probes.idle == 10 && probes.interval == 5 && probes.probes == 3)
        let short = TCPKeepalive(seconds: 3)
        #expect(short.idle == 1 && short.interval == 1)
    }

    @Test(arguments: ["usb:5e0:12000", "usb:xyz", "serial:ttyACM0", "serial:/dev/ttyS0?baud=12345", "serial:/dev/ttyS0?parity=mark",
                      "tcp://host", "tcp://:80", "ftp://x", "serial:/dev/ttyS0?prefix=%G1",
                      "tcp-listen://:9004?allow=10.0.0.0/33", "tcp-listen://:9004?allow=scanner.local", "tcp-listen://:9004?max-clients=0",
                      "tcp://host:2001?keepalive=-1", "tcp://host:2001?keepalive=soon", "tcp://host:2001?retries=3"])
    func badAddressesSayWhatIsWrong(text: String) {
        #expect(throws: DevicesError.self) { try DeviceAddress(parsing: text) }
    }

    /// A port out of range is said to be one, not a missing port.
    @Test func aPortOutOfRangeIsSaidToBeOne() {
        for (text, message) in [("tcp-listen://:99999", "port 99999 is not a TCP port, 0 to 65535"), ("tcp://host:", "needs a port")] {
            #expect { try DeviceAddress(parsing: text) } throws: { "\($0)".contains(message) }
        }
    }
}

@testable import Devices
import Testing

@Suite struct USBScanSourceTests {
    private func device(_ vendor: UInt16, _ product: UInt16, address: UInt8, _ interfaces: [USBDeviceInfo.Interface]) -> USBDeviceInfo {
        USBDeviceInfo(bus: 1, address: address, vendorID: vendor, productID: product, deviceClass: 0, interfaces: interfaces, portPath: [address])
    }

    private func interface(_ number: UInt8, class interfaceClass: UInt8 = 3, subclass: UInt8 = 1, protocol: UInt8 = 1,
                           endpoint: UInt8? = 0x81) -> USBDeviceInfo.Interface {
        USBDeviceInfo.Interface(number: number, interfaceClass: interfaceClass, subclass: subclass, protocol: `protocol`,
                                interruptInEndpoints: endpoint.map { [USBDeviceInfo.Endpoint(address: $0, maxPacketSize: 8)] } ?? [])
    }

    @Test func theScannerIsFoundByVendorAndProductAndItsFirstReadableHIDInterface() throws {
        let devices = [
            device(0x046D, 0xC31C, address: 2, [interface(0)]),  // an ordinary keyboard
            device(0x0C2E, 0x0B61, address: 5, [interface(0, class: 2, endpoint: 0x83), interface(1, subclass: 0, protocol: 0, endpoint: nil),
                                                interface(2, subclass: 0, protocol: 0, endpoint: 0x84)]),
        ]
        let source = USBScanSource(.init(vendorID: 0x0C2E, productID: 0x0B61))
        let target = try #require(source.findTarget(in: devices))
        #expect(target.device.address == 5 && target.interface.number == 2 && target.endpoint.address == 0x84)
        #expect(source.name == "usb:0c2e:0b61")
        #expect(target.device.path == "/dev/bus/usb/001/005")
        #expect(USBScanSource(.init(vendorID: 0x0C2E, productID: 0x0B61, interfaceNumber: 1)).findTarget(in: devices) == nil)
        #expect(USBScanSource(.init(vendorID: 0x05E0)).findTarget(in: devices) == nil)
    }

    @Test func withoutIDsOnlyABootKeyboardIsTaken() throws {
        let devices = [device(0x0C2E, 0x0B61, address: 5, [interface(0, subclass: 0, protocol: 0)]),
                       device(0x0627, 0x0001, address: 7, [interface(0)])]
        let target = try #require(USBScanSource(.init()).findTarget(in: devices))
        #expect(target.device.id == "0627:0001")
        #expect(USBScanSource(.init()).name == "usb:*")
    }
}

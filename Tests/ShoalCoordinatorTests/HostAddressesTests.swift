import Foundation
import Testing

@testable import ShoalCoordinator

/// The check `unenroll NODE_ID` makes before it SSHes to a node's reported hostname, against
/// this machine's real resolver.
@Suite struct HostAddressesTests {
    @Test func localhostResolvesToLoopbackAndANodeEnrolledFromThereMatches() {
        let addresses = HostAddresses.resolve("localhost")
        #expect(addresses.contains("127.0.0.1") || addresses.contains("::1"))
        #expect(HostAddresses.contains(addresses.contains("127.0.0.1") ? "127.0.0.1" : "::1", in: addresses))
        // A dual-stack listener reports an IPv4 client as v4-mapped.
        #expect(HostAddresses.contains("::ffff:127.0.0.1", in: ["127.0.0.1"]))
        #expect(HostAddresses.resolve("127.0.0.1") == ["127.0.0.1"])
    }

    @Test func anotherAddressAnUnresolvableNameOrNoRecordDoNotMatch() {
        #expect(!HostAddresses.contains("10.9.8.7", in: HostAddresses.resolve("localhost")))
        #expect(HostAddresses.resolve("nowhere.invalid").isEmpty)
        #expect(!HostAddresses.contains(nil, in: ["127.0.0.1"]))
    }
}

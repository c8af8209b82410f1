import ShoalCore
import Testing

@Suite("HOST:PORT parsing")
struct HostPortTests {
    @Test("IPv4, names and bracketed IPv6 parse", arguments: [
        ("127.0.0.1:8443", "127.0.0.1", 8443),
        ("[::1]:80", "::1", 80),
        ("localhost:0", "localhost", 0),
        ("example.com:65535", "example.com", 65535),
    ])
    func parses(text: String, host: String, port: Int) throws {
        let parsed = try #require(HostPort(text))
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test("text without a usable host or port is refused", arguments: [
        "nohost", "host:", ":8443", "host:http", "host:65536", "host:-1", "[]:80", "",
    ])
    func refuses(text: String) {
        #expect(HostPort(text) == nil)
    }

    @Test("an IPv6 address without brackets is refused, not split at its last colon")
    func unbracketedIPv6() {
        #expect(HostPort("::1") == nil)
        #expect(HostPort("[::1]:8443")?.host == "::1")
        #expect(HostPort("[::1]") == nil)
    }
}

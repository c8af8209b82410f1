import Foundation
import ShoalCore
import Testing

@Suite("Coordinator endpoints")
struct CoordinatorEndpointsTests {
    let urls = ["https://a:8443", "https://b:8443/", "https://c:8443"]

    @Test("it starts where told, trims a trailing slash, and wraps any start onto a URL")
    func start() throws {
        #expect(try CoordinatorEndpoints(urls: urls, start: 1).current == "https://b:8443")
        #expect(try CoordinatorEndpoints(urls: urls, start: 4).current == "https://b:8443")
        #expect(try CoordinatorEndpoints(urls: urls, start: -1).current == "https://c:8443")
        #expect(CoordinatorEndpoints(url: "https://solo:1/").current == "https://solo:1")
    }

    @Test("rotation is every URL once, the current one first, then the rest in order")
    func rotation() throws {
        #expect(try CoordinatorEndpoints(urls: urls, start: 2).rotation == ["https://c:8443", "https://a:8443", "https://b:8443"])
        #expect(try CoordinatorEndpoints(urls: urls, start: 0).rotation == ["https://a:8443", "https://b:8443", "https://c:8443"])
    }

    @Test("a failure of the current URL moves to the next and wraps around")
    func movesOn() throws {
        var endpoints = try CoordinatorEndpoints(urls: urls, start: 1)
        #expect(endpoints.moveOn(from: "https://b:8443") == "https://c:8443")
        #expect(endpoints.moveOn(from: "https://c:8443") == "https://a:8443")
        #expect(endpoints.current == "https://a:8443")
    }

    @Test("requests that failed together move it on once, not once each")
    func staleFailureDoesNotSkip() throws {
        var endpoints = try CoordinatorEndpoints(urls: urls, start: 0)
        // Long poll, heartbeat and upload to a all fail: the first moves to b, the others see
        // that a is no longer current and leave b alone.
        #expect(endpoints.moveOn(from: "https://a:8443") == "https://b:8443")
        #expect(endpoints.moveOn(from: "https://a:8443") == nil)
        #expect(endpoints.moveOn(from: "https://a:8443") == nil)
        #expect(endpoints.current == "https://b:8443")
    }

    @Test("one URL never moves")
    func single() {
        var endpoints = CoordinatorEndpoints(url: "https://solo:1")
        #expect(endpoints.moveOn(from: "https://solo:1") == nil)
        #expect(endpoints.current == "https://solo:1")
    }

    @Test("jitter starts at every URL over many agents, and an empty list is refused")
    func jitter() throws {
        var starts: Set<String> = []
        for _ in 0..<200 { starts.insert(try CoordinatorEndpoints.jittered(urls).current) }
        #expect(starts == ["https://a:8443", "https://b:8443", "https://c:8443"])
        let error = #expect(throws: ShoalError.self) { try CoordinatorEndpoints(urls: []) }
        #expect(error?.code == .configInvalid)
    }
}

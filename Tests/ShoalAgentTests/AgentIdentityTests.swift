import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("Agent identity")
struct AgentIdentityTests {
    @Test("an identity written by an agent before failover (one coordinatorURL) still loads")
    func oldFormat() throws {
        let dir = try TemporaryDirectory()
        let state = AgentStateDirectory(path: dir.file("state"))
        try state.prepare()
        // identity.json as older agents wrote it: no coordinatorURLs.
        let old = """
            {"bundleKeys":[],"coordinatorURL":"https://10.0.0.1:8443","enrolledAt":"2026-01-02T03:04:05Z","labels":{"role":"web"},"nodeID":"node-old"}
            """
        try SecureFile.write(old, to: state.identityFile)
        try SecureFile.write("KEY", to: state.keyFile)
        try SecureFile.write("CERT", to: state.certificateFile, mode: 0o644)
        let identity = try state.loadIdentity()
        #expect(identity.nodeID == "node-old")
        #expect(identity.coordinatorURLs == ["https://10.0.0.1:8443"])
        #expect(identity.labels == ["role": "web"])
    }

    @Test("a new identity keeps every URL and still names the first as coordinatorURL for older agents")
    func newFormat() throws {
        let identity = AgentIdentity(
            nodeID: "node-1", coordinatorURLs: ["https://a:1", "https://b:2"], labels: [:], bundleKeys: [], enrolledAt: Date(timeIntervalSince1970: 1_700_000_000)
        )
        let data = try WireCoding.encode(identity)
        #expect(try WireCoding.decode(AgentIdentity.self, from: data) == identity)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["coordinatorURL"] as? String == "https://a:1")
        #expect(object["coordinatorURLs"] as? [String] == ["https://a:1", "https://b:2"])
    }
}

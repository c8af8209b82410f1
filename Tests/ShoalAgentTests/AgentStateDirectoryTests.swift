import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("Agent state directory")
struct AgentStateDirectoryTests {
    let dir: TemporaryDirectory
    let state: AgentStateDirectory

    init() throws {
        dir = try TemporaryDirectory()
        state = AgentStateDirectory(path: dir.file("state"))
        try state.prepare()
    }

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    @Test("prepare makes the directory tree private to the agent")
    func prepare() throws {
        for path in [state.path, state.runningDirectory, state.spoolDirectory, state.outputDirectory] {
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(try mode(path) == 0o700)
        }
    }

    @Test("the high-water mark is 0 before any bundle")
    func initialMark() throws {
        #expect(try state.highWaterMark() == 0)
    }

    @Test("a stored high-water mark loads back, also from a fresh value over the same path")
    func storeAndLoad() throws {
        try state.storeHighWaterMark(42)
        #expect(try state.highWaterMark() == 42)
        try state.storeHighWaterMark(Int64.max)
        #expect(try AgentStateDirectory(path: state.path).highWaterMark() == Int64.max)
        #expect(try String(contentsOfFile: state.sequenceFile, encoding: .utf8) == "\(Int64.max)\n")
        #expect(try mode(state.sequenceFile) == 0o600)
        // No temporary file is left next to it.
        let names = try FileManager.default.contentsOfDirectory(atPath: state.path)
        #expect(!names.contains { $0.contains(".tmp-") })
    }

    @Test("a corrupt sequence file is refused, not read as 0", arguments: ["garbage", "", "12abc", "1.5"])
    func corrupt(content: String) throws {
        try content.write(toFile: state.sequenceFile, atomically: true, encoding: .utf8)
        let error = #expect(throws: ShoalError.self) { try state.highWaterMark() }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("corrupt") == true)
    }

    @Test("an identity is not loaded before enrollment")
    func notEnrolled() {
        #expect(!state.isEnrolled)
        let error = #expect(throws: ShoalError.self) { try state.loadIdentity() }
        #expect(error?.code == .notEnrolled)
    }

    @Test("a saved identity loads back and its key file is 0600")
    func identityRoundTrip() throws {
        let identity = AgentIdentity(
            nodeID: "node-1", coordinatorURLs: ["https://c:8443"], labels: ["role": "web"],
            bundleKeys: [BundleSigningKey().publicKey], enrolledAt: Date(timeIntervalSince1970: 1_700_000_000.25)
        )
        try state.saveIdentity(identity, keyPEM: "KEY", certificatePEM: "CERT", caPEM: "CA")
        #expect(state.isEnrolled)
        #expect(try state.loadIdentity() == identity)
        #expect(try mode(state.keyFile) == 0o600)
        #expect(try mode(state.identityFile) == 0o600)
        #expect(try mode(state.certificateFile) == 0o644)
        let credentials = try state.credentials()
        #expect(credentials.ca == "CA" && credentials.certificate == "CERT" && credentials.key == "KEY")
    }
}

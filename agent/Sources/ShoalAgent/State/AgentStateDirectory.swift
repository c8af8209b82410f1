import Foundation
import ShoalCore

/// The agent's state directory and everything in it:
///
/// ```
/// identity.json   node id, trusted bundle keys, labels     (0600)
/// node.key        the node's P-256 private key             (0600)
/// node.crt        its client certificate
/// ca.crt          the pinned fleet CA
/// sequence        the bundle high-water mark, written before any step runs
/// trust.json      the newest trust document accepted (see TrustState)
/// labels.json     this node's labels, from its token and signed label statements
/// started-tasks.json  task ids started here, until they expire
/// running/        one marker per bundle in progress (to report `interrupted` after a crash)
/// spool/          results not yet acknowledged by the coordinator
/// output/         full step output, per bundle
/// ```
public struct AgentStateDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var identityFile: String { path + "/identity.json" }
    public var keyFile: String { path + "/node.key" }
    public var certificateFile: String { path + "/node.crt" }
    public var caFile: String { path + "/ca.crt" }
    public var sequenceFile: String { path + "/sequence" }
    public var trustFile: String { path + "/trust.json" }
    public var labelsFile: String { path + "/labels.json" }
    public var startedTasksFile: String { path + "/started-tasks.json" }
    public var runningDirectory: String { path + "/running" }
    public var spoolDirectory: String { path + "/spool" }
    public var outputDirectory: String { path + "/output" }

    public func prepare() throws {
        for directory in [path, runningDirectory, spoolDirectory, outputDirectory] {
            try SecureFile.makeDirectory(directory)
        }
    }

    public var isEnrolled: Bool {
        let files = FileManager.default
        return files.fileExists(atPath: identityFile) && files.fileExists(atPath: keyFile) && files.fileExists(atPath: certificateFile)
    }

    public func loadIdentity() throws -> AgentIdentity {
        guard isEnrolled else {
            throw ShoalError(.notEnrolled, "no identity in \(path): run 'agent enroll' or put a join_token in the agent config")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: identityFile))
        return try WireCoding.decode(AgentIdentity.self, from: data)
    }

    public func saveIdentity(_ identity: AgentIdentity, keyPEM: String, certificatePEM: String, caPEM: String) throws {
        try prepare()
        // The key first: an identity file is only ever written next to a key that exists.
        try SecureFile.write(keyPEM, to: keyFile)
        try SecureFile.write(certificatePEM, to: certificateFile, mode: 0o644)
        try SecureFile.write(caPEM, to: caFile, mode: 0o644)
        try SecureFile.write(WireCoding.encode(identity, pretty: true), to: identityFile)
    }

    /// The node's labels at enrollment (the join token's), version 0.
    public func saveLabels(_ labels: NodeLabelSet) throws {
        try prepare()
        try SecureFile.write(WireCoding.encode(labels, pretty: true), to: labelsFile)
    }

    public func credentials() throws -> (ca: String, certificate: String, key: String) {
        (try SecureFile.read(caFile), try SecureFile.read(certificateFile), try SecureFile.read(keyFile))
    }

    /// The highest bundle sequence this node has accepted; 0 before the first bundle.
    public func highWaterMark() throws -> Int64 {
        guard FileManager.default.fileExists(atPath: sequenceFile) else { return 0 }
        let text = try SecureFile.read(sequenceFile).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Int64(text) else {
            throw ShoalError(.storage, "\(sequenceFile) is corrupt ('\(text)'); refusing to guess a high-water mark — restore it or re-enroll the node")
        }
        return value
    }

    /// Persists a new high-water mark durably (fsync + rename) before the bundle's first step.
    public func storeHighWaterMark(_ value: Int64) throws {
        try SecureFile.write("\(value)\n", to: sequenceFile)
    }
}

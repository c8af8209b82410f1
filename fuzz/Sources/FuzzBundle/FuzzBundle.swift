import Foundation
import FuzzSupport
import ShoalCore

/// Bundle envelopes as an agent receives them: JSON decoded with the wire decoder, then every
/// check the agent makes before a step runs, then what it reads from a verified payload.
enum BundleHarness {
    /// A published test key (a seed of 32 sevens). The seed corpus is signed with it, so the
    /// fuzzer starts from bundles that verify; it protects nothing.
    static let key: BundleSigningKey = {
        guard let key = try? BundleSigningKey(rawRepresentation: Data(repeating: 7, count: 32)) else {
            fatalError("a 32-byte seed is always an Ed25519 key")
        }
        return key
    }()
    /// Fixed, so seed bundles never expire.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let verifier = BundleVerifier(nodeID: "n-fuzz", trustedKeys: [key.publicKey])

    static func run(_ data: Data) {
        guard let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: data) else { return }
        if let payload = try? verifier.verify(envelope, highWaterMark: 0, now: now) {
            read(payload)
        }
        // The fuzzer cannot forge a signature: sign the payload bytes it made, so the payload
        // decoding and the checks after the signature are fuzzed too.
        guard let body = try? envelope.payloadBytes(),
              let resigned = try? key.sign(payload: body, payloadType: envelope.payloadType),
              let payload = try? verifier.verify(resigned, highWaterMark: 0, now: now) else { return }
        read(payload)
    }

    /// What the agent takes from a verified payload before it runs steps.
    static func read(_ payload: BundlePayload) {
        for step in payload.steps + (payload.handlers ?? []) {
            if let condition = step.when { _ = try? NodeSelector(parsing: condition) }
            if step.kind == "command" { _ = try? step.decodeParams(CommandStepParams.self) }
        }
        for file in payload.files {
            _ = Data(base64Encoded: file.content)
        }
    }

    static func seeds() throws -> [String: Data] {
        let command = try StepSpec(kind: "command", name: "hello", encoding: CommandStepParams(argv: ["/bin/echo", "hi"]))
        let file = BundleFile(data: Data("port=8080\n".utf8))
        let fileStep = StepSpec(
            kind: "file", name: "config",
            params: .object(["path": .string("/etc/web.conf"), "sourceSHA256": .string(file.sha256), "mode": .string("0644")]),
            when: "role=web,gpu.count>=0", notify: ["restart web"]
        )
        let restart = StepSpec(kind: "systemd", name: "restart web", params: .object(["unit": .string("web.service"), "state": .string("restarted")]))
        func bundle(_ id: String, steps: [StepSpec], files: [BundleFile] = [], handlers: [StepSpec]? = nil, check: Bool = false) -> BundlePayload {
            BundlePayload(
                bundleID: id, taskID: "t-fuzz", nodeID: "n-fuzz", sequence: 1,
                issuedAt: now.addingTimeInterval(-60), expiresAt: now.addingTimeInterval(3600), timeoutSeconds: 600, checkMode: check,
                steps: steps, files: files, handlers: handlers,
                vars: ["port": .number(8080), "name": .string("web"), "flags": .array([.bool(true), .null])], labels: ["role": "web"]
            )
        }
        let payloads = [
            bundle("b-command", steps: [command]),
            bundle("b-file", steps: [fileStep, command], files: [file], handlers: [restart]),
            bundle("b-check", steps: [fileStep], files: [file], handlers: [restart], check: true),
        ]
        var seeds: [String: Data] = [:]
        for payload in payloads {
            seeds["\(payload.bundleID).json"] = try WireCoding.encode(payload.signed(with: key))
        }
        // One signed by a key the harness does not trust, and one for another node.
        seeds["b-untrusted.json"] = try WireCoding.encode(payloads[0].signed(with: BundleSigningKey()))
        var other = payloads[0]
        other.nodeID = "n-other"
        seeds["b-other-node.json"] = try WireCoding.encode(other.signed(with: key))
        return seeds
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked(BundleHarness.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    BundleHarness.run(FuzzInput.data(bytes, count))
    return 0
}

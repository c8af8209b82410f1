import Foundation
import FuzzSupport
import ShoalCore

/// Envelopes as an agent receives them from the long poll: a bundle (the coordinator's
/// delivery around an operator's task), a trust document or an operator's label statement,
/// decoded with the wire decoder and judged by `BundleVerifier`, `TrustDocument.accept` and
/// `verifyLabels`, then what the agent reads from a verified bundle. The fuzzer cannot forge signatures, so each layer's payload bytes are also
/// signed anew with the test keys: the decoding and the checks behind every signature are
/// fuzzed too.
enum BundleHarness {
    /// Published test keys (seeds of repeated bytes): they protect nothing.
    static func key(_ byte: UInt8) -> BundleSigningKey {
        guard let key = try? BundleSigningKey(rawRepresentation: Data(repeating: byte, count: 32)) else {
            fatalError("a 32-byte seed is always an Ed25519 key")
        }
        return key
    }
    static let root = key(1), delivery = key(7), admin = key(9)
    /// Fixed, so the seeds never expire.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let trust = TrustDocument.initial(
        fleet: "fuzz", roots: .init(threshold: 1, keys: [root.publicKey]), deliveryKeys: [delivery.publicKey],
        operators: [.init(name: "admin", key: admin.publicKey, scope: .unrestricted)], now: now.addingTimeInterval(-60)
    )
    static let facts = NodeFacts(
        hostname: "gpu-07", osID: "ubuntu", osVersion: "22.04", osPrettyName: "Ubuntu 22.04", kernel: "6.8.0", architecture: "x86_64",
        cpuCount: 64, cpuModel: "AMD EPYC", memoryBytes: 512 << 30, disks: [], agentVersion: "0.1.0"
    )
    static let verifier = BundleVerifier(nodeID: "n-fuzz", trust: trust, labels: ["role": "web"], facts: facts)

    static func run(_ data: Data) {
        guard let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: data) else { return }
        verify(envelope)
        _ = try? TrustDocument.accept(envelope, after: trust, fleet: "fuzz", now: now)
        _ = try? trust.verifyLabels(envelope, nodeID: "n-fuzz", current: ["role": "web"])
        guard let body = try? envelope.payloadBytes() else { return }
        if let resigned = try? root.sign(payload: body, payloadType: envelope.payloadType) {
            _ = try? TrustDocument.accept(resigned, after: trust, fleet: "fuzz", now: now)
        }
        if let resigned = try? admin.sign(payload: body, payloadType: envelope.payloadType) {
            _ = try? trust.verifyLabels(resigned, nodeID: "n-fuzz", current: ["role": "web"])
        }
        guard let resigned = try? delivery.sign(payload: body, payloadType: envelope.payloadType) else { return }
        verify(resigned)
        // And the operator's layer inside, signed anew and delivered again.
        guard var payload = try? WireCoding.decode(DeliveryPayload.self, from: body),
              let statement = try? payload.statement.payloadBytes(),
              let task = try? admin.sign(payload: statement, payloadType: payload.statement.payloadType) else { return }
        payload.statement = task
        if let rewrapped = try? payload.signed(with: delivery) { verify(rewrapped) }
    }

    static func verify(_ envelope: DSSEEnvelope) {
        guard let verified = try? verifier.verify(envelope, highWaterMark: 0, started: { _ in false }, now: now) else { return }
        // What the agent reads before a step runs.
        for step in verified.bundle.steps + (verified.bundle.handlers ?? []) {
            if let condition = step.when { _ = try? NodeSelector(parsing: condition) }
            if step.kind == "command" { _ = try? step.decodeParams(CommandStepParams.self) }
        }
    }

    static func seeds() throws -> [String: Data] {
        let file = BundleFile(data: Data("port=8080\n".utf8))
        let command = try StepSpec(kind: "command", name: "hello", encoding: CommandStepParams(argv: ["/bin/echo", "hi"]))
        let config = StepSpec(
            kind: "file", name: "config", params: .object(["path": .string("/etc/web.conf"), "sourceSHA256": .string(file.sha256)]),
            when: "role=web,gpu.count>=0", notify: ["restart web"]
        )
        let restart = StepSpec(kind: "systemd", name: "restart web", params: .object(["unit": .string("web.service"), "state": .string("restarted")]))
        func task(_ id: String, _ steps: [StepSpec], files: [BundleFile] = [], check: Bool = false, schedule: TaskStatement.ScheduleGrant? = nil) -> TaskStatement {
            let request = TaskCreateRequest(
                name: id, steps: steps, selector: "role=web", timeoutSeconds: 600, checkMode: check,
                handlers: files.isEmpty ? nil : [restart], vars: ["port": .number(8080), "flags": .array([.bool(true), .null])], files: files
            )
            // A schedule's statement must be signed before the slot it runs.
            let issued = now.addingTimeInterval(schedule == nil ? -60 : -3600)
            return TaskStatement(taskID: id, operatorName: "admin", issuedAt: issued, expiresAt: now.addingTimeInterval(3600), request: request, schedule: schedule)
        }
        func bundle(_ statement: TaskStatement, files: [BundleFile] = [], scheduledAt: Date? = nil, key: BundleSigningKey = delivery) throws -> Data {
            let payload = DeliveryPayload(
                bundleID: "b-" + statement.taskID, taskID: statement.taskID, nodeID: "n-fuzz", sequence: 1, issuedAt: now.addingTimeInterval(-60),
                expiresAt: now.addingTimeInterval(3600), statement: try statement.signed(with: admin), files: files, scheduledAt: scheduledAt
            )
            return try WireCoding.encode(payload.signed(with: key))
        }
        let next = try trust.next(now: now) { $0.operators.append(.init(name: "ci", key: key(11).publicKey, scope: .init(selector: "env=staging", kinds: ["file"]))) }
        return [
            "command.json": try bundle(task("t-command", [command])),
            "file.json": try bundle(task("t-file", [config, command], files: [file]), files: [file]),
            "check.json": try bundle(task("t-check", [config], files: [file], check: true), files: [file]),
            "scheduled.json": try bundle(task("t-cron", [command], schedule: .init(name: "hourly", cron: "0 * * * *")), scheduledAt: Date(timeIntervalSince1970: 1_749_999_600)),
            "untrusted.json": try bundle(task("t-untrusted", [command]), key: BundleSigningKey()),
            "trust-next.json": try WireCoding.encode(next.signed(by: [root])),
            "labels.json": try WireCoding.encode(LabelStatement(nodeID: "n-fuzz", version: 1, labels: ["role": "web", "zone": "eu-1"], operatorName: "admin", issuedAt: now).signed(with: admin)),
        ]
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

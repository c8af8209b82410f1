import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// The agent's checks of both layers of a bundle (docs/trust.md): the coordinator's delivery
/// and the operator's task inside it.
@Suite("Bundle verifier")
struct BundleVerifierTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    let trust: TrustFixture
    let step: StepSpec

    init() throws {
        trust = try TrustFixture(now: Self.now)
        step = try StepSpec(kind: "command", name: "hi", encoding: CommandStepParams(argv: ["/bin/true"]))
    }

    func verifier(labels: [String: String] = ["env": "prod"], document: TrustDocument? = nil) -> BundleVerifier {
        BundleVerifier(nodeID: "node-1", trust: document ?? trust.document, labels: labels, facts: nil)
    }

    func statement(_ steps: [StepSpec]? = nil, selector: String = "", nodes: [String]? = nil, expiresIn: TimeInterval = 600, key: BundleSigningKey? = nil) throws -> DSSEEnvelope {
        try trust.statement(steps: steps ?? [step], taskID: "t-1", selector: selector, nodes: nodes, expiresIn: expiresIn, key: key, now: Self.now)
    }

    func bundle(_ statement: DSSEEnvelope? = nil, node: String = "node-1", sequence: Int64 = 5, expiresIn: TimeInterval = 3600, key: BundleSigningKey? = nil) throws -> DSSEEnvelope {
        try trust.delivery(statement ?? self.statement(), nodeID: node, sequence: sequence, expiresIn: expiresIn, key: key, now: Self.now)
    }

    func expectRefusal(_ envelope: DSSEEnvelope, highWaterMark: Int64 = 0, verifier: BundleVerifier? = nil, started: Set<String> = [], code: ShoalError.Code) {
        let verifier = verifier ?? self.verifier()
        #expect {
            try verifier.verify(envelope, highWaterMark: highWaterMark, started: { started.contains($0) }, now: Self.now)
        } throws: { error in
            (error as? ShoalError)?.code == code
        }
    }

    func verify(_ envelope: DSSEEnvelope, verifier: BundleVerifier? = nil) throws -> BundleVerifier.Verified {
        try (verifier ?? self.verifier()).verify(envelope, highWaterMark: 0, started: { _ in false }, now: Self.now)
    }

    @Test("a good bundle verifies: steps from the operator, node and sequence from the delivery, labels from the node")
    func acceptsGoodBundle() throws {
        let verified = try verify(bundle())
        #expect(verified.bundle.steps == [step])
        #expect(verified.bundle.sequence == 5)
        #expect(verified.bundle.labels == ["env": "prod"])
        #expect(verified.signer == "admin")
        #expect(verified.ledgerKey == "t-1")
    }

    @Test("a delivery changed after signing is bundle.bad_signature")
    func tamperedDelivery() throws {
        var envelope = try bundle()
        let other = try bundle(sequence: 999)
        envelope.payload = other.payload
        expectRefusal(envelope, code: .bundleBadSignature)
    }

    @Test("a delivery not signed by a delivery key of the trust document is bundle.untrusted_key")
    func untrustedDelivery() throws {
        expectRefusal(try bundle(key: BundleSigningKey()), code: .bundleUntrustedKey)
        // The operator's key cannot deliver either: roles are apart.
        expectRefusal(try bundle(key: trust.operatorKey), code: .bundleUntrustedKey)
    }

    @Test("the coordinator's key around a task no operator signed is bundle.operator_untrusted")
    func forgedTask() throws {
        expectRefusal(try bundle(statement(key: BundleSigningKey())), code: .operatorUntrusted)
        // Not even with the delivery key itself.
        expectRefusal(try bundle(statement(key: trust.delivery)), code: .operatorUntrusted)
    }

    @Test("an operator removed by a newer trust document can no longer run anything")
    func revokedOperator() throws {
        let (revoked, _) = try trust.next { $0.operators = [] }
        expectRefusal(try bundle(), verifier: verifier(document: revoked), code: .operatorUntrusted)
    }

    @Test("a task outside the operator's scope is bundle.out_of_scope: by labels, by kind, by commands")
    func scopes() throws {
        let staging = try TrustFixture(scope: OperatorScope(selector: "env=staging", kinds: ["any"], commands: true), now: Self.now)
        let statement = try staging.statement(steps: [step], now: Self.now)
        let delivery = try staging.delivery(statement, now: Self.now)
        let onProd = BundleVerifier(nodeID: "node-1", trust: staging.document, labels: ["env": "prod"], facts: nil)
        expectRefusal(delivery, verifier: onProd, code: .outOfScope)
        let onStaging = BundleVerifier(nodeID: "node-1", trust: staging.document, labels: ["env": "staging"], facts: nil)
        #expect(throws: Never.self) { try onStaging.verify(delivery, highWaterMark: 0, started: { _ in false }, now: Self.now) }

        let filesOnly = try TrustFixture(scope: OperatorScope(selector: "", kinds: ["file", "template"], commands: false), now: Self.now)
        let command = try filesOnly.delivery(try filesOnly.statement(steps: [step], now: Self.now), now: Self.now)
        let verifier = BundleVerifier(nodeID: "node-1", trust: filesOnly.document, labels: [:], facts: nil)
        expectRefusal(command, verifier: verifier, code: .outOfScope)
        let anyButCommands = try TrustFixture(scope: OperatorScope(selector: "", kinds: ["any"], commands: false), now: Self.now)
        expectRefusal(
            try anyButCommands.delivery(try anyButCommands.statement(steps: [step], now: Self.now), now: Self.now),
            verifier: BundleVerifier(nodeID: "node-1", trust: anyButCommands.document, labels: [:], facts: nil), code: .outOfScope
        )
    }

    @Test("a task is refused on nodes its own selector or node list does not name")
    func targets() throws {
        expectRefusal(try bundle(statement(selector: "env=staging")), code: .notTargeted)
        expectRefusal(try bundle(statement(nodes: ["node-2"])), code: .notTargeted)
        #expect(throws: Never.self) { try verify(bundle(statement(selector: "env=prod", nodes: ["node-1"]))) }
    }

    @Test("a gpu.health selector is checked against the node's own latest metrics")
    func gpuHealthSelector() throws {
        func verifier(gpu edit: (inout NodeMetrics.GPU) -> Void) -> BundleVerifier {
            var gpu = NodeMetrics.GPU(index: 0)
            edit(&gpu)
            var metrics = NodeMetrics(cpuPercent: 1, load1: 0, load5: 0, load15: 0, memoryTotalBytes: 1, memoryUsedBytes: 1, rootDiskTotalBytes: 1, rootDiskUsedBytes: 1)
            metrics.gpus = [gpu]
            return BundleVerifier(nodeID: "node-1", trust: trust.document, labels: ["env": "prod"], facts: nil, metrics: GPUHealthJudge.judged(metrics))
        }
        let wantsHealthy = try bundle(statement(selector: "env=prod,gpu.health=ok"))
        #expect(throws: Never.self) { try verify(wantsHealthy, verifier: verifier { $0.eccUncorrectedVolatile = 0 }) }
        expectRefusal(wantsHealthy, verifier: verifier { $0.eccUncorrectedVolatile = 1 }, code: .notTargeted)
        // Without a sample (no GPUs), gpu.health is absent: "=ok" does not hold.
        expectRefusal(wantsHealthy, code: .notTargeted)
    }

    @Test("a task started here before is bundle.task_replayed, in any new delivery")
    func taskReplayed() throws {
        expectRefusal(try bundle(sequence: 50), started: ["t-1"], code: .taskReplayed)
    }

    @Test("an expired operator signature is bundle.task_expired")
    func taskExpired() throws {
        expectRefusal(try bundle(statement(expiresIn: -1)), code: .taskExpired)
    }

    @Test("an expired trust document runs nothing")
    func trustExpired() throws {
        var old = trust.document
        old.expiresAt = Self.now.addingTimeInterval(-1)
        expectRefusal(try bundle(), verifier: verifier(document: old), code: .trustExpired)
    }

    @Test("carried files must be the bytes the operator signed")
    func files() throws {
        let good = BundleFile(data: Data("real".utf8))
        let statement = try trust.statement(steps: [step], files: [good], now: Self.now)
        let ok = try trust.delivery(statement, files: [good], now: Self.now)
        #expect(try verify(ok).bundle.files == [good])
        var swapped = good
        swapped.content = Data("evil".utf8).base64EncodedString()
        expectRefusal(try trust.delivery(statement, files: [swapped], now: Self.now), code: .bundleFileMissing)
        expectRefusal(try trust.delivery(statement, files: [], now: Self.now), code: .bundleFileMissing)
    }

    @Test("a bundle for another node is bundle.wrong_node")
    func wrongNode() throws {
        expectRefusal(try bundle(node: "node-2"), code: .bundleWrongNode)
    }

    @Test("an expired delivery is bundle.expired, including at the instant it expires")
    func expired() throws {
        expectRefusal(try bundle(expiresIn: -1), code: .bundleExpired)
        expectRefusal(try bundle(expiresIn: 0), code: .bundleExpired)
        #expect(throws: Never.self) { try verify(bundle(expiresIn: 1)) }
    }

    @Test("a sequence at or below the high-water mark is bundle.replayed", arguments: [Int64(5), 6, 1000])
    func replayed(highWaterMark: Int64) throws {
        expectRefusal(try bundle(sequence: 5), highWaterMark: highWaterMark, code: .bundleReplayed)
    }

    @Test("a payload type other than the delivery type is bundle.wrong_payload_type")
    func wrongType() throws {
        let envelope = try trust.delivery.sign(payload: Data("{}".utf8), payloadType: "application/json")
        expectRefusal(envelope, code: .bundleWrongType)
    }

    @Test("an envelope without signatures is bundle.bad_signature; broken base64 is bundle.malformed")
    func brokenEnvelopes() throws {
        var unsigned = try bundle()
        unsigned.signatures = []
        expectRefusal(unsigned, code: .bundleBadSignature)
        var broken = try bundle()
        broken.payload = "%%% not base64 %%%"
        expectRefusal(broken, code: .bundleBadSignature)
    }

    @Test("a correctly signed payload that is not a delivery is bundle.malformed")
    func signedGarbage() throws {
        let envelope = try trust.delivery.sign(payload: Data(#"{"hello":"world"}"#.utf8), payloadType: DeliveryPayload.payloadType)
        expectRefusal(envelope, code: .bundleMalformed)
    }
}

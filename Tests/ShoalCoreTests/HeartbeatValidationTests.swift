import Foundation
import ShoalCore
import Testing
import X509

@Suite("Heartbeat bounds")
struct HeartbeatValidationTests {
    static func facts() -> NodeFacts {
        NodeFacts(
            hostname: "node-1", osID: "debian", osVersion: "12", osPrettyName: "Debian GNU/Linux 12", kernel: "6.1.0", architecture: "x86_64",
            cpuCount: 8, cpuModel: "Xeon", memoryBytes: 16 << 30, disks: [.init(mount: "/", totalBytes: 100, freeBytes: 50)], agentVersion: "0.1.0",
            gpu: .init(driverLoaded: true, driverVersion: "550.54", cudaVersion: "12.4", devices: [.init(index: 0, model: "NVIDIA H200", uuid: "GPU-1")])
        )
    }

    static func request(facts: NodeFacts? = facts(), metrics: NodeMetrics? = nil) -> HeartbeatRequest {
        var sample = metrics ?? NodeMetrics(cpuPercent: 12, load1: 0.5, load5: 0.4, load15: 0.3, memoryTotalBytes: 100, memoryUsedBytes: 50, rootDiskTotalBytes: 100, rootDiskUsedBytes: 10)
        if metrics == nil { sample.gpus = [.init(index: 0, uuid: "GPU-1")] }
        return HeartbeatRequest(sentAt: Date(), metrics: sample, facts: facts, spooledResults: 0)
    }

    @Test func aRealHeartbeatPasses() throws {
        try Self.request().validate()
        try Self.request(facts: nil).validate()
    }

    @Test func whatANodeReportsIsBounded() {
        let cases: [(String, (inout NodeFacts) -> Void)] = [
            ("cpuCount", { $0.cpuCount = -4 }),
            ("hostname", { $0.hostname = "evil\u{1b}[2J" }),
            ("hostname", { $0.hostname = "" }),
            ("hostname", { $0.hostname = "-rf" }),
            ("cpuModel", { $0.cpuModel = String(repeating: "x", count: 1 << 20) }),
            ("kernel", { $0.kernel = "6.1\r\nFAKE LOG LINE" }),
            ("disks", { $0.disks = Array(repeating: .init(mount: "/", totalBytes: 1, freeBytes: 1), count: 1000) }),
            ("devices", { $0.gpu?.devices = (0..<100).map { .init(index: $0) } }),
            ("model", { $0.gpu?.devices[0].model = "H200\u{202e}" }),
        ]
        for (field, change) in cases {
            var facts = Self.facts()
            change(&facts)
            let error = #expect(throws: ShoalError.self) { try Self.request(facts: facts).validate() }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(field) == true, "\(error?.message ?? "")")
        }
    }

    @Test func metricsOutOfRangeAreRefused() {
        for change in [
            { (m: inout NodeMetrics) in m.cpuPercent = .nan },
            { (m: inout NodeMetrics) in m.cpuPercent = 250 },
            { (m: inout NodeMetrics) in m.load1 = -1 },
            { (m: inout NodeMetrics) in m.load5 = .infinity },
            { (m: inout NodeMetrics) in m.gpus = [.init(index: -1)] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.clockSMMHz = .nan }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.clockMemoryMHz = -5 }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.xidCodes = Array(0..<100) }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.xidCodes = [-1] }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.lastXid = 1 << 40 }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.throttleReasons = Array(repeating: "hw_slowdown", count: 100) }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.throttleReasons = ["hw\u{1b}[2J"] }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.pciBusID = String(repeating: "0", count: 65) }] },
            { (m: inout NodeMetrics) in m.gpus = [Self.gpu { $0.healthReason = String(repeating: "x", count: 5000) }] },
            { (m: inout NodeMetrics) in m.gpuHealthReason = "ok\r\nFAKE LOG LINE" },
            { (m: inout NodeMetrics) in m.checks = [NodeCheckResult(name: "x\u{7}", kind: "command", healthy: true, message: nil, checkedAt: Date())] },
            // Free space per mount, moved here from the facts: as bounded as the facts were.
            { (m: inout NodeMetrics) in m.disks = Array(repeating: .init(mount: "/", totalBytes: 1, freeBytes: 1), count: 257) },
            { (m: inout NodeMetrics) in m.disks = [.init(mount: "/", totalBytes: 1 << 61, freeBytes: 1)] },
            { (m: inout NodeMetrics) in m.disks = [.init(mount: "/", totalBytes: 1, freeBytes: UInt64.max)] },
            { (m: inout NodeMetrics) in m.disks = [.init(mount: String(repeating: "m", count: 5000), totalBytes: 1, freeBytes: 1)] },
            { (m: inout NodeMetrics) in m.disks = [.init(mount: "/\u{1b}[2J", totalBytes: 1, freeBytes: 1)] },
        ] as [(inout NodeMetrics) -> Void] {
            var metrics = NodeMetrics(cpuPercent: 1, load1: 0, load5: 0, load15: 0, memoryTotalBytes: 1, memoryUsedBytes: 1, rootDiskTotalBytes: 1, rootDiskUsedBytes: 1)
            change(&metrics)
            #expect(throws: ShoalError.self) { try Self.request(metrics: metrics).validate() }
        }
    }

    static func gpu(_ edit: (inout NodeMetrics.GPU) -> Void) -> NodeMetrics.GPU {
        var gpu = NodeMetrics.GPU(index: 0)
        edit(&gpu)
        return gpu
    }

    @Test func gpuHealthFiguresWithinBoundsPass() throws {
        var metrics = NodeMetrics(cpuPercent: 1, load1: 0, load5: 0, load15: 0, memoryTotalBytes: 1, memoryUsedBytes: 1, rootDiskTotalBytes: 1, rootDiskUsedBytes: 1)
        metrics.gpus = [Self.gpu {
            $0.clockSMMHz = 1980
            $0.clockMemoryMHz = 3201
            $0.xidCodes = [13, 79]
            $0.xidCount = 3
            $0.lastXid = 79
            $0.throttleReasons = ["hw_slowdown"]
            $0.pciBusID = "00000000:83:00.0"
            $0.healthState = .failed
            $0.healthReason = GPUHealthJudge.bounded(String(repeating: "x", count: 5000))
        }]
        metrics.gpuHealthState = .failed
        metrics.gpuHealthReason = "GPU 0 failed"
        try Self.request(metrics: metrics).validate()
    }

    @Test func rateLimitedErrorsCarryTheirDelayAndOthersDoNot() {
        let limited = ShoalError(.rateLimited, "slow down", retryAfterSeconds: 7)
        #expect(limited.retryDelay(fallback: .seconds(1)) == .seconds(7))
        #expect(limited.retryDelay(fallback: .seconds(10)) == .seconds(10))
        #expect(ShoalError(.unreachable, "down", retryAfterSeconds: 7).retryDelay(fallback: .seconds(1)) == .seconds(1))
        let body = APIErrorBody(limited)
        #expect(body.shoalError.retryAfterSeconds == 7)
    }

    @Test func limitsTakeDefaultsAndRefuseNonsense() throws {
        #expect(try CoordinatorLimits().resolved(source: "c") == CoordinatorLimits.defaults)
        var limits = CoordinatorLimits()
        limits.maxConnections = 0
        #expect(throws: ShoalError.self) { try limits.resolved(source: "c") }
        limits = CoordinatorLimits()
        limits.handshakeTimeout = "0s"
        #expect(throws: ShoalError.self) { try limits.resolved(source: "c") }
        limits.handshakeTimeout = "3s"
        #expect(try limits.resolved(source: "c").handshakeTimeoutSeconds == 3)
        let yaml = """
        fleet_name: f
        advertise_url: https://127.0.0.1:8443
        listen: 127.0.0.1:8443
        heartbeat_interval: 10s
        node_ttl: 30s
        down_grace: 15s
        node_certificate_validity: 90d
        max_body_bytes: 4194304
        bundle_expiry: 1h
        limits:
          max_output_bytes_per_delivery: 1048576
        """
        let config = try CoordinatorConfig.parse(yaml: yaml, source: "c")
        #expect(config.resolvedLimits.maxOutputBytesPerDelivery == 1 << 20)
        #expect(config.resolvedLimits.idleTimeoutSeconds == CoordinatorLimits.defaults.idleTimeoutSeconds)
    }

    @Test func aKeyChangeNeedsASignatureByTheCurrentKey() throws {
        let current = NodeKey()
        let next = NodeKey()
        let csr = try next.certificateSigningRequestPEM(commonName: "n-1")
        let currentPublic = Certificate.PublicKey(current.privateKey.publicKey)
        let proof = try KeyChangeProof.sign(newCSRPEM: csr, with: current)
        #expect(KeyChangeProof.verify(proof, newCSRPEM: csr, currentKey: currentPublic))
        #expect(!KeyChangeProof.verify(try KeyChangeProof.sign(newCSRPEM: csr, with: next), newCSRPEM: csr, currentKey: currentPublic))
        #expect(!KeyChangeProof.verify(proof, newCSRPEM: csr + "x", currentKey: currentPublic))
        #expect(!KeyChangeProof.verify("not base64!", newCSRPEM: csr, currentKey: currentPublic))
    }
}

/// Byte and MiB counts a hostile node sends near UInt64's end are refused, and the sums the
/// coordinator makes of them saturate instead of trapping.
@Suite("Heartbeat byte bounds")
struct HeartbeatByteBoundsTests {
    @Test func hugeByteAndMiBCountsAreRefused() {
        var metrics = NodeMetrics(cpuPercent: 1, load1: 0, load5: 0, load15: 0, memoryTotalBytes: .max, memoryUsedBytes: 1, rootDiskTotalBytes: 1, rootDiskUsedBytes: 1)
        #expect(throws: ShoalError.self) { try HeartbeatRequest(sentAt: Date(), metrics: metrics, facts: nil, spooledResults: 0).validate() }
        metrics.memoryTotalBytes = 1 << 40
        var gpu = NodeMetrics.GPU(index: 0)
        gpu.memoryUsedMiB = .max
        metrics.gpus = [gpu]
        let error = #expect(throws: ShoalError.self) { try HeartbeatRequest(sentAt: Date(), metrics: metrics, facts: nil, spooledResults: 0).validate() }
        #expect(error?.message.contains("memoryUsedMiB") == true, "\(error?.message ?? "")")
        // Had it got through, the minute point would saturate rather than trap.
        metrics.gpus = [gpu, gpu]
        #expect(MetricPoint(minuteOf: Date(), metrics: metrics).gpuMemoryUsedMiB == .max)
    }

    @Test("the coordinator URL a node reports must be a short printable https URL", arguments: [
        ("http://c:1", "https"), ("https://c:1/\u{1b}[2J", "control"), ("https://" + String(repeating: "a", count: 600), "longer than"), ("not a url", "https"),
    ])
    func coordinatorURLIsBounded(url: String, expected: String) {
        var request = HeartbeatValidationTests.request()
        request.coordinatorURL = url
        let error = #expect(throws: ShoalError.self) { try request.validate() }
        #expect(error?.message.contains("coordinatorURL") == true && error?.message.contains(expected) == true, "\(error?.message ?? "")")
        request.coordinatorURL = "https://10.0.0.1:8443"
        #expect(throws: Never.self) { try request.validate() }
    }
}

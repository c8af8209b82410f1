import Crypto
import Foundation
import FuzzSupport
import ShoalCore
import X509

/// The JSON bodies a node (or, for enroll, anyone) sends the coordinator, decoded with the
/// coordinator's own decoder, then what the coordinator does with them before they are stored.
/// Every input is tried as each body type, so the seeds stay plain wire JSON.
enum AgentBodyHarness {
    /// Stands for the key of the certificate a renewal comes with: a published test key (a
    /// scalar of 32 threes), fixed so the seed's key-change proof verifies in every run.
    static let currentKey: NodeKey = {
        guard let raw = try? P256.Signing.PrivateKey(rawRepresentation: Data(repeating: 3, count: 32)),
              let key = try? NodeKey(pem: raw.pemRepresentation) else { fatalError("the test key could not be made") }
        return key
    }()

    static func run(_ data: Data) {
        if let heartbeat = try? WireCoding.decode(HeartbeatRequest.self, from: data), (try? heartbeat.validate()) != nil {
            storesAndReadsBack(heartbeat.metrics)
            if let facts = heartbeat.facts {
                storesAndReadsBack(facts)
                for key in SelectorFacts.keys {
                    _ = SelectorFacts.value(for: key, id: "n-1", hostname: facts.hostname, status: "ready", labels: [:], facts: facts)
                }
            }
        }
        if let upload = try? WireCoding.decode(ResultsUpload.self, from: data) {
            for result in upload.results {
                storesAndReadsBack(result)
                // The coordinator keeps each delivery's first line and shows the output text.
                for step in result.steps {
                    _ = (step.stdout.firstLine, step.stderr.firstLine, step.stdout.truncated, step.stderr.truncated)
                }
            }
        }
        if let enroll = try? WireCoding.decode(EnrollRequest.self, from: data) {
            _ = checkCSR(enroll.csr)
            _ = try? HostnameText.validate(enroll.hostname)
            for (key, value) in enroll.labels ?? [:] { _ = try? LabelText.validate(key: key, value: value) }
        }
        if let renew = try? WireCoding.decode(RenewRequest.self, from: data), let csr = checkCSR(renew.csr) {
            let current = Certificate.PublicKey(currentKey.privateKey.publicKey)
            if csr.publicKey != current, let proof = renew.keyChangeProof {
                _ = KeyChangeProof.verify(proof, newCSRPEM: renew.csr, currentKey: current)
            }
        }
    }

    static func checkCSR(_ pem: String) -> CertificateSigningRequest? {
        guard let csr = try? CertificateSigningRequest.parse(pem: pem) else { return nil }
        _ = csr.publicKey.isValidSignature(csr.signature, for: csr)
        return csr
    }

    /// The coordinator stores what a node sent as wire JSON and decodes it again for every
    /// `nodes list`: what it accepted must read back, or one node breaks the listing.
    static func storesAndReadsBack<T: Codable>(_ value: T) {
        guard let stored = try? WireCoding.encode(value) else { return }
        do {
            _ = try WireCoding.decode(T.self, from: stored)
        } catch {
            fatalError("a \(T.self) the coordinator accepted does not read back from its stored JSON: \(error)\n\(String(decoding: stored, as: UTF8.self))")
        }
    }

    static func seeds() throws -> [String: Data] {
        let at = Date(timeIntervalSince1970: 1_750_000_000)
        var metrics = NodeMetrics(
            cpuPercent: 12.5, load1: 0.5, load5: 0.25, load15: 0.1, memoryTotalBytes: 64 << 30, memoryUsedBytes: 8 << 30,
            rootDiskTotalBytes: 512 << 30, rootDiskUsedBytes: 100 << 30
        )
        var gpu = NodeMetrics.GPU(index: 0, uuid: "GPU-0d1e2f")
        gpu.utilizationPercent = 97
        gpu.memoryUsedMiB = 70_000
        gpu.temperatureC = 61
        gpu.eccCorrectedVolatile = 0
        gpu.remappedRowsPending = false
        metrics.gpus = [gpu]
        metrics.checks = [NodeCheckResult(name: "disk", kind: "disk_free", healthy: false, message: "only 3% free on /", checkedAt: at)]
        let facts = NodeFacts(
            hostname: "gpu-07", osID: "ubuntu", osVersion: "22.04", osPrettyName: "Ubuntu 22.04.4 LTS", kernel: "6.8.0-40-generic",
            architecture: "x86_64", cpuCount: 64, cpuModel: "AMD EPYC 9354", memoryBytes: 512 << 30,
            disks: [.init(mount: "/", totalBytes: 512 << 30, freeBytes: 400 << 30)], agentVersion: "0.1.0",
            gpu: .init(driverLoaded: true, driverVersion: "550.54.15", cudaVersion: "12.4", devices: [
                .init(index: 0, model: "NVIDIA H200", uuid: "GPU-0d1e2f", memoryMiB: 143_771, computeCapability: "9.0", migMode: "Disabled", pciBusID: "00000000:83:00.0", pciDeviceID: "10de:2335"),
            ])
        )
        let step = StepResult(
            index: 0, name: "hello", kind: "command", status: .changed, exitCode: 0, durationMilliseconds: 12,
            stdout: CapturedOutput(head: "hello\n", tail: "bye\n", totalBytes: 9000), stderr: .empty, diff: "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n"
        )
        let failed = StepResult(index: 1, name: "apt", kind: "apt", status: .failed, exitCode: 100, errorCode: "apt.failed", message: "E: Unable to locate package")
        let result = BundleResult(
            deliveryID: "d-1", bundleID: "b-1", taskID: "t-1", nodeID: "n-1", sequence: 3, status: .failed,
            errorCode: "apt.failed", message: "step 2 failed", startedAt: at, finishedAt: at.addingTimeInterval(2), steps: [step, failed]
        )
        let refused = BundleResult(
            deliveryID: "d-2", bundleID: "b-2", taskID: nil, nodeID: "n-1", sequence: nil, status: .refused,
            errorCode: "bundle.bad_signature", message: "the signature does not match", startedAt: at, finishedAt: at
        )
        let csr = try NodeKey().certificateSigningRequestPEM(commonName: "gpu-07")
        let newKeyCSR = try NodeKey().certificateSigningRequestPEM(commonName: "gpu-07")
        let proof = try KeyChangeProof.sign(newCSRPEM: newKeyCSR, with: currentKey)
        return [
            "heartbeat.json": try WireCoding.encode(HeartbeatRequest(sentAt: at, metrics: metrics, facts: facts, spooledResults: 1, trustVersion: 2, labelsVersion: 1)),
            "renew-new-key.json": try WireCoding.encode(RenewRequest(csr: newKeyCSR, keyChangeProof: proof)),
            "heartbeat-no-facts.json": try WireCoding.encode(HeartbeatRequest(sentAt: at, metrics: metrics, facts: nil, spooledResults: 0)),
            "results.json": try WireCoding.encode(ResultsUpload(results: [result, refused])),
            "enroll.json": try WireCoding.encode(EnrollRequest(token: "shoal_" + String(repeating: "ab", count: 24), csr: csr, hostname: "gpu-07", labels: ["role": "compute"])),
            "renew.json": try WireCoding.encode(RenewRequest(csr: csr)),
        ]
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked(AgentBodyHarness.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    AgentBodyHarness.run(FuzzInput.data(bytes, count))
    return 0
}

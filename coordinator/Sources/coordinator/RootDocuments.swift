import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import X509

/// Reading, signing and publishing trust documents for the `root` commands.
enum RootDocuments {
    static func read(_ file: String) throws -> DSSEEnvelope {
        do {
            return try WireCoding.decode(DSSEEnvelope.self, from: Data(SecureFile.read(file).utf8))
        } catch let error as ShoalError {
            throw ShoalError(.trustMalformed, "\(file): \(error.message)")
        }
    }

    static func decode(_ envelope: DSSEEnvelope) throws -> TrustDocument {
        try envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed)
    }

    /// The fleet's current document, from the coordinator.
    static func current(_ connection: ConnectionOptions) async throws -> DSSEEnvelope {
        let chain = try await connection.withClient { try await $0.get("/v1/trust/current", as: TrustChainResponse.self) }
        guard let envelope = chain.documents.last else {
            throw ShoalError(.trustMissing, "the fleet has no trust document yet; make the first with 'coordinator root first'")
        }
        return envelope
    }

    /// Signs `next` (the document after `previous`) with `keys`; publishes it when it carries
    /// enough signatures and `out` is not given, else writes it to `out` for cosigning.
    static func finish(
        _ next: TrustDocument, previous: TrustDocument?, keys: [BundleSigningKey], out: String?, connection: ConnectionOptions
    ) async throws {
        let envelope = try next.signed(by: keys)
        let own = envelope.verifiedKeyIDs(among: next.roots.keys).count
        let old = previous.map { envelope.verifiedKeyIDs(among: $0.roots.keys).count }
        let enough = own >= next.roots.threshold && (previous.map { old ?? 0 >= $0.roots.threshold } ?? true)
        if let out {
            try SecureFile.write(WireCoding.encode(envelope, pretty: true), to: out, mode: 0o644)
            var needs = "\(own) of \(next.roots.threshold) signature(s) by its roots"
            if let previous, let old { needs += ", \(old) of \(previous.roots.threshold) by the roots of v\(previous.version)" }
            print("trust document v\(next.version) written to \(out): \(needs)")
            if !enough { print("more root holders sign it with 'coordinator root cosign \(out) --root-key THEIRS'; then 'coordinator root publish \(out)'") }
            return
        }
        guard enough else {
            throw ShoalError(.trustBadSignature, "trust document v\(next.version) needs \(next.roots.threshold) root signature(s)\(previous.map { " (and \($0.roots.threshold) by the roots of v\($0.version))" } ?? ""); these keys give too few — write it with --out and have the other holders cosign it")
        }
        try await publish(envelope, connection: connection)
    }

    static func publish(_ envelope: DSSEEnvelope, connection: ConnectionOptions) async throws {
        let answer = try await connection.withClient { try await $0.send(method: .PUT, path: "/v1/trust", body: try WireCoding.encode(envelope), timeout: .seconds(30)) }
        _ = answer
        let document = try decode(envelope)
        print("trust document v\(document.version) published; nodes take it at their next poll")
    }

    static func describe(_ document: TrustDocument) -> String {
        var lines = [
            "trust document v\(document.version) for \(document.fleet), issued \(Timestamp.format(document.issuedAt)), expires \(Timestamp.format(document.expiresAt))",
            "roots:    \(document.roots.threshold) of \(document.roots.keys.count) (\(document.roots.fingerprint))",
            "delivery: \(document.deliveryKeys.map(\.keyID).joined(separator: ", "))",
        ]
        for grant in document.operators {
            lines.append("operator: \(grant.name) key \(grant.key.keyID) — \(grant.scope.description)")
        }
        for pem in document.caCertificates ?? [] {
            let certificate = try? Certificate(pemEncoded: pem)
            lines.append("ca:       \((try? certificate?.fingerprint) ?? "unreadable") \(certificate.map { "\($0.subject)" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    /// A public key given as a file (`operator.pub`) or as base64 on the command line.
    static func publicKey(_ text: String) throws -> TrustedBundleKey {
        let value = FileManager.default.fileExists(atPath: text) ? try SecureFile.read(text) : text
        return try TrustedBundleKey(publicKeyBase64: value.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

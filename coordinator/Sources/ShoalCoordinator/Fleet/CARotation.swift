import Crypto
import Foundation
import ShoalCore
import SwiftASN1
import X509

/// Rotating the fleet CA with a cross-signed overlap, on the coordinator's data directory
/// (docs/operations.md, "Rotating the fleet CA"):
///
/// 1. `makeNext`: a new CA beside the current one (`ca.next.*`).
/// 2. A root holder lists both CAs in the trust document (`root add-ca`); agents then trust both.
/// 3. `activate`: the new CA issues from now on; the server certificate and the admin
///    credential are re-issued by it; the old CA certifies the new one (`ca.cross.crt`, sent
///    with the server certificate, so an agent that missed step 2 still connects); client
///    certificates of the old CA stay accepted; its key is deleted. Nodes renew at their
///    next heartbeat.
/// 4. `finish`, once `pending` is empty: the old CA and the cross certificate go; the root
///    removes the old CA from the trust document (`root remove-ca`).
public struct CARotation: Sendable {
    public let paths: FleetPaths

    public init(dataDir: String) { self.paths = FleetPaths(root: dataDir) }

    private var files: FileManager { .default }

    /// Step 1. Returns the new CA's fingerprint.
    public func makeNext(now: Date = Date()) throws -> String {
        guard files.fileExists(atPath: paths.caKey) else {
            throw ShoalError(.invalidArgument, "no CA key at \(paths.caKey); is \(paths.root) a fleet's data directory?")
        }
        guard !files.fileExists(atPath: paths.nextCAKey) else {
            throw ShoalError(.conflict, "\(paths.nextCAKey) already exists: a CA rotation is under way; activate it, or delete both ca.next files to start over")
        }
        guard !files.fileExists(atPath: paths.previousCACertificate) else {
            throw ShoalError(.conflict, "the last CA rotation is not finished (\(paths.previousCACertificate) exists); run 'coordinator ca finish' first")
        }
        let config = try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config)
        let generation = Timestamp.format(now).prefix(10) + "-" + RandomID.make(bytes: 2)
        let next = try CertificateAuthority.create(fleetName: config.fleetName, generation: String(generation), now: now)
        try SecureFile.write(next.privateKey.pemRepresentation + "\n", to: paths.nextCAKey)
        try SecureFile.write(try next.certificate.pemText, to: paths.nextCACertificate, mode: 0o644)
        return try next.certificate.fingerprint
    }

    /// What `activate` did, for the operator.
    public struct Activation: Sendable {
        public var previousFingerprint: String
        public var currentFingerprint: String
        public var reissued: [String]
    }

    /// Step 3. Refuses unless the stored trust document lists the next CA (agents would
    /// otherwise refuse the renewed certificates' issuer).
    public func activate(store: any FleetStore, now: Date = Date()) async throws -> Activation {
        guard let nextPEM = try? SecureFile.read(paths.nextCACertificate), let nextKey = try? SecureFile.read(paths.nextCAKey) else {
            throw ShoalError(.invalidArgument, "no next CA at \(paths.nextCACertificate); make one with 'coordinator ca new' first")
        }
        let next = try CertificateAuthority(certificatePEM: nextPEM, keyPEM: nextKey)
        let current = try CertificateAuthority(certificatePEM: SecureFile.read(paths.caCertificate), keyPEM: SecureFile.read(paths.caKey))
        let nextFingerprint = try next.certificate.fingerprint
        guard let envelope = try await store.latestTrustDocument()?.envelope else {
            throw ShoalError(.trustMissing, "this fleet has no trust document; agents could not learn the new CA")
        }
        let document = try envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed)
        let listed = try (document.caCertificates ?? []).map { try CertificateChecks.fingerprint(pem: $0) }
        guard listed.contains(nextFingerprint) else {
            throw ShoalError(.trustMissing, "trust document v\(document.version) does not list the new CA \(nextFingerprint) yet; have a root holder run 'coordinator root add-ca --cert \(paths.nextCACertificate)' first")
        }

        // After the switch, a certificate of this (old) CA is accepted only for the key on
        // record: a node with none would be locked out.
        let unknown = try await store.nodes().filter { $0.status != .revoked && $0.certificateKey == nil }
        guard unknown.isEmpty else {
            let names = unknown.prefix(20).map { "\($0.hostname) (\($0.id))" }.joined(separator: ", ")
            throw ShoalError(.conflict, "\(unknown.count) node(s) have not been seen since certificate keys were recorded: \(names); start them (one heartbeat records the key) or unenroll them, then activate")
        }

        // Everything new is written beside the old files first; the renames come last, so a
        // failure before them leaves the fleet as it was.
        let cross = try current.crossCertify(next.certificate, now: now)
        let serverKey = try P256.Signing.PrivateKey(pemRepresentation: SecureFile.read(paths.serverKey))
        let oldServer = try Certificate(pemEncoded: SecureFile.read(paths.serverCertificate))
        let server = try next.issueServerCertificate(publicKey: serverKey.publicKey, names: try Self.names(of: oldServer), now: now)
        var staged: [(String, String)] = [(paths.serverCertificate + ".next", paths.serverCertificate)]
        try SecureFile.write(try server.pemText, to: paths.serverCertificate + ".next", mode: 0o644)
        var reissued = ["server certificate"]
        var admin: (Certificate, PeerIdentity)?
        if let adminPEM = try? SecureFile.read(paths.adminCertificate), let old = try? Certificate(pemEncoded: adminPEM), let identity = PeerIdentity(certificate: old) {
            // Same key and the same end date: the admin's credential moves CA, nothing else.
            let validity = max(old.notValidAfter.timeIntervalSince(now), 86400)
            let certificate = try next.issueClientCertificate(publicKey: old.publicKey, identity: identity, validity: validity, now: now)
            try SecureFile.write(try certificate.pemText, to: paths.adminCertificate + ".next", mode: 0o644)
            staged.append((paths.adminCertificate + ".next", paths.adminCertificate))
            admin = (certificate, identity)
            reissued.append("admin credential (\(identity.name))")
        }
        try SecureFile.write(try cross.pemText, to: paths.crossCertificate, mode: 0o644)
        try SecureFile.write(try current.certificate.pemText, to: paths.previousCACertificate, mode: 0o644)
        staged += [(paths.nextCAKey, paths.caKey), (paths.nextCACertificate, paths.caCertificate)]
        for (from, to) in staged {
            guard rename(from, to) == 0 else {
                throw ShoalError(.storage, "cannot rename \(from) to \(to): \(String(cString: strerror(errno))); the rotation is half done — check the data directory against docs/operations.md")
            }
        }
        let previousFingerprint = try current.certificate.fingerprint
        if let (certificate, identity) = admin {
            try await store.recordOperatorCredential(
                OperatorCredentialRecord(certificate: certificate, identity: identity, issuedAt: now, issuedBy: "ca activate (re-issued by the new CA)"),
                audit: nil
            )
        }
        try await store.appendAudit(AuditEntry(
            actor: NSUserName(), role: "host", action: "ca.activate", target: AuditTarget(key: nextFingerprint), result: "activated",
            details: ["previous": previousFingerprint, "reissued": reissued.joined(separator: ", ")]
        ))
        return Activation(previousFingerprint: previousFingerprint, currentFingerprint: nextFingerprint, reissued: reissued)
    }

    /// Nodes that still hold a certificate from another CA than the current one.
    public func pending(store: any FleetStore) async throws -> [NodeRecord] {
        let current = try CertificateChecks.fingerprint(pem: SecureFile.read(paths.caCertificate))
        return try await store.nodes().filter { $0.status != .revoked && $0.certificateCA != current }
    }

    /// Step 4. Returns the fingerprint of the CA no longer trusted.
    public func finish(store: any FleetStore, force: Bool) async throws -> String {
        guard let previousPEM = try? SecureFile.read(paths.previousCACertificate) else {
            throw ShoalError(.invalidArgument, "no CA rotation to finish: \(paths.previousCACertificate) does not exist")
        }
        // Dropping the cross certificate is safe only if agents trust the current CA itself.
        let current = try CertificateChecks.fingerprint(pem: SecureFile.read(paths.caCertificate))
        if let envelope = try await store.latestTrustDocument()?.envelope,
           let document = try? envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed),
           let listed = document.caCertificates,
           !(try listed.map { try CertificateChecks.fingerprint(pem: $0) }).contains(current) {
            throw ShoalError(.trustMissing, "trust document v\(document.version) does not list the current CA \(current); agents reach the coordinator only through the cross certificate, which 'ca finish' would remove — have a root holder run 'coordinator root add-ca --cert \(paths.caCertificate)' first")
        }
        let waiting = try await pending(store: store)
        if !waiting.isEmpty, !force {
            let names = waiting.prefix(20).map { "\($0.hostname) (\($0.id))" }.joined(separator: ", ")
            throw ShoalError(.conflict, "\(waiting.count) node(s) still hold a certificate from the previous CA: \(names); they renew at their next heartbeat — wait, or unenroll them, or pass --force to cut them off (they would need enrolling again)")
        }
        let previous = try CertificateChecks.fingerprint(pem: previousPEM)
        for file in [paths.crossCertificate, paths.previousCACertificate] where files.fileExists(atPath: file) {
            try files.removeItem(atPath: file)
        }
        try await store.appendAudit(AuditEntry(
            actor: NSUserName(), role: "host", action: "ca.finish", target: AuditTarget(key: previous), result: "finished",
            details: ["cutOff": waiting.map(\.id).joined(separator: ",")]
        ))
        return previous
    }

    /// The names a server certificate answers to, to issue its successor with the same ones.
    static func names(of certificate: Certificate) throws -> [String] {
        guard let sans = try certificate.extensions.subjectAlternativeNames else { return [] }
        return sans.compactMap { name -> String? in
            switch name {
            case .dnsName(let host): return host
            case .ipAddress(let octets): return IPAddressBytes.text(Array(octets.bytes))
            default: return nil
            }
        }
    }
}

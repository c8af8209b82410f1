import Crypto
import Foundation
import SwiftASN1
import X509

/// A client's own P-256 key and the CSR that proves it holds it. Made on the node (or the
/// operator's machine); only the CSR ever leaves.
public struct NodeKey: Sendable {
    public let privateKey: P256.Signing.PrivateKey

    public init() { self.privateKey = P256.Signing.PrivateKey() }

    public init(pem: String) throws {
        do {
            self.privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw ShoalError(.configInvalid, "the private key is not a PEM P-256 key: \(error)")
        }
    }

    /// PKCS#8 PEM.
    public var pemText: String { privateKey.pemRepresentation + "\n" }

    public func certificateSigningRequestPEM(commonName: String) throws -> String {
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: DistinguishedName { CommonName(commonName) },
            privateKey: .init(privateKey),
            attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256
        )
        return try csr.serializeAsPEM().pemString + "\n"
    }

    /// True when `certificatePEM` was issued for this key.
    public func matches(certificatePEM: String) -> Bool {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM) else { return false }
        return certificate.publicKey == Certificate.PublicKey(privateKey.publicKey)
    }
}

extension CertificateSigningRequest {
    /// Parses a PEM CSR with any standard line wrapping (64 or 76 columns, one line, CRLF);
    /// failures are `enroll.csr_invalid` with the reason.
    public static func parse(pem: String) throws -> CertificateSigningRequest {
        guard let block = PEMBlock(firstIn: pem, labels: ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]) else {
            throw ShoalError(.csrInvalid, "the CSR is not a PEM certificate signing request: no '-----BEGIN CERTIFICATE REQUEST-----' block with a base64 body and its END line")
        }
        do {
            return try CertificateSigningRequest(derEncoded: block.der)
        } catch {
            throw ShoalError(.csrInvalid, "the CSR is not a PEM certificate signing request: \(error)")
        }
    }
}

/// Certificate checks a client makes on what the coordinator hands back.
public enum CertificateChecks {
    /// Fingerprint of the first certificate in a PEM text.
    public static func fingerprint(pem: String) throws -> String {
        try Certificate(pemEncoded: pem).fingerprint
    }

    /// Fingerprints of every certificate in a PEM bundle, in order.
    public static func fingerprints(pem: String) throws -> [String] {
        try Certificate.all(fromPEM: pem).map { try $0.fingerprint }
    }

    /// True when `certificatePEM` was signed by the CA in `caPEM` and is in its validity window.
    /// `caPEM` may be a bundle (while the fleet CA rotates, agents trust two): any of them will do.
    public static func isIssued(certificatePEM: String, byCA caPEM: String, now: Date = Date()) -> Bool {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM), let authorities = try? Certificate.all(fromPEM: caPEM) else {
            return false
        }
        return authorities.contains { ca in
            certificate.issuer == ca.subject
                && ca.publicKey.isValidSignature(certificate.signature, for: certificate)
                && certificate.notValidBefore <= now && now < certificate.notValidAfter
        }
    }

    public static func expiry(pem: String) -> Date? {
        (try? Certificate(pemEncoded: pem))?.notValidAfter
    }

    /// When a certificate should be renewed: two thirds into its lifetime, counted from when
    /// it was issued (its start minus the backdate).
    public static func renewalDate(pem: String) -> Date? {
        guard let certificate = try? Certificate(pemEncoded: pem) else { return nil }
        let issued = certificate.notValidBefore.addingTimeInterval(CertificateAuthority.backdate)
        let lifetime = certificate.notValidAfter.timeIntervalSince(issued)
        return issued.addingTimeInterval(max(0, lifetime) * 2 / 3)
    }
}

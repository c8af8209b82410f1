import Crypto
import Foundation
import SwiftASN1
import X509

/// The fleet's certificate authority: one P-256 key that issues the API server certificate
/// and every client certificate (nodes and operators).
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let privateKey: P256.Signing.PrivateKey
    /// Certificates start this long before they are issued, for clocks that lag the coordinator's.
    public static let backdate: TimeInterval = 300

    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Loads the CA from its PEM certificate and PEM (PKCS#8) key.
    public init(certificatePEM: String, keyPEM: String) throws {
        self.certificate = try Certificate(pemEncoded: certificatePEM)
        self.privateKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
    }

    /// Makes a new self-signed CA valid for `validity` from now.
    /// A rotation's next CA gets a `generation` (its start date) in its name: a cross
    /// certificate links two CAs by name, so they must not share one.
    public static func create(
        fleetName: String, generation: String? = nil, validity: TimeInterval = 10 * 365 * 86400, now: Date = Date()
    ) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let commonName = "Shoal fleet CA \(fleetName)" + (generation.map { " \($0)" } ?? "")
        let name = try DistinguishedName {
            OrganizationName("Shoal")
            CommonName(commonName)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: .init(key)
        )
        return CertificateAuthority(certificate: certificate, privateKey: key)
    }

    /// Certifies another CA's key and name under this CA (a cross certificate), for CA
    /// rotation: a server certificate the new CA issued, sent with this certificate, still
    /// verifies for a client that trusts only this (older) CA. It lives no longer than either CA.
    public func crossCertify(_ other: Certificate, now: Date = Date()) throws -> Certificate {
        guard other.subject != certificate.subject else {
            throw ShoalError(.invalidArgument, "the CA to cross-certify has this CA's own name (\(certificate.subject)); make it with a generation")
        }
        return try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: other.publicKey,
            notValidBefore: now.addingTimeInterval(-Self.backdate),
            notValidAfter: min(other.notValidAfter, certificate.notValidAfter),
            issuer: certificate.subject,
            subject: other.subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: other.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(privateKey)
        )
    }

    /// Issues the API server certificate. Every name clients dial must be listed:
    /// host names as DNS SANs, addresses as IP SANs.
    public func issueServerCertificate(
        publicKey: P256.Signing.PublicKey, names: [String], validity: TimeInterval = 2 * 365 * 86400, now: Date = Date()
    ) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName("Shoal")
            CommonName(names.first ?? "shoal-coordinator")
        }
        var sans: [GeneralName] = []
        for name in names {
            if let address = IPAddressBytes.parse(name) {
                sans.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
            } else {
                sans.append(.dnsName(name))
            }
        }
        return try sign(
            publicKey: .init(publicKey), subject: subject, validity: validity, now: now,
            extendedKeyUsage: [.serverAuth], subjectAlternativeNames: sans
        )
    }

    /// Issues a client certificate for `identity` from a CSR whose signature must verify:
    /// a CSR proves its sender holds the private key, which never leaves the node.
    public func issueClientCertificate(
        csr: CertificateSigningRequest, identity: PeerIdentity, validity: TimeInterval, now: Date = Date()
    ) throws -> Certificate {
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw ShoalError(.csrInvalid, "the CSR's signature does not verify against its own public key")
        }
        return try issueClientCertificate(publicKey: csr.publicKey, identity: identity, validity: validity, now: now)
    }

    public func issueClientCertificate(
        publicKey: Certificate.PublicKey, identity: PeerIdentity, validity: TimeInterval, now: Date = Date()
    ) throws -> Certificate {
        try sign(
            publicKey: publicKey, subject: try identity.distinguishedName, validity: validity, now: now,
            extendedKeyUsage: [.clientAuth], subjectAlternativeNames: []
        )
    }

    private func sign(
        publicKey: Certificate.PublicKey, subject: DistinguishedName, validity: TimeInterval, now: Date,
        extendedKeyUsage: [ExtendedKeyUsage.Usage], subjectAlternativeNames: [GeneralName]
    ) throws -> Certificate {
        try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-Self.backdate),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(extendedKeyUsage)
                AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
                if !subjectAlternativeNames.isEmpty {
                    SubjectAlternativeNames(subjectAlternativeNames)
                }
            },
            issuerPrivateKey: .init(privateKey)
        )
    }
}

/// Parses dotted IPv4 and textual IPv6 addresses into network-order bytes for IP SANs.
public enum IPAddressBytes {
    public static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// The textual form of 4 or 16 network-order bytes; nil for any other length.
    public static func text(_ bytes: [UInt8]) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(cString: buffer)
    }
}

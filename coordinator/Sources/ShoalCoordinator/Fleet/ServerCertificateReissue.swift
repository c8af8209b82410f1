import Crypto
import Foundation
import ShoalCore
import X509

/// Re-issues the API server certificate (`server.crt`) from the current fleet CA for the same
/// key, with names added or removed: a fleet that grows replicas, or moves to a new address,
/// keeps its CA, its keys and every node's enrollment. The coordinator reads the certificate
/// when it starts: restart it (and copy `server.crt` to every replica's data directory).
public struct ServerCertificateReissue: Sendable {
    public let paths: FleetPaths

    public init(dataDir: String) { self.paths = FleetPaths(root: dataDir) }

    /// What was issued, for the operator.
    public struct Issued: Sendable, Equatable {
        public var names: [String]
        public var added: [String]
        public var removed: [String]
        public var notValidAfter: Date
    }

    /// `127.0.0.1` and `localhost` stay (the CLI on the host dials them); the first name, the
    /// advertised host, cannot be removed either.
    public func reissue(adding: [String], removing: [String], now: Date = Date()) throws -> Issued {
        guard let caPEM = try? SecureFile.read(paths.caCertificate), let caKey = try? SecureFile.read(paths.caKey) else {
            throw ShoalError(.invalidArgument, "no fleet CA at \(paths.caCertificate); is \(paths.root) a fleet's data directory (on the host that holds the CA key)?")
        }
        let ca = try CertificateAuthority(certificatePEM: caPEM, keyPEM: caKey)
        let serverKey = try P256.Signing.PrivateKey(pemRepresentation: SecureFile.read(paths.serverKey))
        let old = try Certificate(pemEncoded: SecureFile.read(paths.serverCertificate))
        let current = try CARotation.names(of: old)
        for name in adding { try Self.validate(name) }
        let kept = Set(current.prefix(1) + ["127.0.0.1", "localhost"])
        if let name = removing.first(where: kept.contains) {
            throw ShoalError(.invalidArgument, "\(name) stays in the server certificate (the advertised host, 127.0.0.1 and localhost always do)")
        }
        if let name = removing.first(where: { !current.contains($0) }) {
            throw ShoalError(.invalidArgument, "\(name) is not in the server certificate, which names \(current.joined(separator: ", "))")
        }
        var names = current.filter { !removing.contains($0) }
        for name in adding where !names.contains(name) { names.append(name) }
        let certificate = try ca.issueServerCertificate(publicKey: serverKey.publicKey, names: names, now: now)
        // Beside the old one first: a failure leaves the running certificate as it was.
        try SecureFile.write(try certificate.pemText, to: paths.serverCertificate + ".next", mode: 0o644)
        guard rename(paths.serverCertificate + ".next", paths.serverCertificate) == 0 else {
            throw ShoalError(.storage, "cannot replace \(paths.serverCertificate): \(String(cString: strerror(errno)))")
        }
        return Issued(
            names: names, added: names.filter { !current.contains($0) }, removed: current.filter { !names.contains($0) },
            notValidAfter: certificate.notValidAfter
        )
    }

    /// A DNS name (letters, digits, `-`, `.`, a leading `*.` wildcard) or an IP address.
    static func validate(_ name: String) throws {
        if IPAddressBytes.parse(name) != nil { return }
        let host = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !host.isEmpty && host.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid else {
            throw ShoalError(.invalidArgument, "'\(name)' is neither a DNS name nor an IP address; give each name clients dial, e.g. --san coord-b.example.net --san 10.0.0.12")
        }
    }
}

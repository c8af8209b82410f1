import Foundation
import ShoalCore
import Testing

@Suite("Certificate authority and node certificates")
struct CertificateAuthorityTests {
    let ca: CertificateAuthority
    let caPEM: String

    init() throws {
        ca = try CertificateAuthority.create(fleetName: "test")
        caPEM = try ca.certificate.pemText
    }

    /// A node key, its CSR, and the client certificate the CA issues from that CSR.
    func issueNode(_ name: String = "n-1", validity: TimeInterval = 86400) throws -> (key: NodeKey, pem: String, identity: PeerIdentity?) {
        let key = NodeKey()
        let csrPEM = try key.certificateSigningRequestPEM(commonName: name)
        let certificate = try ca.issueClientCertificate(
            csr: .parse(pem: csrPEM), identity: PeerIdentity(role: .node, name: name), validity: validity
        )
        return (key, try certificate.pemText, PeerIdentity(certificate: certificate))
    }

    @Test("a new CA is a self-signed PEM certificate that loads back with its key")
    func createAndReload() throws {
        #expect(caPEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(CertificateChecks.isIssued(certificatePEM: caPEM, byCA: caPEM))
        let reloaded = try CertificateAuthority(certificatePEM: caPEM, keyPEM: ca.privateKey.pemRepresentation)
        #expect(try reloaded.certificate.pemText == caPEM)
        // The reloaded CA still issues certificates the original CA's PEM vouches for.
        let cert = try reloaded.issueClientCertificate(
            csr: .parse(pem: NodeKey().certificateSigningRequestPEM(commonName: "x")),
            identity: PeerIdentity(role: .admin, name: "alice"), validity: 3600
        )
        #expect(CertificateChecks.isIssued(certificatePEM: try cert.pemText, byCA: caPEM))
    }

    @Test("openssl sees a CA certificate with basic constraints CA:TRUE")
    func caIsCA() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("ca.pem", caPEM)
        let out = try openssl("x509", "-noout", "-in", file, "-ext", "basicConstraints,keyUsage", "-subject")
        #expect(out.status == 0)
        #expect(out.output.contains("CA:TRUE"))
        #expect(out.output.contains("Certificate Sign"))
        #expect(out.output.contains("Shoal fleet CA test"))
    }

    @Test("a CSR is PEM and openssl verifies its self-signature")
    func csrIsValid() throws {
        let pem = try NodeKey().certificateSigningRequestPEM(commonName: "n-1")
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----\n"))
        let dir = try TemporaryDirectory()
        let file = try dir.write("csr.pem", pem)
        let out = try openssl("req", "-in", file, "-noout", "-verify", "-subject")
        #expect(out.status == 0)
        #expect(out.output.contains("OK"))
        #expect(out.output.contains("n-1"))
    }

    @Test("a client certificate issued from a CSR chains to its CA and names the identity")
    func clientCertificate() throws {
        let node = try issueNode()
        #expect(CertificateChecks.isIssued(certificatePEM: node.pem, byCA: caPEM))
        #expect(node.identity == PeerIdentity(role: .node, name: "n-1"))
        #expect(node.key.matches(certificatePEM: node.pem))
        #expect(!NodeKey().matches(certificatePEM: node.pem))
        #expect(!node.key.matches(certificatePEM: "not a certificate"))
    }

    @Test("a certificate from another CA does not chain to this one")
    func otherCA() throws {
        let other = try CertificateAuthority.create(fleetName: "test")
        let node = try issueNode()
        #expect(!CertificateChecks.isIssued(certificatePEM: node.pem, byCA: try other.certificate.pemText))
        #expect(!CertificateChecks.isIssued(certificatePEM: "garbage", byCA: caPEM))
    }

    @Test("isIssued respects the validity window")
    func validityWindow() throws {
        let node = try issueNode(validity: 3600)
        #expect(CertificateChecks.isIssued(certificatePEM: node.pem, byCA: caPEM, now: Date().addingTimeInterval(3000)))
        #expect(!CertificateChecks.isIssued(certificatePEM: node.pem, byCA: caPEM, now: Date().addingTimeInterval(3700)))
        #expect(!CertificateChecks.isIssued(certificatePEM: node.pem, byCA: caPEM, now: Date().addingTimeInterval(-3600)))
        let expiry = try #require(CertificateChecks.expiry(pem: node.pem))
        #expect(abs(expiry.timeIntervalSinceNow - 3600) < 60)
    }

    @Test("openssl verify accepts the client certificate against its CA and refuses it against another")
    func opensslVerify() throws {
        let dir = try TemporaryDirectory()
        let node = try issueNode()
        let caFile = try dir.write("ca.pem", caPEM)
        let certFile = try dir.write("cert.pem", node.pem)
        let otherFile = try dir.write("other.pem", try CertificateAuthority.create(fleetName: "test").certificate.pemText)

        let good = try openssl("verify", "-CAfile", caFile, certFile)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("\(certFile): OK"))

        let client = try openssl("verify", "-purpose", "sslclient", "-CAfile", caFile, certFile)
        #expect(client.status == 0, "\(client.output)")

        let bad = try openssl("verify", "-CAfile", otherFile, certFile)
        #expect(bad.status != 0)
        #expect(!bad.output.contains("\(certFile): OK"))
        #expect(bad.output.contains("unable to get local issuer certificate") || bad.output.contains("error"))
    }

    @Test("the client certificate's subject and usage are what openssl reports")
    func clientCertificateFields() throws {
        let dir = try TemporaryDirectory()
        let certFile = try dir.write("cert.pem", try issueNode().pem)
        let out = try openssl("x509", "-noout", "-in", certFile, "-subject", "-ext", "extendedKeyUsage,basicConstraints")
        #expect(out.status == 0)
        #expect(out.output.contains("O=Shoal, OU=node, CN=n-1") || out.output.contains("O = Shoal, OU = node, CN = n-1"))
        #expect(out.output.contains("TLS Web Client Authentication"))
        #expect(!out.output.contains("TLS Web Server Authentication"))
        #expect(out.output.contains("CA:FALSE"))
    }

    @Test("the server certificate lists IP and DNS SANs and is for server auth")
    func serverCertificate() throws {
        let key = NodeKey()
        let certificate = try ca.issueServerCertificate(publicKey: key.privateKey.publicKey, names: ["127.0.0.1", "localhost", "::1"])
        let pem = try certificate.pemText
        #expect(CertificateChecks.isIssued(certificatePEM: pem, byCA: caPEM))
        #expect(key.matches(certificatePEM: pem))

        let dir = try TemporaryDirectory()
        let certFile = try dir.write("server.pem", pem)
        let caFile = try dir.write("ca.pem", caPEM)
        let sans = try openssl("x509", "-noout", "-in", certFile, "-ext", "subjectAltName")
        #expect(sans.status == 0)
        #expect(sans.output.contains("IP Address:127.0.0.1"))
        #expect(sans.output.contains("DNS:localhost"))
        #expect(sans.output.contains("IP Address:0:0:0:0:0:0:0:1"))
        #expect(!sans.output.contains("DNS:127.0.0.1"))

        let verify = try openssl("verify", "-purpose", "sslserver", "-CAfile", caFile, certFile)
        #expect(verify.status == 0, "\(verify.output)")
        let host = try openssl("x509", "-noout", "-in", certFile, "-checkip", "127.0.0.1", "-checkhost", "localhost")
        #expect(host.output.contains("IP 127.0.0.1 does match certificate"))
        #expect(host.output.contains("Hostname localhost does match certificate"))
    }

    @Test("a CSR whose signature was altered is refused with enroll.csr_invalid")
    func tamperedCSR() throws {
        let pem = try NodeKey().certificateSigningRequestPEM(commonName: "n-1")
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var der = try #require(Data(base64Encoded: body))
        der[der.count - 1] ^= 0x01 // last byte of the ECDSA signature's s
        let tampered = "-----BEGIN CERTIFICATE REQUEST-----\n" + der.base64EncodedString(options: .lineLength64Characters) + "\n-----END CERTIFICATE REQUEST-----\n"
        #expect {
            try ca.issueClientCertificate(csr: .parse(pem: tampered), identity: PeerIdentity(role: .node, name: "n-1"), validity: 60)
        } throws: { error in
            (error as? ShoalError)?.code == .csrInvalid
        }
    }

    @Test("text that is not a CSR is enroll.csr_invalid")
    func garbageCSR() {
        #expect {
            try ca.issueClientCertificate(csr: .parse(pem: "hello"), identity: PeerIdentity(role: .node, name: "n"), validity: 60)
        } throws: { error in
            (error as? ShoalError)?.code == .csrInvalid
        }
    }

    @Test("the fingerprint is SHA-256 over DER, as openssl computes it")
    func fingerprintMatchesOpenSSL() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("ca.pem", caPEM)
        let out = try openssl("x509", "-noout", "-in", file, "-fingerprint", "-sha256")
        #expect(out.status == 0)
        let typed = try #require(out.output.split(separator: "=", maxSplits: 1).last).trimmingCharacters(in: .whitespacesAndNewlines)
        let fingerprint = try CertificateChecks.fingerprint(pem: caPEM)
        #expect(fingerprint.count == "sha256:".count + 64)
        #expect(FingerprintText.normalise(typed) == fingerprint)
        #expect(try ca.certificate.fingerprint == fingerprint)
    }

    @Test("PeerIdentity reads role and name back for every role")
    func identityRoles() throws {
        for role in PeerIdentity.Role.allCases {
            let identity = PeerIdentity(role: role, name: "someone")
            let certificate = try ca.issueClientCertificate(
                csr: .parse(pem: NodeKey().certificateSigningRequestPEM(commonName: "ignored")), identity: identity, validity: 60
            )
            #expect(PeerIdentity(certificate: certificate) == identity)
            #expect(role.isOperator == (role != .node))
        }
        // The CA's own subject has no role: not an identity.
        #expect(PeerIdentity(certificate: ca.certificate) == nil)
    }
}

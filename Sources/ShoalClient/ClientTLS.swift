import NIOSSL
import ShoalCore

/// TLS presets for talking to a coordinator, in the style of `TLSConfiguration`'s own.
public enum ClientTLS {
    /// Trusts only the fleet CA and presents a fleet-issued client certificate (mutual TLS).
    public static func mutual(caPEM: String, certificatePEM: String, keyPEM: String) throws -> TLSConfiguration {
        var tls = try serverAuthenticated(caPEM: caPEM)
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        return tls
    }

    /// Trusts only the fleet CA; presents no certificate (enrollment, before the node has one).
    public static func serverAuthenticated(caPEM: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        TLSPolicy.apply(to: &tls)
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        tls.certificateVerification = .fullVerification
        return tls
    }

    /// Verifies nothing. Used only to fetch the CA certificate whose SHA-256 fingerprint the
    /// caller then compares against the one the admin pinned; nothing else travels over it.
    public static func unverifiedForFingerprintCheck() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        TLSPolicy.apply(to: &tls)
        tls.certificateVerification = .none
        return tls
    }
}

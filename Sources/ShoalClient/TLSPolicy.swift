import NIOSSL

/// The one TLS policy of the fleet, for the server and both clients: TLS 1.3, or TLS 1.2
/// with ephemeral ECDHE key exchange and AEAD ciphers only — no static RSA key exchange,
/// no CBC, no SHA-1 MACs. The fleet's keys are P-256, so ECDSA suites are what a handshake
/// with a Shoal peer uses; the RSA ones are listed for completeness. TLS 1.3's own suites
/// are all AEAD and are not configurable here.
public enum TLSPolicy {
    public static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// Applies the policy to a configuration.
    public static func apply(to tls: inout TLSConfiguration) {
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuiteValues = tls12CipherSuites
    }
}

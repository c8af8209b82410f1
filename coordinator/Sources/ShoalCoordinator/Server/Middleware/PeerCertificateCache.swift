import NIOCore
import NIOSSL
import ShoalCore
import Synchronization
import X509

/// The client certificate of each open connection, parsed once. A connection's TLS peer
/// cannot change after the handshake (no renegotiation, no post-handshake authentication),
/// so every request on a kept-alive connection would otherwise fetch the certificate from
/// the TLS handler (a hop to the event loop), re-encode it and parse it again: about 4 % of
/// the coordinator's CPU at 5,000 nodes. What a certificate proves that can change (expiry,
/// revocation, the serial the store holds) is still checked on every request.
final class PeerCertificateCache: Sendable {
    struct Entry: Sendable {
        let certificate: Certificate
        let identity: PeerIdentity?
        let serialHex: String
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let parses = Atomic<Int>(0)

    /// Connections with a parsed certificate held now (tests read it to see entries go).
    var count: Int { entries.withLock { $0.count } }
    /// Certificates parsed so far (tests read it to see a connection's second request parse nothing).
    var parsed: Int { parses.load(ordering: .relaxed) }

    /// The certificate `channel`'s client presented, or nil when it presented none TLS
    /// verified. The first request of a connection parses it; the entry goes when the
    /// connection closes.
    func certificate(of channel: any Channel) async -> Entry? {
        let key = ObjectIdentifier(channel)
        if let entry = entries.withLock({ $0[key] }) { return entry }
        guard let presented = try? await channel.nioSSL_peerCertificate().get(),
              let der = try? presented.toDERBytes(),
              let certificate = try? Certificate(derEncoded: der)
        else { return nil }
        parses.add(1, ordering: .relaxed)
        let entry = Entry(certificate: certificate, identity: PeerIdentity(certificate: certificate), serialHex: certificate.serialHex)
        entries.withLock { $0[key] = entry }
        // Registered after the insert: on a channel already closed the callback runs at once
        // and still removes it. The channel stays allocated until its close callbacks have
        // run, so a later connection cannot reuse the key while this entry is there.
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.entries.withLock { $0.removeValue(forKey: key) }
        }
        return entry
    }
}

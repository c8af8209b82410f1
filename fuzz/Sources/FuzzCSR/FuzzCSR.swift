import Foundation
import FuzzSupport
import ShoalCore
import X509

/// Certificate signing requests as `POST /v1/enroll` and `/renew` take them, through to the
/// certificate the fleet CA would issue. An input that is not PEM text is taken as DER and
/// wrapped, so the fuzzer reaches the ASN.1 parser directly.
enum CSRHarness {
    static let ca: CertificateAuthority = {
        guard let ca = try? CertificateAuthority.create(fleetName: "fuzz", now: Date(timeIntervalSince1970: 1_750_000_000)) else {
            fatalError("a new CA could not be made")
        }
        return ca
    }()

    static func run(_ data: Data) {
        let pem: String
        if data.starts(with: Data("-----BEGIN".utf8)) {
            pem = String(decoding: data, as: UTF8.self)
        } else {
            let base64 = data.base64EncodedString(options: .lineLength64Characters)
            pem = "-----BEGIN CERTIFICATE REQUEST-----\n\(base64)\n-----END CERTIFICATE REQUEST-----\n"
        }
        guard let csr = try? CertificateSigningRequest.parse(pem: pem) else { return }
        _ = try? ca.issueClientCertificate(
            csr: csr, identity: PeerIdentity(role: .node, name: "n-fuzz"), validity: 3600, now: Date(timeIntervalSince1970: 1_750_000_000)
        )
    }

    static func seeds() throws -> [String: Data] {
        let pem = try NodeKey().certificateSigningRequestPEM(commonName: "gpu-07")
        let der = try CertificateSigningRequest.parse(pem: pem).serializeAsPEM().derBytes
        return ["node.pem": Data(pem.utf8), "node.der": Data(der)]
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked(CSRHarness.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    CSRHarness.run(FuzzInput.data(bytes, count))
    return 0
}

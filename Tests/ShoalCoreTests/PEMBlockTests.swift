import Foundation
import ShoalCore
import Testing
import X509

@Suite("PEM line wrapping")
struct PEMBlockTests {
    /// The CSR's base64 body re-wrapped at `width` columns (0: one line), with `newline`.
    static func rewrapped(_ pem: String, width: Int, newline: String = "\n") -> String {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var lines: [String] = []
        var rest = Substring(body)
        while !rest.isEmpty {
            let cut = width == 0 ? rest.endIndex : rest.index(rest.startIndex, offsetBy: min(width, rest.count))
            lines.append(String(rest[..<cut]))
            rest = rest[cut...]
        }
        return (["-----BEGIN CERTIFICATE REQUEST-----"] + lines + ["-----END CERTIFICATE REQUEST-----", ""]).joined(separator: newline)
    }

    @Test("a valid CSR wrapped at 76 columns, on one line or with CRLF parses to the same request", arguments: [(76, "\n"), (0, "\n"), (64, "\r\n"), (72, "\r\n")])
    func anyWrapping(width: Int, newline: String) throws {
        let key = NodeKey()
        let pem = try key.certificateSigningRequestPEM(commonName: "wrapped")
        let original = try CertificateSigningRequest.parse(pem: pem)
        let parsed = try CertificateSigningRequest.parse(pem: Self.rewrapped(pem, width: width, newline: newline))
        #expect(parsed == original)
        #expect(parsed.publicKey.isValidSignature(parsed.signature, for: parsed))
    }

    @Test("no block, a broken body or a missing END line is enroll.csr_invalid", arguments: [
        "not a csr", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ])
    func refused(text: String) {
        let error = #expect(throws: ShoalError.self) { try CertificateSigningRequest.parse(pem: text) }
        #expect(error?.code == .csrInvalid)
    }
}

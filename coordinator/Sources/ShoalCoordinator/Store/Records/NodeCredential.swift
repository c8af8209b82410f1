import Foundation

/// What an agent request is checked against (`RequireNodeMiddleware`): the node's status and
/// the certificate it holds, without the facts, metrics and labels of a whole `NodeRecord`.
/// Every agent request reads it, so it is the narrowest read of the node that can refuse.
public struct NodeCredential: Sendable, Equatable {
    public var status: NodeRecord.Status
    public var certificateSerial: String
    public var previousCertificateSerial: String?
    /// SHA-256 of the certified public key (nil for nodes enrolled before keys were recorded).
    public var certificateKey: String?

    public init(status: NodeRecord.Status, certificateSerial: String, previousCertificateSerial: String?, certificateKey: String?) {
        self.status = status
        self.certificateSerial = certificateSerial
        self.previousCertificateSerial = previousCertificateSerial
        self.certificateKey = certificateKey
    }
}

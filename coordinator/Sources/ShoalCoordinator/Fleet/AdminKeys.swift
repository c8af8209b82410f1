import Foundation
import ShoalCore

/// A small fleet's root (1-of-1) and its admin's operator key, made by `coordinator init`
/// in a folder outside the data directory, and trust document v1 signed with them. Cheap
/// to start with; docs/trust.md says what it costs and how to move the root away.
public enum AdminKeys {
    /// `~/.shoal/FLEET`: where `init` puts the admin folder unless told otherwise.
    public static func defaultFolder(fleet: String) -> String {
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.shoal/" + fleet
    }

    struct Made {
        var trust: TrustDocumentRecord
        var rootFingerprint: String
        var operatorKeyPath: String
    }

    static func create(in folder: String, fleet: String, deliveryKey: TrustedBundleKey, now: Date = Date()) throws -> Made {
        try SecureFile.makeDirectory(folder)
        let operatorKeyPath = folder + "/operator.key"
        let rootDirectory = RootKeyDirectory(path: folder + "/root")
        let roots = try rootDirectory.create(count: 1, threshold: 1)
        let operatorKey = try OperatorKeyFile.create(at: operatorKeyPath)
        let document = TrustDocument.initial(
            fleet: fleet, roots: roots.roots, deliveryKeys: [deliveryKey],
            operators: [TrustDocument.OperatorGrant(name: "admin", key: operatorKey.publicKey, scope: .unrestricted)], now: now
        )
        let envelope = try document.signed(by: rootDirectory.keys())
        return Made(
            trust: TrustDocumentRecord(version: document.version, envelopeJSON: try envelope.jsonText(), installedAt: now),
            rootFingerprint: roots.fingerprint, operatorKeyPath: operatorKeyPath
        )
    }
}

import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// Rotating the coordinator's delivery key with overlap: agents accept deliveries signed by any
/// delivery key the root-signed trust document lists, so the new key is listed before the
/// coordinator switches to it, and the old one removed once nothing it signed is in flight.
/// Runs on the coordinator host, on the data directory; it never touches the root's keys.
struct DeliveryKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delivery-key",
        abstract: "Rotate the coordinator's delivery key: new, then (after the root lists it) activate.",
        discussion: """
        1. coordinator delivery-key new --data-dir D        (writes D/bundle-signing.next.key/.pub)
        2. coordinator root add-delivery-key --key D/bundle-signing.next.pub   (a root holder)
        3. coordinator delivery-key activate --data-dir D   (then restart the coordinator)
        4. once deliveries signed before the switch have expired (bundle_expiry):
           coordinator root remove-delivery-key OLD-KEY-ID
        """,
        subcommands: [New.self, Activate.self]
    )

    static func dataDir(_ option: String?) throws -> String {
        guard let folder = option ?? ProcessInfo.processInfo.environment["SHOAL_DATA_DIR"] else {
            throw ShoalError(.invalidArgument, "no data directory: pass --data-dir DIR or set SHOAL_DATA_DIR")
        }
        return folder
    }

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the next delivery key beside the current one.")
        @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).") var dataDirOption: String?
        var dataDir: String { get throws { try DeliveryKeyCommand.dataDir(dataDirOption) } }

        func run() async throws {
            try await runReportingErrors {
                let dataDir = try dataDir
                let paths = FleetPaths(root: dataDir)
                guard FileManager.default.fileExists(atPath: paths.bundleSigningKey) else {
                    throw ShoalError(.invalidArgument, "no delivery key at \(paths.bundleSigningKey); is \(dataDir) a fleet's data directory?")
                }
                guard !FileManager.default.fileExists(atPath: paths.nextBundleSigningKey) else {
                    throw ShoalError(.conflict, "\(paths.nextBundleSigningKey) already exists: a rotation is under way; activate it, or delete both bundle-signing.next files to start over")
                }
                let key = BundleSigningKey()
                try SecureFile.write(key.fileText, to: paths.nextBundleSigningKey)
                try SecureFile.write(key.publicKey.publicKey + "\n", to: paths.nextBundleSigningPublicKey, mode: 0o644)
                print("""
                new delivery key \(key.publicKey.keyID) in \(paths.nextBundleSigningKey)
                next: have a root holder run 'coordinator root add-delivery-key --key \(paths.nextBundleSigningPublicKey)',
                then run 'coordinator delivery-key activate --data-dir \(dataDir)' and restart the coordinator
                """)
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch to the next delivery key (the trust document must list it); restart afterwards.")
        @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).") var dataDirOption: String?
        var dataDir: String { get throws { try DeliveryKeyCommand.dataDir(dataDirOption) } }

        func run() async throws {
            try await runReportingErrors {
                let dataDir = try dataDir
                let paths = FleetPaths(root: dataDir)
                guard let text = try? SecureFile.read(paths.nextBundleSigningKey) else {
                    throw ShoalError(.invalidArgument, "no next delivery key at \(paths.nextBundleSigningKey); make one with 'coordinator delivery-key new' first")
                }
                let next = try BundleSigningKey(fileText: text)
                let old = try BundleSigningKey(fileText: SecureFile.read(paths.bundleSigningKey))
                // Switching before the root lists the key would leave the coordinator unable to
                // sign anything agents accept: check the stored trust document first.
                let store = try await Fleet.openStore(paths: paths)
                guard let envelope = try await store.latestTrustDocument()?.envelope else {
                    throw ShoalError(.trustMissing, "this fleet has no trust document; there is no delivery key list to rotate within")
                }
                let document = try envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed)
                guard document.deliveryKeys.contains(next.publicKey) else {
                    throw ShoalError(.trustMissing, "trust document v\(document.version) does not list \(next.publicKey.keyID) yet; have a root holder run 'coordinator root add-delivery-key --key \(paths.nextBundleSigningPublicKey)' first")
                }
                let retired = dataDir + "/bundle-signing.retired-\(old.publicKey.keyID.replacingOccurrences(of: "sha256:", with: "").prefix(12)).key"
                // Keep a copy of the old key first, then rename the new one over it: at every
                // moment bundle-signing.key holds a whole key, old or new.
                try SecureFile.write(old.fileText, to: retired)
                for (from, to) in [(paths.nextBundleSigningKey, paths.bundleSigningKey), (paths.nextBundleSigningPublicKey, paths.bundleSigningPublicKey)] {
                    guard rename(from, to) == 0 else {
                        throw ShoalError(.storage, "cannot rename \(from) to \(to): \(String(cString: strerror(errno)))")
                    }
                }
                try await store.appendAudit(AuditEntry(
                    actor: NSUserName(), role: "host", action: "delivery_key.activate",
                    target: AuditTarget(key: next.publicKey.keyID), result: "activated",
                    details: ["previous": old.publicKey.keyID, "retiredFile": retired]
                ))
                print("""
                delivery key is now \(next.publicKey.keyID); the old one (\(old.publicKey.keyID)) is kept as \(retired)
                next: restart the coordinator; once deliveries it signed have expired, have a root holder run
                'coordinator root remove-delivery-key \(old.publicKey.keyID)', then delete \(retired)
                """)
            }
        }
    }
}

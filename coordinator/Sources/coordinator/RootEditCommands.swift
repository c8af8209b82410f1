import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// Where the document being changed comes from and where the result goes.
struct TrustEditOptions: ParsableArguments {
    @Option(name: .customLong("in"), help: "Start from this document file instead of the coordinator's current one.") var input: String?
    @Option(help: "Write the signed document here (for cosigning, or publishing later) instead of publishing it.") var out: String?
    @Option(name: .customLong("valid-for"), help: "How long the new document is valid.") var validFor = "365d"

    /// Applies `change` to the current document as the next version, signs and publishes it.
    func edit(_ connection: ConnectionOptions, keys: RootKeyOptions, extraSigners: [BundleSigningKey] = [], _ change: (inout TrustDocument) throws -> Void) async throws {
        let envelope: DSSEEnvelope
        if let input { envelope = try RootDocuments.read(input) } else { envelope = try await RootDocuments.current(connection) }
        let current = try RootDocuments.decode(envelope)
        try envelope.requireThreshold(of: current.roots, version: current.version)
        let next = try current.next(validity: TimeInterval(try DurationText.seconds(validFor)), change)
        try await RootDocuments.finish(next, previous: current, keys: try keys.load() + extraSigners, out: out, connection: connection)
    }
}

extension RootCommand {
    struct First: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the fleet's first trust document (for a fleet made with 'init --no-admin-keys').",
            discussion: "The fleet name is fleet_name in coordinator.yaml; the delivery key is bundle-signing.pub in the data directory."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @Option(help: "The fleet's name (fleet_name in coordinator.yaml).") var fleet: String
        @Option(name: .customLong("roots"), help: "The root set (roots.json from 'root init'); default: the --root-dir's.") var roots: String?
        @Option(name: .customLong("delivery-key"), help: "The coordinator's delivery public key (file or base64).") var deliveryKey: String
        @Option(name: .customLong("admin"), help: "NAME=PUBKEY: the first operator, with every right (file or base64).") var admin: String
        @Option(help: "Write the signed document here instead of publishing it.") var out: String?
        @Option(name: .customLong("valid-for"), help: "How long it is valid.") var validFor = "365d"

        func run() async throws {
            try await runReportingErrors {
                guard let equals = admin.firstIndex(of: "=") else { throw ShoalError(.invalidArgument, "--admin must be NAME=PUBKEY") }
                let rootsFile = roots ?? keys.rootDir.map { RootKeyDirectory(path: $0).rootsFile }
                guard let rootsFile else { throw ShoalError(.invalidArgument, "say which roots: --roots FILE or --root-dir DIR") }
                let set = try WireCoding.decode(RootKeyDirectory.RootSet.self, from: Data(SecureFile.read(rootsFile).utf8))
                let grant = TrustDocument.OperatorGrant(
                    name: String(admin[..<equals]), key: try RootDocuments.publicKey(String(admin[admin.index(after: equals)...])), scope: .unrestricted
                )
                let document = TrustDocument.initial(
                    fleet: fleet, roots: set.roots, deliveryKeys: [try RootDocuments.publicKey(deliveryKey)], operators: [grant],
                    validity: TimeInterval(try DurationText.seconds(validFor))
                )
                try document.validateShape()
                try await RootDocuments.finish(document, previous: nil, keys: try keys.load(), out: out, connection: connection)
            }
        }
    }

    struct AddOperator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an operator's signing key with a scope, or change an existing operator's key or scope.",
            discussion: "Scope: --selector over labels (facts are refused), --kinds (step kinds, or 'any'), --commands to allow command steps."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Argument(help: "Operator name (the CN of their TLS credential).") var name: String
        @Option(help: "Their public signing key (operator.pub file, or base64).") var key: String
        @Option(help: "Labels every node they target must match (empty: every node).") var selector = ""
        @Option(help: "Step kinds they may use, comma-separated, or 'any'.") var kinds = "any"
        @Flag(help: "Allow command steps (arbitrary shell).") var commands = false

        func run() async throws {
            try await runReportingErrors {
                try LabelText.validateKeySyntax(name, what: "operator name")
                let scope = OperatorScope(selector: selector, kinds: kinds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, commands: commands)
                let grant = TrustDocument.OperatorGrant(name: name, key: try RootDocuments.publicKey(key), scope: scope)
                try await edit.edit(connection, keys: keys) { $0.setOperator(grant) }
            }
        }
    }

    struct RevokeOperator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an operator: their key stops on every node at its next poll, their schedules stop.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Argument(help: "Operator name.") var name: String

        func run() async throws {
            try await runReportingErrors {
                try await edit.edit(connection, keys: keys) { document in
                    guard document.removeOperator(named: name) else {
                        throw ShoalError(.notFound, "trust document v\(document.version - 1) has no operator '\(name)' (has: \(document.operators.map(\.name).joined(separator: ", ")))")
                    }
                }
            }
        }
    }

    struct AddDeliveryKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trust another coordinator delivery key (rotation: add the new, later remove the old).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Option(help: "The delivery public key (file or base64).") var key: String

        func run() async throws {
            try await runReportingErrors {
                let delivery = try RootDocuments.publicKey(key)
                try await edit.edit(connection, keys: keys) { document in
                    guard !document.deliveryKeys.contains(delivery) else {
                        throw ShoalError(.conflict, "trust document v\(document.version - 1) already lists delivery key \(delivery.keyID); nothing to publish")
                    }
                    document.deliveryKeys.append(delivery)
                }
            }
        }
    }

    struct RemoveDeliveryKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop trusting a delivery key (by key id).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Argument(help: "Key id (sha256:…).") var keyID: String

        func run() async throws {
            try await runReportingErrors {
                try await edit.edit(connection, keys: keys) { document in
                    let listed = document.deliveryKeys.map(\.keyID)
                    guard listed.contains(keyID) else {
                        throw ShoalError(.notFound, "trust document v\(document.version - 1) has no delivery key \(keyID) (has: \(listed.joined(separator: ", ")))")
                    }
                    // Without a delivery key no agent accepts anything: rotation adds first.
                    guard listed.count > 1 else {
                        throw ShoalError(.conflict, "\(keyID) is the only delivery key; add the new one first ('coordinator delivery-key new', 'root add-delivery-key')")
                    }
                    document.deliveryKeys.removeAll { $0.keyID == keyID }
                }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the root: the new document lists the new roots, signed by the old threshold and the new one.",
            discussion: "Make the new root with 'root init --out NEW' first; nodes follow the chain, no re-enrollment."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Option(name: .customLong("new-root-dir"), help: "The new root's folder (its roots.json, and the new keys that sign now).") var newRootDir: String

        func run() async throws {
            try await runReportingErrors {
                let folder = RootKeyDirectory(path: newRootDir)
                let set = try folder.rootSet()
                try await edit.edit(connection, keys: keys, extraSigners: try folder.keys()) { $0.roots = set.roots }
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign the current document again with a later expiry (before it runs out).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions

        func run() async throws {
            try await runReportingErrors {
                try await edit.edit(connection, keys: keys) { _ in }
            }
        }
    }
}

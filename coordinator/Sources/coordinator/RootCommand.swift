import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// `coordinator root …`: the fleet root's ceremony, run on an admin's machine. The root keys
/// sign trust documents; the coordinator only stores and serves them (docs/trust.md).
struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract: "The fleet root: make its keys, sign trust documents (operators, scopes, delivery keys), rotate, revoke.",
        discussion: """
        Each change makes the next trust document version, signs it with the root keys you give
        (--root-key FILE, repeatable, or --root-dir DIR) and publishes it when enough of them signed.
        Without enough, it writes --out FILE for the other holders: 'coordinator root cosign FILE
        --root-key THEIRS', then 'coordinator root publish FILE'.
        """,
        subcommands: [
            Init.self, Show.self, First.self, AddOperator.self, RevokeOperator.self, AddDeliveryKey.self, RemoveDeliveryKey.self, AddCA.self, RemoveCA.self,
            Rotate.self, Renew.self, Cosign.self, Publish.self,
        ]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make root keys in a new folder, on a machine that is not the coordinator.")
        @Option(help: "Folder to create (must not hold a root).") var out: String
        @Option(help: "How many root keys.") var keys = 1
        @Option(help: "How many of them must sign each trust document.") var threshold = 1

        func run() async throws {
            try await runReportingErrors {
                let set = try RootKeyDirectory(path: out).create(count: keys, threshold: threshold)
                print("""
                root made in \(out): \(keys) key(s), \(threshold) must sign
                  fingerprint: \(set.fingerprint)   (pin on nodes: trust_root in agent.yaml)
                Move these files off this machine now. Give each root-N.key to a different holder and
                keep them offline; anyone holding \(threshold) of them decides who may run what on the fleet.
                """)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the fleet's current trust document.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let envelope = try await RootDocuments.current(connection)
                let document = try RootDocuments.decode(envelope)
                if json { return try printJSON(document) }
                print(RootDocuments.describe(document))
            }
        }
    }

    struct Cosign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add your root signature to a trust document file.")
        @Argument(help: "The document file (a DSSE envelope).") var file: String
        @OptionGroup var keys: RootKeyOptions

        func run() async throws {
            try await runReportingErrors {
                var envelope = try RootDocuments.read(file)
                for key in try keys.load() { envelope = try envelope.addingSignature(of: key) }
                try SecureFile.write(WireCoding.encode(envelope, pretty: true), to: file, mode: 0o644)
                let document = try RootDocuments.decode(envelope)
                print("\(file): \(envelope.verifiedKeyIDs(among: document.roots.keys).count) of \(document.roots.threshold) root signature(s)")
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a signed trust document to the coordinator (admin).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The document file.") var file: String

        func run() async throws {
            try await runReportingErrors {
                try await RootDocuments.publish(try RootDocuments.read(file), connection: connection)
            }
        }
    }
}

/// Root keys given on the command line.
struct RootKeyOptions: ParsableArguments {
    @Option(name: .customLong("root-key"), help: "A root key file (repeatable).") var rootKeys: [String] = []
    @Option(name: .customLong("root-dir"), help: "A folder of root keys (root-N.key), as 'root init' made it.") var rootDir: String?

    func load() throws -> [BundleSigningKey] {
        var keys = try rootKeys.map { try BundleSigningKey(fileText: SecureFile.read($0)) }
        if let rootDir { keys += try RootKeyDirectory(path: rootDir).keys() }
        guard !keys.isEmpty else { throw ShoalError(.invalidArgument, "give root keys with --root-key FILE or --root-dir DIR") }
        return keys
    }
}

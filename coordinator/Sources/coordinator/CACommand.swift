import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// Rotating the fleet CA with a cross-signed overlap, without re-enrolling nodes (see
/// `CARotation`). Runs on the coordinator host, on the data directory.
struct CACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Rotate the fleet CA (new, then activate, then finish); re-issue the server certificate (server-cert).",
        discussion: """
        1. coordinator ca new --data-dir D                 (writes D/ca.next.crt/.key)
        2. coordinator root add-ca --cert D/ca.next.crt    (a root holder; agents trust both CAs)
        3. coordinator ca activate --data-dir D            (then restart the coordinator; nodes
           renew at their next heartbeat, operators run 'coordinator operator renew')
        4. coordinator ca status --data-dir D              (until no node is left on the old CA)
           coordinator ca finish --data-dir D              (then restart the coordinator)
        5. coordinator root remove-ca OLD-FINGERPRINT      (a root holder)
        """,
        subcommands: [New.self, Activate.self, Status.self, Finish.self, ServerCertificate.self]
    )

    struct DataDirOption: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).") var dataDir: String?

        var rotation: CARotation {
            get throws { CARotation(dataDir: try DeliveryKeyCommand.dataDir(dataDir)) }
        }
    }

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the next fleet CA beside the current one.")
        @OptionGroup var options: DataDirOption

        func run() async throws {
            try await runReportingErrors {
                let rotation = try options.rotation
                let fingerprint = try rotation.makeNext()
                print("""
                new fleet CA \(fingerprint) in \(rotation.paths.nextCACertificate)
                next: have a root holder run 'coordinator root add-ca --cert \(rotation.paths.nextCACertificate)',
                wait until the nodes have polled, then run 'coordinator ca activate --data-dir \(rotation.paths.root)'
                """)
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch to the next CA (the trust document must list it); restart afterwards.")
        @OptionGroup var options: DataDirOption

        func run() async throws {
            try await runReportingErrors {
                let rotation = try options.rotation
                let store = try await Fleet.openStore(paths: rotation.paths)
                let done = try await rotation.activate(store: store)
                print("""
                the fleet CA is now \(done.currentFingerprint); re-issued: \(done.reissued.joined(separator: ", "))
                the previous CA (\(done.previousFingerprint)) still vouches for client certificates it issued, and the
                server sends \(rotation.paths.crossCertificate) so agents that know only the previous CA still connect.
                next: restart the coordinator; nodes renew at their next heartbeat; operators with their own credential
                run 'coordinator operator renew' and fetch the new ca.crt; then 'coordinator ca status' and 'ca finish'
                """)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where a CA rotation stands: which nodes still hold a certificate from the previous CA.")
        @OptionGroup var options: DataDirOption
        @Flag(help: "Print JSON.") var json = false

        struct View: Encodable {
            var current: String
            var next: String?
            var previous: String?
            var pendingNodes: [String]
        }

        func run() async throws {
            try await runReportingErrors {
                let rotation = try options.rotation
                let paths = rotation.paths
                func fingerprint(_ path: String) throws -> String? {
                    FileManager.default.fileExists(atPath: path) ? try CertificateChecks.fingerprint(pem: SecureFile.read(path)) : nil
                }
                let store = try await Fleet.openStore(paths: paths)
                let previous = try fingerprint(paths.previousCACertificate)
                let pending = previous == nil ? [] : try await rotation.pending(store: store)
                let view = View(
                    current: try fingerprint(paths.caCertificate) ?? "none", next: try fingerprint(paths.nextCACertificate),
                    previous: previous, pendingNodes: pending.map(\.id)
                )
                if json { return try printJSON(view) }
                print("current CA:  \(view.current)")
                if let next = view.next { print("next CA:     \(next) (made; activate once the root lists it)") }
                if let previous { print("previous CA: \(previous) (still accepted until 'ca finish')") }
                if previous != nil {
                    print(pending.isEmpty ? "every node holds a certificate from the current CA: ready for 'ca finish'"
                          : "\(pending.count) node(s) on the previous CA: " + pending.map { "\($0.hostname) (\($0.id))" }.joined(separator: ", "))
                }
            }
        }
    }

    struct Finish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop accepting the previous CA; restart afterwards.")
        @OptionGroup var options: DataDirOption
        @Flag(help: "Finish even while nodes still hold certificates from the previous CA (they must enroll again).") var force = false

        func run() async throws {
            try await runReportingErrors {
                let rotation = try options.rotation
                let store = try await Fleet.openStore(paths: rotation.paths)
                let previous = try await rotation.finish(store: store, force: force)
                print("""
                the previous CA \(previous) is no longer trusted here; restart the coordinator
                next: have a root holder run 'coordinator root remove-ca \(previous)'
                """)
            }
        }
    }
}

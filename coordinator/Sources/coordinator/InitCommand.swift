import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new fleet: CA, server certificate, bundle-signing key, admin credential, database."
    )

    @Option(name: .customLong("data-dir"), help: "Directory for the fleet's keys, config and database.") var dataDir: String
    @Option(help: "URL agents and the CLI use to reach this coordinator.") var advertise = "https://127.0.0.1:8443"
    @Option(help: "Address the API listens on (HOST:PORT).") var listen: String?
    @Option(name: .customLong("san"), help: "Extra DNS name or IP address for the server certificate (repeatable).") var sans: [String] = []
    @Flag(help: "Replace an existing fleet in --data-dir (every node must enroll again).") var force = false
    @Option(name: .customLong("admin-dir"), help: "Where to make this small fleet's root key and your operator signing key, outside the data directory (default: ~/.shoal/FLEET).") var adminDir: String?
    @Flag(name: .customLong("no-admin-keys"), help: "Make no root or operator key here: you will make the root offline ('coordinator root init') and publish the first trust document.") var noAdminKeys = false

    func run() async throws {
        try await runReportingErrors {
            let port = URL(string: advertise)?.port ?? 8443
            let listenAddress = listen ?? "0.0.0.0:\(port)"
            guard HostPort(listenAddress) != nil else {
                throw ShoalError(.invalidArgument, "--listen '\(listenAddress)' must be HOST:PORT")
            }
            var initializer = FleetInitializer(dataDir: dataDir, advertiseURL: advertise, listen: listenAddress, extraNames: sans, force: force)
            if !noAdminKeys {
                initializer.adminDir = adminDir ?? AdminKeys.defaultFolder(fleet: initializer.fleetName)
            }
            let summary = try initializer.run()
            print("""
            fleet \(summary.fleetName) created in \(dataDir)
              CA fingerprint:      \(summary.caFingerprint)
              server names (SANs): \(summary.serverNames.joined(separator: ", "))
              delivery key:        \(summary.bundleKeyID)
              admin credential:    \(dataDir)/admin.crt, admin.key
            """)
            if let root = summary.rootFingerprint, let key = summary.operatorKeyPath, let folder = initializer.adminDir {
                print("""
                  trust document v1:   root \(root) (1 of 1), operator 'admin' may do anything
                  your signing key:    \(key)
                  root key:            \(folder)/root/root-1.key

                The fleet root is on this machine. Whoever can read \(folder)/root can decide
                who may run what on every node. Move it away: copy \(folder)/root to offline
                storage and delete it here — nothing else changes and no node re-enrolls. To pin
                it on nodes, put 'trust_root: \(root)' in agent.yaml.
                """)
            } else {
                print("  no trust document yet: make the root offline ('coordinator root init --out DIR') and publish one ('coordinator root publish'); until then nothing can run")
            }
            print("next: coordinator serve --data-dir \(dataDir)")
        }
    }
}

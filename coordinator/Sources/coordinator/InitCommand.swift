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

    func run() async throws {
        try await runReportingErrors {
            let port = URL(string: advertise)?.port ?? 8443
            let listenAddress = listen ?? "0.0.0.0:\(port)"
            guard HostPort(listenAddress) != nil else {
                throw ShoalError(.invalidArgument, "--listen '\(listenAddress)' must be HOST:PORT")
            }
            let summary = try FleetInitializer(dataDir: dataDir, advertiseURL: advertise, listen: listenAddress, extraNames: sans, force: force).run()
            print("""
            fleet created in \(dataDir)
              CA fingerprint:      \(summary.caFingerprint)
              server names (SANs): \(summary.serverNames.joined(separator: ", "))
              bundle signing key:  \(summary.bundleKeyID)
              admin credential:    \(dataDir)/admin.crt, admin.key
            next: coordinator serve --data-dir \(dataDir)
            """)
        }
    }
}

import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

extension CACommand {
    /// `coordinator ca server-cert --san NAME`: the server certificate for more (or fewer)
    /// names, from the current CA and for the same key (see `ServerCertificateReissue`).
    struct ServerCertificate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "server-cert",
            abstract: "Re-issue the server certificate with names added or removed (replicas, a new address); restart afterwards."
        )
        @OptionGroup var options: DataDirOption
        @Option(name: .customLong("san"), help: "A DNS name or IP address to add (repeatable).") var add: [String] = []
        @Option(name: .customLong("remove-san"), help: "A name to take out (repeatable).") var remove: [String] = []

        func run() async throws {
            try await runReportingErrors {
                guard !add.isEmpty || !remove.isEmpty else {
                    throw ShoalError(.invalidArgument, "nothing to change: give --san NAME for each name to add (or --remove-san NAME)")
                }
                let dataDir = try DeliveryKeyCommand.dataDir(options.dataDir)
                let issued = try ServerCertificateReissue(dataDir: dataDir).reissue(adding: add, removing: remove)
                let store = try await Fleet.openStore(paths: FleetPaths(root: dataDir))
                try await store.appendAudit(AuditEntry(
                    actor: NSUserName(), role: "host", action: "ca.server-cert", target: AuditTarget(key: "server.crt"), result: "issued",
                    details: ["names": issued.names.joined(separator: ","), "added": issued.added.joined(separator: ","), "removed": issued.removed.joined(separator: ",")]
                ))
                print("""
                server certificate re-issued for \(issued.names.joined(separator: ", ")) (valid until \(Timestamp.format(issued.notValidAfter)))
                next: copy \(dataDir)/server.crt to every replica's data directory and restart each coordinator
                """)
            }
        }
    }
}

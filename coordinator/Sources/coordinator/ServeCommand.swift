import ArgumentParser
import Foundation
import Hummingbird
import ShoalCoordinator
import ShoalCommandLine
import ShoalCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTPS API (mutual TLS) until SIGTERM.")

    @Option(name: .customLong("data-dir"), help: "The fleet's data directory.") var dataDir: String
    @Option(help: "Listen address HOST:PORT (default: from coordinator.yaml).") var listen: String?

    func run() async throws {
        try await runReportingErrors {
            AllocatorTrimmer.configureProcess()
            let fleet = try await Fleet.load(dataDir: dataDir)
            try await fleet.prepare()
            let address = listen ?? fleet.config.listen
            guard let hostPort = HostPort(address) else {
                throw ShoalError(.invalidArgument, "--listen '\(address)' must be HOST:PORT")
            }
            let logger = CommandLineSupport.logger("shoal.coordinator")
            let app = try CoordinatorServer.makeApplication(fleet: fleet, listen: hostPort, logger: logger) { channel in
                // Written unbuffered: scripts wait for this line.
                let line = "coordinator listening on \(channel.localAddress?.description ?? address), advertised as \(fleet.config.advertiseURL)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        }
    }
}

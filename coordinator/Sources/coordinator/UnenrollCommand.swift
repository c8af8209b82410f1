import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// `coordinator unenroll (host | node-id)`: remove the agent over SSH, revoke the node.
struct UnenrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unenroll",
        abstract: "Stop and remove the agent from a host over SSH (if reachable) and revoke the node's certificate."
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "[user@]host, or a node id from 'coordinator nodes list' (SSH goes to the hostname it reported).") var subject: String
    @Option(name: .short, help: "SSH port.") var port: Int?
    @Option(name: .short, help: "SSH identity file (private key).") var identity: String?
    @Option(name: .customLong("ssh-option"), help: "Extra ssh -o option (repeatable).") var sshOptions: [String] = []
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        try await runReportingErrors {
            let unenroller = Unenroller(connection: try connection.operatorConnection(), port: port, identityFile: identity, sshOptions: sshOptions)
            let result = try await unenroller.unenroll(subject)
            if json { return try printJSON(result) }
            print(result.notes.map(TerminalText.escaped).joined(separator: "\n"))
        }
    }
}

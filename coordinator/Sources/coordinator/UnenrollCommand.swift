import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// `coordinator unenroll (host | node-id)`: remove the agent over SSH, revoke the node.
struct UnenrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unenroll",
        abstract: "Stop and remove the agent from a host over SSH (if reachable) and revoke the node's certificate.",
        discussion: "Given a node id, SSH goes to the hostname the node reported; when that no longer resolves to the address the node enrolled from, unenroll asks first (--yes to go ahead, refused when nobody can be asked)."
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "[user@]host, or a node id from 'coordinator nodes list' (SSH goes to the hostname it reported).") var subject: String
    @Option(name: .short, help: "SSH port.") var port: Int?
    @Option(name: .short, help: "SSH identity file (private key).") var identity: String?
    @Option(name: .customLong("ssh-option"), help: "Extra ssh -o option (repeatable).") var sshOptions: [String] = []
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "Given a node id whose reported hostname no longer resolves to the address it enrolled from, go ahead without asking (without it, a terminal is asked and anything else is refused).")
    var yes = false

    func run() async throws {
        try await runReportingErrors {
            let assumeYes = yes
            let unenroller = Unenroller(
                connection: try connection.operatorConnection(), port: port, identityFile: identity, sshOptions: sshOptions
            ) { problem in
                if assumeYes { return true }
                guard Terminal.isInteractive else { return false }
                return Terminal.confirm("\(problem).\nSSH there and remove the agent anyway? [y/N] ")
            }
            let result = try await unenroller.unenroll(subject)
            if json { return try printJSON(result) }
            print(result.notes.map(TerminalText.escaped).joined(separator: "\n"))
        }
    }
}

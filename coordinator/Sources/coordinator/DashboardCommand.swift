import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// `coordinator dashboard login`: the dashboard takes no client certificate, so the
/// operator's certificate buys a one-time link to a session with the operator's role.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The web dashboard.",
        subcommands: [Login.self]
    )

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time link that opens a dashboard session with your role (valid two minutes; the session one hour).",
            discussion: "Open it in a browser that trusts the fleet CA (import ca.crt), or through an SSH tunnel to the coordinator. Treat the link like a password until it is used."
        )
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let link = try await connection.withClient { try await $0.post("/v1/dashboard/login", body: [String: String](), as: DashboardLoginResponse.self) }
                if json { return try printJSON(link) }
                print(link.url)
                FileHandle.standardError.write(Data("one-time link, valid until \(Timestamp.format(link.expiresAt))\n".utf8))
            }
        }
    }
}

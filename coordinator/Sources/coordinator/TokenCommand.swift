import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Join tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mint a join token (stored hashed; shown once).")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "How long the token is valid (e.g. 30m, 1h, 24h).") var ttl = "1h"
        @Option(help: "How many nodes may enroll with it.") var uses = 1
        @Option(name: .customLong("label"), help: "Label copied onto nodes that enroll with it, k=v (repeatable).") var labels: [String] = []
        @Flag(help: "Print JSON.") var json = false
        @Flag(name: .customLong("cloud-init"), help: "Print cloud-init user-data (agent config with CA and token, unit, runcmd) instead of the bare token.") var cloudInit = false
        @Option(name: .customLong("coordinator-url"), help: "With --cloud-init: URL the nodes use to reach the coordinator (default: the fleet's advertise URL); repeat it for several URLs of one fleet (written as coordinator_urls).") var coordinatorURLs: [String] = []

        func run() async throws {
            try await runReportingErrors {
                let request = TokenCreateRequest(ttlSeconds: try DurationText.seconds(ttl), uses: uses, labels: try LabelText.parse(labels))
                // The URLs are checked before a token is minted, so a typo wastes none.
                var cloudInitConfig: AgentConfig?
                if cloudInit {
                    let fleet = try connection.operatorConnection()
                    var config = AgentConfig(coordinatorURLs: coordinatorURLs.isEmpty ? [fleet.url] : coordinatorURLs, stateDir: AgentConfig.defaultStateDir)
                    config.caCertificate = fleet.caPEM
                    try config.validate(source: "--coordinator-url")
                    cloudInitConfig = config
                }
                let response = try await connection.withClient { client in
                    try await client.post("/v1/tokens", body: request, as: TokenCreateResponse.self)
                }
                if var config = cloudInitConfig {
                    config.joinToken = response.token
                    print(try CloudInitDocument.userData(config: config), terminator: "")
                } else if json {
                    try printJSON(response)
                } else {
                    print(response.token)
                }
            }
        }
    }
}

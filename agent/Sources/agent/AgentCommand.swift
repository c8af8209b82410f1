import ArgumentParser
import Foundation
import Logging
import ShoalAgent
import ShoalCommandLine
import ShoalCore

@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The Shoal node agent: enrolls with a coordinator, then runs signed task bundles.",
        version: AgentVersion.current,
        subcommands: [Enroll.self, Run.self, Apply.self]
    )
}

extension AgentCommand {
    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enroll this node with a coordinator using a join token.")

        @Option(help: "Coordinator URL, e.g. https://10.0.0.1:8443 (repeat it for several URLs of one fleet: tried from a random one on).") var coordinator: [String]
        @Option(help: "Join token from 'coordinator token create'.") var token: String
        @Option(name: .customLong("ca-file"), help: "PEM file of the fleet CA to pin.") var caFile: String?
        @Option(name: .customLong("ca-fingerprint"), help: "sha256:HEX fingerprint of the fleet CA to pin.") var caFingerprint: String?
        @Option(name: .customLong("state-dir"), help: "Where the identity is stored.") var stateDir = AgentConfig.defaultStateDir
        @Option(name: .customLong("node-name"), help: "Name to report instead of the hostname.") var nodeName: String?

        func run() async throws {
            try await CommandLineSupport.run {
                var config = AgentConfig(coordinatorURLs: coordinator, stateDir: stateDir)
                config.caFile = caFile
                config.caFingerprint = caFingerprint
                try config.validate(source: "command line")
                guard (caFile == nil) != (caFingerprint == nil) else {
                    throw ShoalError(.invalidArgument, "give exactly one of --ca-file and --ca-fingerprint")
                }
                let state = AgentStateDirectory(path: stateDir)
                if state.isEnrolled {
                    let identity = try state.loadIdentity()
                    print("already enrolled as \(identity.nodeID); remove \(stateDir) to enroll again")
                    return
                }
                let enroller = Enroller(
                    coordinatorURLs: coordinator, token: token, pin: try AgentRuntime.pin(from: config), state: state,
                    nodeName: nodeName ?? FactsCollector.hostname(), logger: CommandLineSupport.logger("shoal.agent")
                )
                let identity = try await enroller.enroll()
                print("enrolled as \(identity.nodeID)")
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the agent (enrolls first if the config holds a join token).")

        @Option(help: "Agent config file (YAML).") var config = AgentConfig.defaultPath

        func run() async throws {
            AgentRuntime.useOneEventLoop()
            try await CommandLineSupport.run {
                let config = try AgentConfig.load(path: config)
                try await AgentRuntime(config: config, logger: CommandLineSupport.logger("shoal.agent")).run()
            }
        }
    }
}

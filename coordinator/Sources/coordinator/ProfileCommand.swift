import ArgumentParser
import Foundation
import ShoalCommandLine
import ShoalCoordinator
import ShoalCore

struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Shipped role profiles: reusable task files for 'task run --profile NAME'.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List profiles and where each comes from.")
        func run() async throws {
            let profiles = ProfileLibrary().list()
            guard !profiles.isEmpty else {
                print("no profiles found in: \(ProfileLibrary().directories.joined(separator: ", "))")
                return
            }
            let width = profiles.map(\.name.count).max() ?? 0
            for profile in profiles {
                let summary = profile.description.split(separator: "\n").first.map(String.init) ?? ""
                print(profile.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + summary + "  [\(profile.path)]")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a profile's task file.")
        @Argument(help: "Profile name.") var name: String
        func run() async throws {
            try await CommandLineSupport.run {
                let path = try ProfileLibrary().path(of: name)
                print("# \(path)")
                print(try String(contentsOfFile: path, encoding: .utf8), terminator: "")
            }
        }
    }
}

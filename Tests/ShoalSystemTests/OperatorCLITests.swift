import Foundation
import ShoalCore
import Testing

extension SystemTests {
/// The operator's side of the CLI as a person at a terminal sees it (through a real pty from
/// util-linux `script`), and the coordinator's graceful stop with agents connected.
@Suite(.serialized)
struct OperatorCLITests {
    /// Runs the coordinator CLI inside a pseudo-terminal, typing `input`.
    func onTerminal(_ fleet: TestFleet, _ arguments: [String], input: String) throws -> CommandResult {
        let command = ([TestFleet.coordinatorBinary] + arguments + ["--data-dir", fleet.dataDir])
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let inputFile = fleet.root + "/tty-input"
        try SecureFile.write(input, to: inputFile)
        return try runCommand(
            "/bin/sh", ["-c", "script -qec \(shellQuote(command)) /dev/null < \(shellQuote(inputFile))"], environment: ["SHOAL_SIGNING_KEY": fleet.signingKeyPath]
        )
    }

    func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test func onATerminalTaskRunAsksFirstAndANoStartsNothing() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("tango", token: try fleet.token())
            _ = try await fleet.waitForReady(["tango"])
            let declined = try onTerminal(fleet, ["task", "run", "--command", "touch \(fleet.root)/ran"], input: "n\n")
            #expect(declined.stdout.contains("targeting 1 node(s)"))
            #expect(declined.stdout.contains("[y/N]"))
            #expect(declined.status != 0)
            #expect(try await fleet.admin().get("/v1/tasks", as: TaskListResponse.self).tasks.isEmpty)

            let accepted = try onTerminal(fleet, ["task", "run", "--command", "echo confirmed", "--follow"], input: "y\n")
            #expect(accepted.status == 0, "\(accepted.stdout)")
            #expect(accepted.stdout.contains("confirmed"))
            #expect(accepted.stdout.contains("1/1 done"))
            #expect(!FileManager.default.fileExists(atPath: fleet.root + "/ran"))
        }
    }

    @Test func sigtermStopsTheCoordinatorPromptlyWithAgentsLongPolling() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 2)
            try fleet.startAgent("uniform", token: token)
            try fleet.startAgent("victor", token: token)
            _ = try await fleet.waitForReady(["uniform", "victor"])
            let coordinator = try #require(fleet.coordinator)
            let started = Date()
            coordinator.stop(grace: 30)
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(coordinator.process.terminationReason == .exit)
            #expect(coordinator.process.terminationStatus == 0)
            fleet.coordinator = nil
        }
    }

    @Test func operatorRolesLimitWhatEachCredentialMayDo() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("whiskey", token: try fleet.token())
            _ = try await fleet.waitForReady(["whiskey"])
            let made = try fleet.cli(["operator", "create", "vera", "--role", "viewer", "--out", fleet.root + "/operators/vera"])
            #expect(made.status == 0, "\(made.stderr)")
            // Otto gets an operator credential and the root adds his signing key.
            _ = try fleet.addOperator("otto")
            func cli(_ who: String, _ arguments: [String]) throws -> CommandResult {
                try runCommand(TestFleet.coordinatorBinary, arguments + ["--operator-config", fleet.root + "/operators/\(who)/operator.yaml"])
            }
            // A viewer reads, and may not run or mint.
            #expect(try cli("vera", ["nodes", "list"]).stdout.contains("whiskey"))
            let viewerRun = try cli("vera", ["task", "run", "--command", "true", "--wait"])
            #expect(viewerRun.status == 1)
            #expect(viewerRun.stderr.contains("auth.forbidden"))
            // An operator runs tasks, and may not mint tokens or issue credentials.
            #expect(try cli("otto", ["task", "run", "--command", "echo by-otto", "--wait"]).stdout.contains("by-otto"))
            #expect(try cli("otto", ["token", "create"]).stderr.contains("auth.forbidden"))
            #expect(try cli("otto", ["operator", "create", "mallory", "--role", "admin", "--out", fleet.root + "/mallory"]).stderr.contains("auth.forbidden"))
            // The audit log names who did it.
            let tasks = try await fleet.admin().get("/v1/tasks", as: TaskListResponse.self).tasks
            #expect(tasks.first?.createdBy == "otto")
        }
    }
}
}

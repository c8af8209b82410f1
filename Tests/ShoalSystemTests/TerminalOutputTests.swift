import Foundation
import ShoalCore
import Testing

/// A hostile node tries to name itself with escape sequences (refused: a hostname is DNS
/// characters only) and prints them from a step: `task status` and `task output` on a terminal
/// show them escaped (no raw ESC reaches stdout), while `--json` and piped output keep the bytes.
extension SystemTests {
@Suite(.serialized)
struct TerminalOutputTests {
    /// Retitles the window, rings the bell, and would hide the rest of the line behind a CR.
    static let hostname = "evil\u{1B}]0;owned\u{07}\u{202E}node"
    static let printed = "ok\u{1B}[2J\rFAKE"

    @Test func tablesEscapeWhatANodeSaysAndJSONKeepsItExact() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // The escape-laden name never gets in: the agent's config check refuses it first.
            let path = try fleet.agentConfig("evil", token: try fleet.token(labels: ["pool=tty"]))
            var config = try AgentConfig.load(path: path)
            let goodName = try #require(config.nodeName)
            config.nodeName = Self.hostname
            try SecureFile.write(config.yamlText(), to: path)
            let refused = try runCommand(TestFleet.agentBinary, ["run", "--config", path])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("is not a hostname") && refused.stderr.contains("config.invalid"), "\(refused.stderr)")

            config.nodeName = goodName
            try SecureFile.write(config.yamlText(), to: path)
            fleet.agents["evil"] = try ChildProcess(TestFleet.agentBinary, ["run", "--config", path], logPath: fleet.root + "/agents/evil/agent.log")
            let node = try #require(try await fleet.waitForReady([goodName])[goodName])

            // Step output: the table's OUTPUT column is escaped, JSON is exact.
            let run = try fleet.cli(["task", "run", "--command", "printf 'ok\\033[2J\\rFAKE\\n'", "--selector", "pool=tty", "--wait", "--json"])
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(view.nodes.first?.firstLine == Self.printed)
            #expect(view.nodes.first?.hostname == goodName)
            let status = try fleet.cli(["task", "status", view.id])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(!status.stdout.utf8.contains(0x1B) && !status.stdout.contains("\r"), "\(status.stdout.debugDescription)")
            #expect(status.stdout.contains("ok\\x1b[2J\\rFAKE"), "\(status.stdout)")

            // `task output`: piped, the bytes as sent; on a terminal (a pty from script(1)), escaped.
            let piped = try fleet.cli(["task", "output", view.id, node.id])
            #expect(piped.stdout.contains(Self.printed + "\n"), "\(piped.stdout.debugDescription)")
            let command = [TestFleet.coordinatorBinary, "task", "output", view.id, node.id, "--data-dir", fleet.dataDir].joined(separator: " ")
            let terminal = try runCommand("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
            #expect(terminal.status == 0, "\(terminal.stderr)")
            #expect(!terminal.stdout.utf8.contains(0x1B) && terminal.stdout.contains("ok\\x1b[2J\\rFAKE"), "\(terminal.stdout.debugDescription)")
            let raw = try runCommand("/usr/bin/script", ["-q", "-e", "-c", command + " --raw", "/dev/null"])
            #expect(raw.stdout.utf8.contains(0x1B), "--raw writes the bytes: \(raw.stdout.debugDescription)")
        }
    }
}
}

import Foundation
import ShoalCore
import ShoalTestSupport

/// Runs the debug agent's `agent apply` inside a testbed node and decodes its JSON report.
struct NodeAgent {
    static let agent = Testbed.packageRoot + "/.build/debug/agent"

    static func binds() async throws -> [String] {
        [Testbed.packageRoot + "/.build"] + (try await Testbed.runtimeBinds(forExecutable: agent))
    }

    struct Run {
        var status: Int32
        var report: LocalTaskRunReport?
        var stderr: String
        var stdout: String
    }

    /// The fields of `agent apply --json` the tests read.
    struct LocalTaskRunReport: Decodable {
        var status: BundleStatus
        var errorCode: ShoalError.Code?
        var steps: [StepResult]
        func step(_ name: String) -> StepResult? { steps.first { $0.name == name } }
    }

    static func apply(_ node: TestbedNode, _ yaml: String, check: Bool = false, vars: [String] = [], timeout: Duration = .seconds(600)) async throws -> Run {
        let path = "/root/task-\(UUID().uuidString.prefix(8)).yaml"
        try await node.writeFile(path: path, contents: Data(yaml.utf8), mode: 0o600)
        var argv = [agent, "apply", path, "--json"] + vars.flatMap { ["--var", $0] }
        if check { argv.append("--check") }
        let result = try await node.exec(argv, timeout: timeout)
        let report = try? WireCoding.decode(LocalTaskRunReport.self, from: Data(result.stdout.utf8))
        return Run(status: result.status, report: report, stderr: result.stderr, stdout: result.stdout)
    }

    /// A fingerprint of what configuration lives on the node, to prove check mode changed nothing.
    static func fingerprint(_ node: TestbedNode) async throws -> String {
        let result = try await node.exec(["/bin/sh", "-c",
            "find /etc /usr/local /var/lib/dpkg/status /home -xdev \\( -type f -o -type l -o -type d \\) -printf '%p %m %u %g %s %T@\\n' 2>/dev/null | sort | md5sum; systemctl list-unit-files --no-legend | md5sum; cat /proc/sys/net/ipv4/ip_forward"])
        return result.stdout
    }
}

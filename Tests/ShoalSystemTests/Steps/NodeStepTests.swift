import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// apt and systemd steps on real systemd Debian 12 nodes (the testbed): check mode reports and
/// changes nothing, apply changes, a second apply is unchanged, failures leave the node as it was.
extension SystemTests {
@Suite(.serialized)
struct NodeStepTests {
    @Test func aptInstallsOnlyWhatIsMissingAndRefusesUnknownPackages() async throws {
        try await Testbed.withNodes(count: 1, binds: try await NodeAgent.binds()) { nodes in
            let node = nodes[0]
            let task = """
                name: apt
                steps:
                  - name: hello
                    apt: { packages: [hello], cacheMaxAgeSeconds: 0 }
                """
            let before = try await NodeAgent.fingerprint(node)
            let check = try await NodeAgent.apply(node, task, check: true)
            // A fresh node has never fetched package lists: check mode cannot know 'hello' yet, and says so.
            let checked = try #require(check.report?.step("hello"), "\(check.stdout) \(check.stderr)")
            #expect(checked.status == .unknown)
            #expect(checked.message?.contains("would refresh the package lists first") == true)
            #expect(try await NodeAgent.fingerprint(node) == before)
            #expect(try await node.exec(["dpkg-query", "-W", "hello"]).status != 0)

            let apply = try await NodeAgent.apply(node, task)
            #expect(apply.status == 0, "\(apply.stdout) \(apply.stderr)")
            #expect(apply.report?.step("hello")?.status == .changed)
            #expect(apply.report?.step("hello")?.diff?.contains("+ hello") == true)
            #expect(try await node.exec(["/usr/bin/hello"]).stdout.contains("Hello, world!"))

            let again = try await NodeAgent.apply(node, task)
            #expect(again.report?.step("hello")?.status == .unchanged)
            let recheck = try await NodeAgent.apply(node, task, check: true)
            #expect(recheck.report?.step("hello")?.status == .unchanged)

            let packagesBefore = try await node.exec(["dpkg-query", "-W"]).stdout
            let unknown = try await NodeAgent.apply(node, """
                name: unknown
                steps:
                  - name: two
                    apt: { packages: [cowsay, no-such-package-shoal] }
                """)
            #expect(unknown.status == 1)
            #expect(unknown.report?.step("two")?.errorCode == .aptPackageNotFound)
            #expect(unknown.report?.step("two")?.message?.contains("no-such-package-shoal") == true)
            #expect(try await node.exec(["dpkg-query", "-W"]).stdout == packagesBefore)

            let remove = try await NodeAgent.apply(node, "name: rm\nsteps:\n  - name: rm\n    apt: { packages: [hello], state: absent }\n")
            #expect(remove.report?.step("rm")?.status == .changed)
            #expect(try await node.exec(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "hello"]).stdout.hasPrefix("ii") == false)
        }
    }

    static let service = """
        name: service
        steps:
          - name: config
            file: { path: /etc/demo.conf, content: "{{message}}\\n" }
            notify: restart demo
          - name: unit
            systemd:
              unit: demo
              content: |
                [Unit]
                Description=demo
                [Service]
                ExecStart=/bin/sh -c 'cat /etc/demo.conf; exec sleep infinity'
                DynamicUser=yes
                ProtectSystem=strict
                [Install]
                WantedBy=multi-user.target
              enabled: true
              state: started
        handlers:
          - name: restart demo
            systemd: { unit: demo, state: restarted }
        """

    @Test func systemdInstallsEnablesStartsAndRestartsOnlyOnNotify() async throws {
        try await Testbed.withNodes(count: 1, binds: try await NodeAgent.binds()) { nodes in
            let node = nodes[0]
            let before = try await NodeAgent.fingerprint(node)
            let check = try await NodeAgent.apply(node, Self.service, check: true, vars: ["message=one"])
            let unit = try #require(check.report?.step("unit"))
            #expect(unit.status == .changed)
            #expect(unit.message?.contains("would install /etc/systemd/system/demo.service") == true)
            #expect(unit.message?.contains("enable demo.service") == true)
            #expect(unit.diff?.contains("+ExecStart=") == true)
            #expect(try await NodeAgent.fingerprint(node) == before)

            let apply = try await NodeAgent.apply(node, Self.service, vars: ["message=one"])
            #expect(apply.status == 0, "\(apply.stdout) \(apply.stderr)")
            #expect(apply.report?.steps.map(\.name) == ["config", "unit", "restart demo"])
            #expect(try await node.exec(["systemctl", "is-active", "demo"]).stdout == "active\n")
            #expect(try await node.exec(["systemctl", "is-enabled", "demo"]).stdout == "enabled\n")
            let pid = try await node.exec(["systemctl", "show", "-p", "MainPID", "--value", "demo"]).stdout

            let again = try await NodeAgent.apply(node, Self.service, vars: ["message=one"])
            #expect(again.report?.steps.map(\.status) == [.unchanged, .unchanged])
            #expect(try await node.exec(["systemctl", "show", "-p", "MainPID", "--value", "demo"]).stdout == pid)

            let changed = try await NodeAgent.apply(node, Self.service, vars: ["message=two"])
            #expect(changed.report?.steps.map(\.status) == [.changed, .unchanged, .changed])
            let newPID = try await node.exec(["systemctl", "show", "-p", "MainPID", "--value", "demo"]).stdout
            #expect(newPID != pid)
            #expect(try await node.exec(["journalctl", "-u", "demo", "-o", "cat", "--no-pager"]).stdout.contains("two"))

            let broken = try await NodeAgent.apply(node, """
                name: broken
                steps:
                  - name: bad
                    systemd:
                      unit: broken
                      content: "[Service]\\nExecStart=/bin/false\\n"
                      state: started
                """)
            #expect(broken.status == 1)
            #expect([ShoalError.Code.systemdStartFailed, .systemdFailed].contains(broken.report?.step("bad")?.errorCode ?? .internalError))
        }
    }
}
}

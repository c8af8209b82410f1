import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing

/// The ufw step driving the real ufw on a `--datadir` copy of this host's ufw files. ufw is
/// never enabled here: with the firewall off, ufw only rewrites its files.
@Suite("Ufw step")
struct UfwStepTests {
    let dir: TemporaryDirectory
    let data: String
    let sshdConfig: String

    init() throws {
        dir = try TemporaryDirectory()
        data = try SystemStepFixtures.ufwDatadir(in: dir)
        sshdConfig = try dir.write("sshd_config", "Include /nonexistent/*.conf\nPort 22\n")
    }

    func step(_ params: [String: JSONValue], ufw: String = "/usr/sbin/ufw") throws -> UfwStep {
        try UfwStep(spec: SystemStepFixtures.spec(UfwStep.kind, params), paths: .init(ufw: ufw, datadir: data, sshdConfig: sshdConfig))
    }

    func rule(_ port: String, proto: String? = "tcp", from: String? = nil, action: String? = nil, comment: String? = nil) -> JSONValue {
        var fields: [String: JSONValue] = ["port": .string(port)]
        if let proto { fields["proto"] = .string(proto) }
        if let from { fields["from"] = .string(from) }
        if let action { fields["action"] = .string(action) }
        if let comment { fields["comment"] = .string(comment) }
        return .object(fields)
    }

    /// The executor role from the GPU marketplace table: SSH, gRPC 50051, metrics 9090 from the VPC.
    var executor: [String: JSONValue] {
        [
            "defaultIncoming": .string("deny"), "defaultOutgoing": .string("allow"),
            "rules": .array([rule("22", comment: "ssh"), rule("50051", comment: "executor grpc"), rule("9090", from: "10.0.0.0/8", comment: "metrics")]),
        ]
    }

    var state: UfwState { get throws { try UfwState.read(.init(datadir: data)) } }

    @Test("tuples written by the real ufw parse back: action, ports, sources, hex comments, apps, interfaces")
    func parseRealRules() async throws {
        for words in [["limit", "2222/tcp"], ["allow", "from", "10.0.0.0/8", "to", "any", "port", "9090", "proto", "tcp", "comment", "metrics node"],
                      ["deny", "8000:8100/udp"], ["allow", "OpenSSH"], ["allow", "in", "on", "eth0", "to", "any", "port", "8080"]] {
            try await SystemStepFixtures.run(["/usr/sbin/ufw", "--datadir=\(data)"] + words, in: dir)
        }
        let rules = try state.rules
        #expect(rules.contains(UfwTuple(action: "limit", proto: "tcp", dport: "2222", dst: "0.0.0.0/0", sport: "any", src: "0.0.0.0/0", direction: "in", comment: nil, ipv6: false)))
        #expect(rules.contains(UfwTuple(action: "allow", proto: "tcp", dport: "9090", dst: "0.0.0.0/0", sport: "any", src: "10.0.0.0/8", direction: "in", comment: "metrics node", ipv6: false)))
        #expect(rules.contains(UfwTuple(action: "deny", proto: "udp", dport: "8000:8100", dst: "::/0", sport: "any", src: "::/0", direction: "in", comment: nil, ipv6: true)))
        let app = try #require(rules.first { $0.dapp == "OpenSSH" && !$0.ipv6 })
        #expect(app.allowsIncomingTCP(port: 22))
        let interface = try #require(rules.first { $0.direction == "in_eth0" && !$0.ipv6 })
        #expect(interface.commandWords == ["allow", "in", "on", "eth0", "from", "any", "to", "any", "port", "8080"])
        #expect(try state.defaultIncoming == "deny" && state.enabled == false && state.ipv6)
    }

    @Test("check lists what it would do and runs nothing")
    func checkMode() async throws {
        let before = SystemStepFixtures.read(data + "/etc/ufw/user.rules")
        let outcome = try await step(executor).check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.message?.contains("would add rule allow proto tcp from 10.0.0.0/8 to any port 9090 comment metrics") == true)
        #expect(SystemStepFixtures.read(data + "/etc/ufw/user.rules") == before)
    }

    @Test("apply adds the role's rules (v4 and v6) and policies through ufw; a second apply is unchanged")
    func applyThenUnchanged() async throws {
        var params = executor
        params["defaultIncoming"] = .string("reject")
        let first = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(first.status == .changed, "\(first.message ?? "")")
        let now = try state
        #expect(now.defaultIncoming == "reject")
        #expect(now.rules.filter { $0.dport == "22" }.count == 2)
        #expect(now.rules.contains { $0.dport == "9090" && $0.src == "10.0.0.0/8" && $0.comment == "metrics" })
        #expect(!now.rules.contains { $0.dport == "9090" && $0.ipv6 })
        #expect(first.diff?.contains("+rule: allow 50051/tcp from anywhere # executor grpc") == true)
        #expect(now.enabled == false)
        let second = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(second.status == .unchanged, "\(second.message ?? "")")
    }

    @Test("rules not listed stay, unless purge: true deletes them")
    func purge() async throws {
        try await SystemStepFixtures.run(["/usr/sbin/ufw", "--datadir=\(data)", "allow", "8091/tcp"], in: dir)
        _ = try await step(executor).apply(in: SystemStepFixtures.context(dir))
        #expect(try state.rules.contains { $0.dport == "8091" })
        var params = executor
        params["purge"] = .bool(true)
        let outcome = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed, "\(outcome.message ?? "")")
        #expect(outcome.message?.contains("delete rule allow 8091/tcp from anywhere") == true)
        #expect(try !state.rules.contains { $0.dport == "8091" })
        #expect(try state.rules.filter { $0.dport == "22" }.count == 2)
    }

    @Test("a changed comment updates the rule in place")
    func commentChange() async throws {
        _ = try await step(executor).apply(in: SystemStepFixtures.context(dir))
        var params = executor
        params["rules"] = .array([rule("22", comment: "ssh for ops")])
        #expect(try await step(params).apply(in: SystemStepFixtures.context(dir)).status == .changed)
        #expect(try state.rules.filter { $0.dport == "22" }.allSatisfy { $0.comment == "ssh for ops" })
    }

    @Test("enabling default-deny without an SSH rule is refused with ufw.would_lock_out; the port comes from sshd_config")
    func lockout() async throws {
        let params: [String: JSONValue] = ["defaultIncoming": .string("deny"), "enabled": .bool(true), "rules": .array([rule("22")])]
        try "Port 2222\n".write(toFile: sshdConfig, atomically: true, encoding: .utf8)
        let refused = try await step(params).check(in: SystemStepFixtures.context(dir))
        #expect(refused.errorCode == "ufw.would_lock_out")
        #expect(refused.message?.contains("2222") == true)
        var fine = params
        fine["rules"] = .array([rule("2222", action: "limit")])
        let allowed = try await step(fine).check(in: SystemStepFixtures.context(dir))
        #expect(allowed.status == .changed)
        #expect(allowed.message?.contains("would enable ufw") == true)
        var waived = params
        waived["allowNoSsh"] = .bool(true)
        #expect(try await step(waived).check(in: SystemStepFixtures.context(dir)).status == .changed)
    }

    @Test("without ufw installed the step fails with ufw.not_installed")
    func notInstalled() async throws {
        let outcome = try await step(executor, ufw: dir.file("no-ufw")).check(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "ufw.not_installed")
        #expect(outcome.message?.contains("apt step for ufw") == true)
    }

    @Test("when a ufw command fails midway, ufw's files are put back as they were")
    func restoreOnFailure() async throws {
        // The real ufw, except that setting a default policy fails.
        let wrapper = try dir.write("ufw-wrapper", "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = default ] && { echo 'ERROR: simulated' >&2; exit 1; }; done\nexec /usr/sbin/ufw \"$@\"\n")
        chmod(wrapper, 0o755)
        let before = SystemStepFixtures.read(data + "/etc/ufw/user.rules")
        var params = executor
        params["defaultIncoming"] = .string("reject")
        let outcome = try await step(params, ufw: wrapper).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == "ufw.command_failed")
        #expect(outcome.message?.contains("simulated") == true)
        #expect(SystemStepFixtures.read(data + "/etc/ufw/user.rules") == before)
    }

    @Test("bad actions, protocols, ports and port ranges without a protocol are step.invalid")
    func invalid() throws {
        #expect(throws: ShoalError.self) { try step(["rules": .array([rule("22", action: "permit")])]) }
        #expect(throws: ShoalError.self) { try step(["rules": .array([rule("22", proto: "icmp")])]) }
        #expect(throws: ShoalError.self) { try step(["rules": .array([rule("70000")])]) }
        #expect(throws: ShoalError.self) { try step(["rules": .array([rule("8000:8100", proto: nil)])]) }
        #expect(throws: ShoalError.self) { try step(["defaultIncoming": .string("drop")]) }
    }
}

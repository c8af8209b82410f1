import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing

/// The ufw step's second lock-out guard: a default-deny outgoing policy must still let the
/// agent reach its coordinator, or no later task could undo it. Real ufw on a `--datadir` copy.
@Suite("Ufw step: the coordinator stays reachable")
struct UfwOutgoingGuardTests {
    let dir: TemporaryDirectory
    let data: String
    let sshdConfig: String

    init() throws {
        dir = try TemporaryDirectory()
        data = try SystemStepFixtures.ufwDatadir(in: dir)
        sshdConfig = try dir.write("sshd_config", "Include /nonexistent/*.conf\nPort 22\n")
    }

    func check(_ params: [String: JSONValue], coordinator: String? = "https://10.0.0.1:8443", alsoFailoverTo others: [String] = []) async throws -> StepOutcome {
        let step = try UfwStep(spec: SystemStepFixtures.spec(UfwStep.kind, params), paths: .init(datadir: data, sshdConfig: sshdConfig))
        var context = SystemStepFixtures.context(dir)
        context.coordinators = ([coordinator].compactMap { $0 } + others).compactMap(CoordinatorAddress.init(url:))
        return await step.check(in: context)
    }

    func locked(with rules: [JSONValue]) -> [String: JSONValue] {
        ["defaultIncoming": .string("deny"), "defaultOutgoing": .string("deny"), "enabled": .bool(true),
         "rules": .array([.object(["port": .string("22"), "proto": .string("tcp")])] + rules)]
    }

    func out(_ port: String, to: String? = nil, proto: String = "tcp") -> JSONValue {
        var fields: [String: JSONValue] = ["port": .string(port), "proto": .string(proto), "direction": .string("out")]
        if let to { fields["to"] = .string(to) }
        return .object(fields)
    }

    @Test("outgoing deny without a way to the coordinator is refused, naming its address and the rule to add")
    func refusedWithoutARule() async throws {
        let refused = try await check(locked(with: []))
        #expect(refused.errorCode == "ufw.would_lock_out")
        #expect(refused.message?.contains("reach its coordinator at 10.0.0.1:8443") == true, "\(refused.message ?? "")")
        #expect(refused.message?.contains("{direction: out, to: 10.0.0.1, port: 8443, proto: tcp}") == true)
        // A rule to another network or port does not count.
        #expect(try await check(locked(with: [out("8443", to: "10.1.0.0/16")])).errorCode == "ufw.would_lock_out")
        #expect(try await check(locked(with: [out("443", to: "10.0.0.1")])).errorCode == "ufw.would_lock_out")
        // Outgoing allowed, or the firewall off: nothing to guard.
        var open = locked(with: [])
        open["defaultOutgoing"] = .string("allow")
        #expect(try await check(open).status == .changed)
        var off = locked(with: [])
        off["enabled"] = .bool(false)
        let disabled = try await check(off)
        #expect(disabled.errorCode == nil && disabled.status == .changed, "\(disabled.message ?? "")")
    }

    @Test("a rule to the coordinator's network, or to anywhere on its port, lets it through; allowNoCoordinator waives it")
    func allowedWithARule() async throws {
        for rule in [out("8443", to: "10.0.0.0/8"), out("8443", to: "10.0.0.1"), out("8000:9000", to: "10.0.0.0/24"), out("8443")] {
            let outcome = try await check(locked(with: [rule]))
            #expect(outcome.status == .changed, "\(rule): \(outcome.message ?? "")")
            #expect(outcome.message?.contains("would add rule allow out proto tcp from any to") == true)
        }
        var waived = locked(with: [])
        waived["allowNoCoordinator"] = .bool(true)
        #expect(try await check(waived).status == .changed)
        // Outside a fleet (`agent apply` on a machine with no coordinator) there is nothing to reach.
        #expect(try await check(locked(with: []), coordinator: nil).status == .changed)
    }

    @Test("with several coordinator URLs each one must stay reachable: the agent fails over to any of them")
    func everyFailoverURLIsGuarded() async throws {
        let replicas = ["https://10.0.0.2:8443", "https://10.0.0.3:9443"]
        let onlyFirst = try await check(locked(with: [out("8443", to: "10.0.0.1")]), alsoFailoverTo: replicas)
        #expect(onlyFirst.errorCode == "ufw.would_lock_out")
        #expect(onlyFirst.message?.contains("10.0.0.2:8443") == true, "\(onlyFirst.message ?? "")")
        let notTheThird = try await check(locked(with: [out("8443", to: "10.0.0.0/24")]), alsoFailoverTo: replicas)
        #expect(notTheThird.message?.contains("10.0.0.3:9443") == true, "\(notTheThird.message ?? "")")
        let all = try await check(locked(with: [out("8443", to: "10.0.0.0/24"), out("9443", to: "10.0.0.3")]), alsoFailoverTo: replicas)
        #expect(all.errorCode == nil && all.status == .changed, "\(all.message ?? "")")
    }

    @Test("a coordinator reached by name needs each address it resolves to and DNS out")
    func namedCoordinatorNeedsDNS() async throws {
        let noDNS = try await check(locked(with: [out("8443")]), coordinator: "https://localhost:8443")
        #expect(noDNS.errorCode == "ufw.would_lock_out")
        #expect(noDNS.message?.contains("no rule lets DNS out") == true, "\(noDNS.message ?? "")")
        let fine = try await check(locked(with: [out("8443"), out("53", proto: "udp")]), coordinator: "https://localhost:8443")
        #expect(fine.status == .changed, "\(fine.message ?? "")")
        let unresolvable = try await check(locked(with: [out("8443"), out("53", proto: "udp")]), coordinator: "https://no-such-host.invalid:8443")
        #expect(unresolvable.errorCode == "ufw.would_lock_out")
        #expect(unresolvable.message?.contains("does not resolve") == true, "\(unresolvable.message ?? "")")
    }

    @Test("outgoing rules are written by the real ufw, read back, and a second apply is unchanged")
    func outgoingRulesApplyOnce() async throws {
        let params: [String: JSONValue] = ["rules": .array([out("8443", to: "10.0.0.1"), out("53", proto: "udp")])]
        let step = try UfwStep(spec: SystemStepFixtures.spec(UfwStep.kind, params), paths: .init(datadir: data, sshdConfig: sshdConfig))
        let first = await step.apply(in: SystemStepFixtures.context(dir))
        #expect(first.status == .changed, "\(first.message ?? "")")
        let rules = try UfwState.read(.init(datadir: data)).rules
        #expect(rules.contains { $0.direction == "out" && $0.dst == "10.0.0.1" && $0.dport == "8443" && $0.proto == "tcp" })
        #expect(rules.filter { $0.direction == "out" && $0.dport == "53" }.count == 2)
        #expect(first.diff?.contains("+rule: allow out 8443/tcp to 10.0.0.1") == true, "\(first.diff ?? "")")
        #expect(await step.apply(in: SystemStepFixtures.context(dir)).status == .unchanged)
    }

    @Test("from on an outgoing rule, to on an incoming one, and other directions are step.invalid")
    func badOutgoingRules() throws {
        for rule: JSONValue in [
            .object(["port": .string("80"), "direction": .string("out"), "from": .string("10.0.0.1")]),
            .object(["port": .string("80"), "to": .string("10.0.0.1")]),
            .object(["port": .string("80"), "direction": .string("sideways")]),
            .object(["port": .string("80"), "direction": .string("out"), "to": .string("example.com")]),
        ] {
            #expect(throws: ShoalError.self) { try UfwStep(spec: SystemStepFixtures.spec(UfwStep.kind, ["rules": .array([rule])])) }
        }
    }
}

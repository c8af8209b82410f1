import Foundation
import ShoalCore

/// The two ways a firewall change can leave a node unreachable: no way in for the operator's
/// SSH, and no way out to the coordinator (after which no later task could undo it).
extension UfwStep {
    /// The rules as they will be once `plan` is carried out.
    func finalRules(_ state: UfwState, _ plan: Plan) -> [UfwTuple] {
        state.rules.filter { rule in !plan.delete.contains { $0.commandWords == rule.commandWords } }
            + plan.add.flatMap { $0.tuples(ipv6Enabled: state.ipv6) }
    }

    /// The firewall would end up on with incoming denied: some rule must let SSH in.
    func refuseLockout(_ state: UfwState, _ plan: Plan) throws {
        let enabled = params.enabled ?? state.enabled
        let incoming = params.defaultIncoming ?? state.defaultIncoming
        guard enabled, incoming != "allow", params.allowNoSsh != true, !plan.isEmpty else { return }
        let rules = finalRules(state, plan)
        let ports = SshdConfig.read(main: paths.sshdConfig).ports
        let sshOpen = ports.contains { port in rules.contains { $0.allowsIncomingTCP(port: port) } }
        guard !sshOpen else { return }
        let portText = ports.map(String.init).joined(separator: ", ")
        throw ShoalError(.ufwWouldLockOut, "refusing: ufw would be on with incoming \(incoming) and no rule allowing SSH (tcp port \(portText), where sshd listens); add a rule like {port: \(ports.first ?? 22), proto: tcp} — or set allowNoSsh: true if the node is reached another way")
    }

    /// The firewall would end up on with outgoing denied: some rule must let the agent reach
    /// each of its coordinator URLs (every address each name has now: the agent fails over to
    /// any of them), and DNS out when one is a name.
    func refuseCoordinatorCutOff(_ state: UfwState, _ plan: Plan, coordinators: [CoordinatorAddress]) throws {
        let enabled = params.enabled ?? state.enabled
        let outgoing = params.defaultOutgoing ?? state.defaultOutgoing
        guard enabled, outgoing != "allow", params.allowNoCoordinator != true, !plan.isEmpty else { return }
        let rules = finalRules(state, plan)
        for coordinator in coordinators {
            try refuseCutOff(from: coordinator, state: state, rules: rules, outgoing: outgoing)
        }
    }

    private func refuseCutOff(from coordinator: CoordinatorAddress, state: UfwState, rules: [UfwTuple], outgoing: String) throws {
        let escape = "— or set allowNoCoordinator: true if this node should lose its coordinator"
        // With IPV6=no ufw does not filter IPv6 at all, so those addresses stay reachable.
        let resolved = coordinator.resolvedAddresses()
        let addresses = resolved.filter { state.ipv6 || !$0.contains(":") }
        let where_ = "\(coordinator.host):\(coordinator.port)"
        if !coordinator.isAddressLiteral, resolved.isEmpty {
            throw ShoalError(.ufwWouldLockOut, "refusing: ufw would be on with outgoing \(outgoing), and the coordinator's name \(coordinator.host) does not resolve here, so no rule can be shown to reach it; use an address in the agent's coordinator_url or allow outgoing traffic \(escape)")
        }
        let blocked = addresses.filter { address in !rules.contains { $0.allowsOutgoing(port: coordinator.port, proto: "tcp", to: address) } }
        if let first = blocked.first {
            throw ShoalError(.ufwWouldLockOut, "refusing: ufw would be on with outgoing \(outgoing) and no rule letting the agent reach its coordinator at \(where_) (tcp to \(blocked.joined(separator: ", "))); add a rule like {direction: out, to: \(first), port: \(coordinator.port), proto: tcp} \(escape)")
        }
        if !coordinator.isAddressLiteral, !rules.contains(where: { $0.allowsOutgoing(port: 53, proto: "udp", to: nil) }) {
            throw ShoalError(.ufwWouldLockOut, "refusing: ufw would be on with outgoing \(outgoing) and the coordinator is reached by name (\(coordinator.host)), but no rule lets DNS out; add a rule like {direction: out, port: 53, proto: udp} \(escape)")
        }
    }
}

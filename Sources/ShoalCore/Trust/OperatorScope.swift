import Foundation

/// What one operator key may do, set by the fleet root in the trust document. Checked by the
/// coordinator before it accepts a task, and again by every agent on its own.
public struct OperatorScope: Codable, Sendable, Equatable {
    /// A selector over **labels** every targeted node must match (empty: every node). Facts
    /// are refused here: a node reports its own facts, and a scope must not depend on what a
    /// node says about itself.
    public var selector: String
    /// Step kinds this key may use; `["any"]` for all.
    public var kinds: [String]
    /// Whether `command` steps (arbitrary shell) are allowed, even with `any` kinds.
    public var commands: Bool

    public init(selector: String = "", kinds: [String] = ["any"], commands: Bool = false) {
        self.selector = selector
        self.kinds = kinds
        self.commands = commands
    }

    /// Everything: what `coordinator init` gives the first admin.
    public static let unrestricted = OperatorScope(selector: "", kinds: ["any"], commands: true)

    public func validate(operator name: String) throws {
        let parsed = try NodeSelector(parsing: selector)
        for term in parsed.terms where LabelText.reservation(of: term.key) != nil {
            throw ShoalError(.trustMalformed, "operator '\(name)': scope selector term '\(term)' names a fact or built-in; scopes select on labels only (facts are self-reported)")
        }
        for kind in kinds where kind != "any" && !StepKinds.known.contains(kind) {
            throw ShoalError(.trustMalformed, "operator '\(name)': scope names unknown step kind '\(kind)'")
        }
    }

    /// Whether a node with these authoritative labels is inside the scope.
    public func admits(labels: [String: String]) -> Bool {
        guard let parsed = try? NodeSelector(parsing: selector) else { return false }
        return parsed.matches { labels[$0] }
    }

    /// Nil when every step is allowed, else why not.
    public func refusal(for steps: [StepSpec]) -> String? {
        for step in steps {
            if step.kind == "command", !commands {
                return "step '\(step.displayName)' is a command; this key may not run commands"
            }
            if !kinds.contains("any"), !kinds.contains(step.kind) {
                return "step '\(step.displayName)' is of kind \(step.kind); this key may use \(kinds.joined(separator: ", "))"
            }
        }
        return nil
    }

    public var description: String {
        let where_ = selector.isEmpty ? "every node" : "nodes with \(selector)"
        return "\(where_); kinds \(kinds.joined(separator: ",")); commands \(commands ? "allowed" : "not allowed")"
    }
}

import Foundation
import ShoalCore

/// What templates and `when` conditions see on a node: the task's variables (top level),
/// the node's facts under `facts.` and its labels under `labels.`.
///
/// `{{deploy_user}}`, `{{facts.hostname}}`, `{{facts.gpu.count}}`, `{{labels.role}}`;
/// `when: gpu.count>0` and `when: role=compute` use selector keys (a label wins over a fact).
public struct TemplateContext: Sendable {
    public var nodeID: String
    public var vars: [String: JSONValue]
    public var labels: [String: String]
    public var facts: NodeFacts?

    public init(nodeID: String, vars: [String: JSONValue] = [:], labels: [String: String] = [:], facts: NodeFacts? = nil) {
        self.nodeID = nodeID
        self.vars = vars
        self.labels = labels
        self.facts = facts
    }

    /// Selector lookup for `when:`.
    public func value(for key: String) -> String? {
        SelectorFacts.value(for: key, id: nodeID, hostname: facts?.hostname ?? "", status: "ready", labels: labels, facts: facts)
    }

    /// The render object: plain dictionaries, arrays and strings, as Mustache walks them.
    public var object: [String: Any] {
        var root: [String: Any] = [:]
        for (name, value) in vars { root[name] = value.mustacheValue }
        var factTree: [String: Any] = ["id": nodeID]
        for key in SelectorFacts.keys {
            guard key != "status", let value = value(forFact: key) else { continue }
            factTree.insert(value, at: key.split(separator: ".").map(String.init))
        }
        root["facts"] = factTree
        root["labels"] = labels.mapValues { $0 as Any }
        root["node"] = ["id": nodeID as Any]
        return root
    }

    private func value(forFact key: String) -> String? {
        // Facts only: a label of the same name must not masquerade as a fact here.
        SelectorFacts.value(for: key, id: nodeID, hostname: facts?.hostname ?? "", status: "ready", labels: [:], facts: facts)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Sets a value at a dotted path, making the folders on the way (`gpu.count` -> gpu: {count}).
    mutating func insert(_ value: String, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value  // a text value replaces a folder made for a deeper key
            return
        }
        // A value already here wins over a deeper key (gpu.driver over gpu.driver.major).
        if self[first] is String { return }
        var child = self[first] as? [String: Any] ?? [:]
        child.insert(value, at: Array(path.dropFirst()))
        self[first] = child
    }
}

extension JSONValue {
    var mustacheValue: Any {
        switch self {
        case .null: return ""
        case .bool(let value): return value
        case .number: return text ?? ""
        case .string(let value): return value
        case .array(let values): return values.map(\.mustacheValue)
        case .object(let object): return object.mapValues(\.mustacheValue)
        }
    }
}

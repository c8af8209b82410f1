import Foundation
import Yams

extension TaskDocument {
    /// Parses a task file. Errors are `task.invalid` naming the file, the step and what is wrong.
    public init(yaml text: String, source: String) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ShoalError(.taskInvalid, "\(source) is not valid YAML: \(error)")
        }
        guard let root, case .mapping(let top) = root else {
            throw ShoalError(.taskInvalid, "\(source): a task file is a mapping with 'name' and 'steps'")
        }
        let allowed: Set<String> = ["name", "description", "vars", "steps", "handlers", "timeout"]
        for key in top.keys.compactMap(\.string) where !allowed.contains(key) {
            throw ShoalError(.taskInvalid, "\(source): unknown top-level key '\(key)' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
        guard let name = top["name"]?.string, !name.isEmpty else {
            throw ShoalError(.taskInvalid, "\(source): 'name' is required")
        }
        var vars: [String: JSONValue] = [:]
        if let node = top["vars"] {
            guard case .object(let object) = try JSONValue(yaml: node) else {
                throw ShoalError(.taskInvalid, "\(source): 'vars' must be a mapping of name: value")
            }
            vars = object
        }
        var timeout: Int?
        if let node = top["timeout"], let text = node.string {
            guard let seconds = try? DurationText.seconds(text) else {
                throw ShoalError(.taskInvalid, "\(source): timeout '\(text)' is not a duration like 90s, 10m or 1h")
            }
            timeout = seconds
        }
        self.init(
            name: name, description: top["description"]?.string, vars: vars,
            steps: try Self.steps(top["steps"], section: "steps", source: source),
            handlers: try Self.steps(top["handlers"], section: "handlers", source: source),
            timeoutSeconds: timeout
        )
        if steps.isEmpty {
            throw ShoalError(.taskInvalid, "\(source): 'steps' must list at least one step")
        }
    }

    private static func steps(_ node: Node?, section: String, source: String) throws -> [StepSpec] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else {
            throw ShoalError(.taskInvalid, "\(source): '\(section)' must be a list of steps")
        }
        return try items.enumerated().map { index, item in
            try step(item, label: "\(source): \(section)[\(index + 1)]")
        }
    }

    private static func step(_ node: Node, label: String) throws -> StepSpec {
        guard case .mapping(let mapping) = node else {
            throw ShoalError(.taskInvalid, "\(label) must be a mapping like '- name: ...\\n  file: {...}'")
        }
        let reserved: Set<String> = ["name", "when", "notify", "sensitive"]
        let kindKeys = mapping.keys.compactMap(\.string).filter { !reserved.contains($0) }
        guard kindKeys.count == 1, let kind = kindKeys.first else {
            throw ShoalError(.taskInvalid, "\(label) must name exactly one step kind besides name/when/notify/sensitive; found \(kindKeys.isEmpty ? "none" : kindKeys.joined(separator: ", "))")
        }
        let name = mapping["name"]?.string
        let shown = name.map { "\(label) ('\($0)')" } ?? label
        guard StepKinds.known.contains(kind) else {
            throw ShoalError(.stepUnknownKind, "\(shown): unknown step kind '\(kind)' (known: \(StepKinds.known.sorted().joined(separator: ", ")))")
        }
        var params = try mapping[kind].map { try JSONValue(yaml: $0) } ?? .object([:])
        // `command: "systemctl daemon-reload"` is shorthand for a script.
        if kind == "command", case .string(let script) = params {
            params = .object(["script": .string(script)])
        }
        guard case .object = params else {
            throw ShoalError(.taskInvalid, "\(shown): the '\(kind)' parameters must be a mapping")
        }
        var when: String?
        if let node = mapping["when"] {
            guard let text = node.string, !text.isEmpty else {
                throw ShoalError(.taskInvalid, "\(shown): 'when' must be a condition like gpu.count>0")
            }
            do {
                _ = try NodeSelector(parsing: text)
            } catch let error as ShoalError {
                throw ShoalError(.taskInvalid, "\(shown): 'when: \(text)' is not a valid condition: \(error.message)")
            }
            when = text
        }
        var notify: [String]?
        switch mapping["notify"] {
        case nil: break
        case .scalar(let scalar)?: notify = [scalar.string]
        case .sequence(let names)?: notify = names.compactMap(\.string)
        default: throw ShoalError(.taskInvalid, "\(shown): 'notify' must be a handler name or a list of them")
        }
        var sensitive: Bool?
        if let node = mapping["sensitive"] {
            guard case .scalar(let scalar) = node, scalar.style == .plain, let value = node.bool else {
                throw ShoalError(.taskInvalid, "\(shown): 'sensitive' must be true or false (unquoted)")
            }
            sensitive = value
        }
        return StepSpec(kind: kind, name: name, params: params, when: when, notify: notify, sensitive: sensitive)
    }
}

extension JSONValue {
    /// Converts YAML keeping what the author meant: quoted scalars stay text, plain ones are
    /// resolved by YAML's core schema (true, 3, 1.5, null), anything else is text.
    init(yaml node: Node) throws {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted || scalar.style == .literal || scalar.style == .folded {
                self = .string(scalar.string)
            } else if node.null != nil {
                self = .null
            } else if let value = node.bool {
                self = .bool(value)
            } else if let value = node.int {
                // 0644 is a file mode written as text, not YAML 1.1's octal 420.
                let text = scalar.string
                self = text.count > 1 && text.hasPrefix("0") && text.allSatisfy(\.isNumber) ? .string(text) : .number(Double(value))
            } else if let value = node.float {
                // A release like 22.10 stays text: as a number it would print as 22.1.
                self = String(value) == scalar.string ? .number(value) : .string(scalar.string)
            } else {
                self = .string(scalar.string)
            }
        case .sequence(let items):
            self = .array(try items.map { try JSONValue(yaml: $0) })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw ShoalError(.taskInvalid, "mapping keys must be text") }
                object[name] = try JSONValue(yaml: value)
            }
            self = .object(object)
        case .alias:
            throw ShoalError(.taskInvalid, "YAML aliases are not supported in task files; repeat the value")
        }
    }
}

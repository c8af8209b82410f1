import Foundation

/// What each step kind's parameters may hold, declared once. The coordinator checks every
/// step of a task against it before anything is signed (`POST /v1/tasks`, `POST
/// /v1/schedules`), and the agent checks each step again, after rendering its templates,
/// before the step is built — so a value the API refused can never reach a node by another
/// path, and a rendered value is held to the same bounds.
///
/// Rules name top-level parameters. A kind's own deeper checks (paths, states, versions)
/// stay with the kind on the agent; these are the bounds and types both sides must agree on.
public enum StepParameterRule: Sendable {
    /// A whole number in the range. A numeric string ("30", what a template or YAML may give)
    /// counts; a fraction, text or boolean does not.
    case integer(String, ClosedRange<Int>)
    /// A number in the range; a numeric string counts.
    case number(String, ClosedRange<Double>)
    /// Text only: a JSON number or boolean is refused instead of being turned into text
    /// (shell code written as a bare YAML number is a mistake, not a script).
    case text(String)
    /// Exactly one of these is present and not empty.
    case exactlyOne([String])
}

public enum StepParameterRules {
    /// The longest a single step may be given, the same bound as a task's `timeoutSeconds`.
    public static let maxTimeoutSeconds = 7 * 86400

    /// The rules of each kind; a kind not listed has none here.
    public static let byKind: [String: [StepParameterRule]] = [
        "command": [
            .exactlyOne(["argv", "script"]), .text("script"), .text("unless"),
            .integer("timeoutSeconds", 1...maxTimeoutSeconds),
        ],
        "nvidia": [.integer("timeoutSeconds", 1...maxTimeoutSeconds), .integer("minCount", 0...4096)],
        "health_check": [
            .number("timeoutSeconds", 0.001...3600), .integer("retries", 0...1000), .number("intervalSeconds", 0...3600),
        ],
        "apt": [.integer("lockTimeoutSeconds", 0...86400), .integer("cacheMaxAgeSeconds", 0...maxTimeoutSeconds)],
        "docker_container": [.integer("stopTimeout", 0...3600)],
    ]

    /// Checks `step` against its kind's rules; `step.invalid` naming the step and the field.
    /// With `deferTemplates` (the coordinator, before the node renders them) a string holding
    /// `{{` is left for the agent to check once it is rendered.
    public static func validate(_ step: StepSpec, deferTemplates: Bool = false) throws {
        guard let rules = byKind[step.kind] else { return }
        let params: [String: JSONValue]
        switch step.params {
        case .object(let object): params = object
        case .null: params = [:]
        default: throw invalid(step, "its parameters must be an object of named values")
        }
        for rule in rules {
            if let problem = problem(rule, params, deferTemplates: deferTemplates) { throw invalid(step, problem) }
        }
    }

    static func problem(_ rule: StepParameterRule, _ params: [String: JSONValue], deferTemplates: Bool) -> String? {
        switch rule {
        case .integer(let field, let range):
            guard let value = params[field], value != .null else { return nil }
            if deferTemplates, case .string(let text) = value, text.contains("{{") { return nil }
            guard let number = numeric(value), number.rounded() == number, number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
                return "'\(field)' must be a whole number from \(range.lowerBound) to \(range.upperBound), got \(shown(value))"
            }
            return nil
        case .number(let field, let range):
            guard let value = params[field], value != .null else { return nil }
            if deferTemplates, case .string(let text) = value, text.contains("{{") { return nil }
            guard let number = numeric(value), range.contains(number) else {
                return "'\(field)' must be a number from \(range.lowerBound) to \(range.upperBound), got \(shown(value))"
            }
            return nil
        case .text(let field):
            switch params[field] {
            case nil, .null?, .string?: return nil
            case let value?: return "'\(field)' must be text, got \(shown(value)); quote it if it is meant as text"
            }
        case .exactlyOne(let fields):
            let given = fields.filter { field in
                switch params[field] {
                case .string(let text)?: !text.isEmpty
                case .array(let items)?: !items.isEmpty
                case nil, .null?: false
                default: true
                }
            }
            guard given.count == 1 else {
                return "needs exactly one of a non-empty " + fields.map { "'\($0)'" }.joined(separator: " or ")
                    + (given.isEmpty ? "; it has none" : "; it has " + given.joined(separator: " and "))
            }
            return nil
        }
    }

    static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let number): number.isFinite ? number : nil
        case .string(let text): Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }

    static func shown(_ value: JSONValue) -> String {
        let text = (try? WireCoding.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    static func invalid(_ step: StepSpec, _ problem: String) -> ShoalError {
        ShoalError(.stepInvalid, "step '\(step.displayName)' (\(step.kind)): \(problem)")
    }
}

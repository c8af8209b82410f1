/// The variable names a Mustache template uses outside sections (inside a section names
/// belong to the section's items). Shared by the compiler, which refuses a task whose
/// variables are not set before any node sees it, and the agent, which checks facts too.
public enum TemplateNames {
    /// Dotted names (`port`, `facts.hostname`) of `{{name}}`, `{{&name}}` and `{{{name}}}` tags.
    /// Empty after a set-delimiter tag (`{{=<% %>=}}`): braces are then literal text.
    public static func variables(in text: String) -> [String] {
        if text.contains("{{=") { return [] }
        var names: [String] = []
        var depth = 0
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            var tag = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            if rest.hasPrefix("}") { rest = rest.dropFirst() }
            guard let sigil = tag.first else { continue }
            switch sigil {
            case "#", "^": depth += 1; continue
            case "/": depth = max(0, depth - 1); continue
            case "!", ">", "%", "<", "$", "=": continue
            case "&", "{": tag = String(tag.dropFirst()).trimmingCharacters(in: .whitespaces)
            default: break
            }
            if depth == 0, tag != ".", !tag.isEmpty { names.append(tag) }
        }
        return names
    }

    /// Every string inside step parameters.
    static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .array(let items): return items.flatMap(strings(in:))
        case .object(let object): return object.values.flatMap(strings(in:))
        default: return []
        }
    }
}

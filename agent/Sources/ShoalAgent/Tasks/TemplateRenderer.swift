import Foundation
import Mustache
import ShoalCore

/// Renders Mustache templates as plain text (no HTML escaping), refusing names that resolve
/// to nothing: a config file with an empty hole where a variable should be is worse than a
/// failed step.
public enum TemplateRenderer {
    public static func render(_ text: String, context: TemplateContext, what: String) throws -> String {
        let object = context.object
        try checkNames(in: text, object: object, what: what)
        let template: MustacheTemplate
        do {
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch {
            throw ShoalError(.templateInvalid, "\(what) is not a valid template: \(error)")
        }
        return template.render(object)
    }

    /// Renders every string in step parameters that contains a tag.
    public static func renderParams(_ value: JSONValue, context: TemplateContext, what: String, keeping: Set<String> = []) throws -> JSONValue {
        if case .object(var object) = value, !keeping.isEmpty {
            for (key, item) in object where !keeping.contains(key) {
                object[key] = try renderParams(item, context: context, what: what)
            }
            return .object(object)
        }
        switch value {
        case .string(let text) where text.contains("{{"):
            return .string(try render(text, context: context, what: what))
        case .array(let items):
            return .array(try items.map { try renderParams($0, context: context, what: what) })
        case .object(let object):
            return .object(try object.mapValues { try renderParams($0, context: context, what: what) })
        default:
            return value
        }
    }

    /// Variable tags outside sections must name something; inside a section the names belong
    /// to the section's items and Mustache's own rules apply.
    static func checkNames(in text: String, object: [String: Any], what: String) throws {
        for name in TemplateNames.variables(in: text) where resolve(name, in: object) == nil {
            let known = object.keys.sorted().joined(separator: ", ")
            throw ShoalError(.stepUndefinedVariable, "\(what) uses '{{\(name)}}', which is not defined (top-level names: \(known)); set it in the task's vars or pass --var")
        }
    }

    static func resolve(_ path: String, in object: [String: Any]) -> Any? {
        var current: Any? = object
        for part in path.split(separator: ".") {
            guard let dictionary = current as? [String: Any] else { return nil }
            current = dictionary[String(part)]
        }
        return current
    }
}

extension ShoalError.Code {
    public static let templateInvalid: Self = "template.invalid"
}

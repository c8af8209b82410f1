import Foundation

extension JSONValue {
    /// Rewrites the value at `path` to the JSON type a parameter wants, when the text allows:
    /// a rendered template (`"{{min_gpus}}"` -> `"1"`) or a YAML number (`port: 22`) must still
    /// fill an Int or String field. Returns nil when no sensible conversion exists.
    func coercing(at path: [any CodingKey], to type: Any.Type) -> JSONValue? {
        guard let first = path.first else { return Self.coerce(self, to: type) }
        let rest = Array(path.dropFirst())
        switch self {
        case .object(var object):
            guard let child = object[first.stringValue], let fixed = child.coercing(at: rest, to: type) else { return nil }
            object[first.stringValue] = fixed
            return .object(object)
        case .array(var items):
            guard let index = first.intValue, items.indices.contains(index), let fixed = items[index].coercing(at: rest, to: type) else { return nil }
            items[index] = fixed
            return .array(items)
        default:
            return nil
        }
    }

    func value(at path: [any CodingKey]) -> JSONValue? {
        guard let first = path.first else { return self }
        switch self {
        case .object(let object): return object[first.stringValue]?.value(at: Array(path.dropFirst()))
        case .array(let items):
            guard let index = first.intValue, items.indices.contains(index) else { return nil }
            return items[index].value(at: Array(path.dropFirst()))
        default: return nil
        }
    }

    static func coerce(_ value: JSONValue, to type: Any.Type) -> JSONValue? {
        let numeric: [Any.Type] = [Int.self, Int32.self, Int64.self, UInt.self, UInt32.self, UInt64.self, Double.self, Float.self]
        switch value {
        case .string(let text) where numeric.contains { $0 == type }:
            return Double(text.trimmingCharacters(in: .whitespaces)).map(JSONValue.number)
        case .string(let text) where type == Bool.self:
            switch text.lowercased() {
            case "true", "yes": return .bool(true)
            case "false", "no": return .bool(false)
            default: return nil
            }
        case .number:
            return type == String.self ? value.text.map(JSONValue.string) : nil
        // A bare YAML `no`/`off` where text is wanted (`restartPolicy: no`, `DEBUG: off`) is
        // refused rather than turned into "false": the author meant the word. Quote it.
        default:
            return nil
        }
    }
}

extension StepSpec {
    /// Decodes parameters, converting text to numbers and numbers to text where a field asks
    /// for the other (each conversion only at the exact field the decoder complained about).
    func decodeCoercing<P: Decodable>(_ type: P.Type) throws -> P {
        var params = self.params
        for _ in 0..<64 {
            do {
                return try WireCoding.decoder().decode(type, from: WireCoding.encode(params))
            } catch DecodingError.typeMismatch(let expected, let context) {
                guard let fixed = params.coercing(at: context.codingPath, to: expected) else {
                    if expected == String.self, case .bool(let value)? = params.value(at: context.codingPath) {
                        let field = context.codingPath.map(\.stringValue).joined(separator: ".")
                        throw ShoalError(.stepInvalid, "step '\(displayName)' (\(kind)): '\(field)' is the YAML boolean \(value) (written yes/no/on/off/true/false) where text is wanted; quote it, e.g. \"no\"")
                    }
                    throw DecodingError.typeMismatch(expected, context)
                }
                params = fixed
            }
        }
        return try WireCoding.decoder().decode(type, from: WireCoding.encode(params))
    }
}

import Foundation

/// One step of a bundle as it travels: a kind, an optional display name and the kind's own
/// parameters. The agent maps `kind` to the one type that implements it; each kind decodes
/// its parameters with `decodeParams`.
public struct StepSpec: Codable, Sendable, Equatable {
    public var kind: String
    public var name: String?
    public var params: JSONValue
    /// A condition over the node's facts and labels, in selector syntax (`gpu.count>0`);
    /// when it does not hold the step is `skipped`.
    public var when: String?
    /// Handlers (by name) to run once after the steps when this step reports `changed`.
    public var notify: [String]?
    /// The step handles secrets: its diffs (check and apply, and the stored report) show only
    /// sizes and SHA-256 of the old and new content, never the content.
    public var sensitive: Bool?

    public init(kind: String, name: String? = nil, params: JSONValue, when: String? = nil, notify: [String]? = nil, sensitive: Bool? = nil) {
        self.kind = kind
        self.name = name
        self.params = params
        self.when = when
        self.notify = notify
        self.sensitive = sensitive
    }

    public init<P: Encodable>(kind: String, name: String? = nil, encoding params: P) throws {
        let data = try WireCoding.encode(params)
        self.init(kind: kind, name: name, params: try WireCoding.decode(JSONValue.self, from: data))
    }

    public func decodeParams<P: Decodable>(_ type: P.Type) throws -> P {
        do {
            return try decodeCoercing(type)
        } catch let error as DecodingError {
            throw ShoalError(.stepInvalid, "step '\(displayName)' (\(kind)) has invalid parameters: \(WireCoding.describe(error))")
        }
    }

    public var displayName: String { name ?? kind }
}

/// Parameters of the `command` step: run a program (argv) or a shell script.
public struct CommandStepParams: Codable, Sendable, Equatable {
    public var argv: [String]?
    /// Run by `/bin/sh -c`; exactly one of `argv` and `script` is set.
    public var script: String?
    public var env: [String: String]?
    public var workingDirectory: String?
    public var timeoutSeconds: Int?
    /// Skip the step if this path exists (like Ansible's `creates`).
    public var creates: String?
    /// Skip the step if this shell command exits 0.
    public var unless: String?

    public init(
        argv: [String]? = nil, script: String? = nil, env: [String: String]? = nil,
        workingDirectory: String? = nil, timeoutSeconds: Int? = nil,
        creates: String? = nil, unless: String? = nil
    ) {
        self.argv = argv
        self.script = script
        self.env = env
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
        self.creates = creates
        self.unless = unless
    }
}

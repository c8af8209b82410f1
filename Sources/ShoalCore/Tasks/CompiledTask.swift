import Foundation

/// A task file made ready to send: steps and handlers as they travel, variables resolved, and
/// every file a step names by `source` read and carried by SHA-256.
public struct CompiledTask: Sendable, Equatable {
    public var name: String
    public var steps: [StepSpec]
    public var handlers: [StepSpec]
    public var vars: [String: JSONValue]
    public var files: [BundleFile]
    public var timeoutSeconds: Int?

    public init(name: String, steps: [StepSpec], handlers: [StepSpec], vars: [String: JSONValue], files: [BundleFile], timeoutSeconds: Int?) {
        self.name = name
        self.steps = steps
        self.handlers = handlers
        self.vars = vars
        self.files = files
        self.timeoutSeconds = timeoutSeconds
    }

    /// Files by SHA-256, as a step sees them.
    public var fileContents: [String: Data] {
        var contents: [String: Data] = [:]
        for file in files { contents[file.sha256] = Data(base64Encoded: file.content) }
        return contents
    }
}

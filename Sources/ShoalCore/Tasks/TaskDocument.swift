import Foundation

/// A task file as an operator writes it (YAML): a name, variables, ordered steps and handlers.
///
/// ```yaml
/// name: web config
/// vars: { port: 8080 }
/// steps:
///   - name: config file
///     file: { path: /etc/web.conf, content: "port={{port}}\n" }
///     notify: restart web
///     when: role=web
/// handlers:
///   - name: restart web
///     systemd: { unit: web.service, state: restarted }
/// ```
/// Each step names exactly one kind key whose value holds that kind's parameters.
public struct TaskDocument: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var vars: [String: JSONValue]
    public var steps: [StepSpec]
    public var handlers: [StepSpec]
    /// Per-node timeout the file asks for; the command line's `--timeout` wins.
    public var timeoutSeconds: Int?

    public init(name: String, description: String? = nil, vars: [String: JSONValue] = [:], steps: [StepSpec], handlers: [StepSpec] = [], timeoutSeconds: Int? = nil) {
        self.name = name
        self.description = description
        self.vars = vars
        self.steps = steps
        self.handlers = handlers
        self.timeoutSeconds = timeoutSeconds
    }
}

import Foundation

/// Turns a `TaskDocument` into a `CompiledTask`: applies variable overrides, reads the files
/// steps reference, and checks what can be checked before any node sees the task.
public enum TaskCompiler {
    /// Files travel inside every signed bundle; past this a task should fetch from a repository.
    public static let maxFileBytes = 2 << 20
    /// Kinds whose `source` names a file on the machine compiling the task.
    public static let fileKinds: Set<String> = ["file", "template", "systemd"]

    /// - Parameters:
    ///   - baseDirectory: the task file's folder: relative `source` paths written in the file
    ///     start here and may not leave it (see `TaskSourceFile`).
    ///   - overrides: `--var name=value` from the command line; they win over the file's vars.
    ///   - workingDirectory: where a `source` that is wholly a command-line variable starts
    ///     (the operator typed it, so it is relative to where they are, and may be anywhere).
    ///   - protectedPaths: never read for a task, whoever names them: the fleet's data directory.
    ///   - fileName: the task file, for errors.
    public static func compile(
        _ document: TaskDocument, baseDirectory: String, overrides: [String: JSONValue] = [:],
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        protectedPaths: [String] = [], fileName: String? = nil
    ) throws -> CompiledTask {
        let vars = document.vars.merging(overrides) { _, new in new }
        var files: [String: BundleFile] = [:]
        var total = 0
        func resolve(_ spec: StepSpec, label: String) throws -> StepSpec {
            guard fileKinds.contains(spec.kind), case .object(var params) = spec.params, case .string(let raw)? = params["source"] else { return spec }
            let label = fileName.map { "\($0): \(label)" } ?? label
            let path = try substitute(raw, vars: vars, label: label)
            let origin: TaskSourceFile.Origin = wholeVariable(raw).map { overrides[$0] != nil } == true ? .commandLine : .taskFile
            let data = try TaskSourceFile.read(
                path, origin: origin, folder: baseDirectory, workingDirectory: workingDirectory,
                protected: protectedPaths, label: label, limit: maxFileBytes
            )
            total += data.count
            guard total <= maxFileBytes else {
                // Every node's signed bundle carries the files, and the coordinator keeps each bundle.
                throw ShoalError(.taskInvalid, "\(label): the files this task carries exceed \(maxFileBytes >> 20) MiB; serve large artifacts from a package repository or a URL instead")
            }
            let file = BundleFile(data: data)
            files[file.sha256] = file
            params["source"] = nil
            params["sourceSHA256"] = .string(file.sha256)
            var resolved = spec
            resolved.params = .object(params)
            return resolved
        }
        // A variable no one set is an error here, at the operator's terminal, not on each node.
        let provided = Set(vars.keys).union(["facts", "labels", "node"])
        for spec in document.steps + document.handlers {
            for text in TemplateNames.strings(in: spec.params) {
                for name in TemplateNames.variables(in: text) {
                    let root = String(name.split(separator: ".").first ?? "")
                    guard provided.contains(root) else {
                        throw ShoalError(.stepUndefinedVariable, "step '\(spec.displayName)' uses {{\(name)}}, which is not set; add it under vars: or pass --var \(root)=VALUE")
                    }
                }
            }
        }
        let steps = try document.steps.enumerated().map { try resolve($1, label: "step \($0 + 1) (\($1.displayName))") }
        let handlers = try document.handlers.enumerated().map { try resolve($1, label: "handler \($0 + 1) (\($1.displayName))") }

        var handlerNames: Set<String> = []
        for handler in handlers {
            guard let name = handler.name else {
                throw ShoalError(.taskInvalid, "every handler needs a 'name' that steps can notify")
            }
            guard handlerNames.insert(name).inserted else {
                throw ShoalError(.taskInvalid, "two handlers are named '\(name)'; names must be unique")
            }
        }
        for (index, step) in steps.enumerated() {
            for name in step.notify ?? [] where !handlerNames.contains(name) {
                throw ShoalError(.taskInvalid, "step \(index + 1) (\(step.displayName)) notifies '\(name)', but no handler has that name (handlers: \(handlerNames.sorted().joined(separator: ", ")))")
            }
        }
        return CompiledTask(
            name: document.name, steps: steps, handlers: handlers, vars: vars,
            files: files.values.sorted { $0.sha256 < $1.sha256 }, timeoutSeconds: document.timeoutSeconds
        )
    }

    /// The variable name when `text` is exactly one `{{name}}` and nothing else.
    static func wholeVariable(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.count > 4 else { return nil }
        let name = trimmed.dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains("{"), !name.contains("}") else { return nil }
        return name
    }

    /// `{{name}}` in a source path, from the task's variables only: the coordinator reads the
    /// file, so node facts cannot be used here.
    static func substitute(_ text: String, vars: [String: JSONValue], label: String) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ShoalError(.taskInvalid, "\(label): unclosed '{{' in source '\(text)'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = vars[name]?.text else {
                throw ShoalError(.stepUndefinedVariable, "\(label): source '\(text)' uses variable '\(name)', which is not set; pass --var \(name)=PATH")
            }
            result += value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}

extension JSONValue {
    /// The value as template text: strings as they are, numbers without a needless ".0".
    public var text: String? {
        switch self {
        case .string(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .number(let value): return value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .null, .array, .object: return nil
        }
    }
}

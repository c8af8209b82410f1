import Foundation
import ShoalCore

/// `file`: a file with given content (inline `content`, or `source` carried in the bundle by
/// SHA-256), owner, group and mode, replaced atomically; or `state: absent`.
public struct FileStep: Step {
    public static let kind = "file"

    struct Params: Codable {
        var path: String
        var state: String?
        var content: String?
        var sourceSHA256: String?
        var owner: String?
        var group: String?
        var mode: FileMode?
    }

    let params: Params
    let name: String

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        guard params.path.hasPrefix("/") else {
            throw ShoalError(.stepInvalid, "file step '\(spec.displayName)': path '\(params.path)' must be absolute")
        }
        guard ["present", "absent"].contains(params.state ?? "present") else {
            throw ShoalError(.stepInvalid, "file step '\(spec.displayName)': state must be present or absent, not '\(params.state ?? "")'")
        }
        guard params.content == nil || params.sourceSHA256 == nil else {
            throw ShoalError(.stepInvalid, "file step '\(spec.displayName)': give 'content' or 'source', not both")
        }
        self.params = params
        self.name = spec.displayName
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: true)
    }

    public func check(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: false)
    }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        do {
            if params.state == "absent" {
                return try FileRemoval(path: params.path, expect: .file, sensitive: context.sensitive).run(applying: applying)
            }
            let file = ManagedFile(
                path: params.path, content: try content(in: context), owner: params.owner, group: params.group, mode: params.mode?.value,
                sensitive: context.sensitive
            )
            let plan = applying ? try file.apply() : try file.plan()
            return StepOutcome(plan: plan, path: params.path, applying: applying)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.stepFailed, "\(params.path): \(error)"))
        }
    }

    func content(in context: StepContext) throws -> Data? {
        if let content = params.content { return Data(content.utf8) }
        if let sha = params.sourceSHA256 { return try context.file(sha, for: name) }
        return nil
    }
}

extension StepOutcome {
    /// The outcome of a `ManagedFile` plan, in apply or check mode.
    init(plan: ManagedFile.Plan, path: String, applying: Bool) {
        guard plan.isChange else {
            self.init(status: .unchanged, message: "\(path) is as wanted")
            return
        }
        let attributes = plan.attributeChanges.joined(separator: ", ")
        let message: String
        switch (plan.createsFile, plan.contentChanges, applying) {
        case (true, _, true): message = "created \(path)"
        case (true, _, false): message = "would create \(path)"
        case (false, true, true): message = "updated \(path)"
        case (false, true, false): message = "would update \(path)"
        case (false, false, true): message = "changed \(attributes) of \(path)"
        case (false, false, false): message = "would change \(attributes) of \(path)"
        }
        self.init(status: .changed, message: message, diff: plan.diff)
    }
}

extension StepContext {
    /// A file carried in the bundle; `bundle.file_missing` when the bundle does not hold it.
    public func file(_ sha256: String, for step: String) throws -> Data {
        guard let data = files[sha256] else {
            throw ShoalError(.bundleFileMissing, "step '\(step)' needs file sha256:\(sha256.prefix(12)), which the bundle does not carry; re-create the task from its task file")
        }
        guard data.sha256Hex == sha256 else {
            throw ShoalError(.bundleFileMissing, "step '\(step)': the carried file sha256:\(sha256.prefix(12)) does not match its hash; the bundle is corrupt — re-create the task")
        }
        return data
    }
}

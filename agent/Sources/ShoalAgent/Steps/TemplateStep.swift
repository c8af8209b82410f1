import Foundation
import ShoalCore

/// `template`: a file rendered with Mustache from the task's variables, the node's facts and
/// its labels (see `TemplateContext`), then managed like a `file` step. The template is
/// inline (`template:`) or a file carried in the bundle (`source:`).
public struct TemplateStep: Step {
    public static let kind = "template"

    struct Params: Codable {
        var path: String
        var template: String?
        var sourceSHA256: String?
        var owner: String?
        var group: String?
        var mode: FileMode?
    }

    let params: Params
    let name: String

    public init(spec: StepSpec) throws {
        // Inline templates must reach this step unrendered: the runner renders string
        // parameters, so the author escapes nothing only if the template comes from a file.
        let params = try spec.decodeParams(Params.self)
        guard params.path.hasPrefix("/") else {
            throw ShoalError(.stepInvalid, "template step '\(spec.displayName)': path '\(params.path)' must be absolute")
        }
        guard (params.template == nil) != (params.sourceSHA256 == nil) else {
            throw ShoalError(.stepInvalid, "template step '\(spec.displayName)' needs exactly one of 'template' (inline) or 'source' (a file)")
        }
        self.params = params
        self.name = spec.displayName
    }

    public func apply(in context: StepContext) async -> StepOutcome { run(in: context, applying: true) }
    public func check(in context: StepContext) async -> StepOutcome { run(in: context, applying: false) }

    func run(in context: StepContext, applying: Bool) -> StepOutcome {
        do {
            let text: String
            if let inline = params.template {
                text = inline
            } else if let sha = params.sourceSHA256 {
                guard let decoded = String(data: try context.file(sha, for: name), encoding: .utf8) else {
                    throw ShoalError(.templateInvalid, "template '\(name)' is not UTF-8 text; use a file step for binary content")
                }
                text = decoded
            } else {
                text = ""
            }
            let rendered = try TemplateRenderer.render(text, context: context.template, what: "template '\(name)'")
            let file = ManagedFile(
                path: params.path, content: Data(rendered.utf8), owner: params.owner, group: params.group, mode: params.mode?.value,
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
}

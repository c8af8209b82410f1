import Foundation
import ShoalCore

/// One kind of step. Each kind is one type in its own file, registered in `StepRegistry`.
///
/// `apply` makes the change and reports `changed`, `unchanged` or `failed`; `check` reports
/// what `apply` would do without changing anything (`unknown` when it cannot tell).
public protocol Step: Sendable {
    static var kind: String { get }
    init(spec: StepSpec) throws
    func apply(in context: StepContext) async -> StepOutcome
    func check(in context: StepContext) async -> StepOutcome
}

/// What a step gets to work with.
public struct StepContext: Sendable {
    public var nodeID: String
    public var bundleID: String
    public var stepIndex: Int
    /// Files carried in the bundle, by SHA-256 hex.
    public var files: [String: Data]
    /// Where full output of this step is written.
    public var outputPrefix: String
    /// Time left for the whole bundle; a step never runs longer than this.
    public var remaining: Duration?
    /// Variables, facts and labels, for steps that render templates.
    public var template: TemplateContext
    /// The step is marked `sensitive: true`: its diffs show sizes and hashes, never content.
    public var sensitive: Bool
    /// Where the agent reaches its coordinators, each URL it may fail over to (none outside a
    /// fleet), so a step can refuse to cut any of them off.
    public var coordinators: [CoordinatorAddress]

    public init(
        nodeID: String, bundleID: String, stepIndex: Int, files: [String: Data], outputPrefix: String, remaining: Duration?,
        template: TemplateContext? = nil, sensitive: Bool = false, coordinators: [CoordinatorAddress] = []
    ) {
        self.nodeID = nodeID
        self.bundleID = bundleID
        self.stepIndex = stepIndex
        self.files = files
        self.outputPrefix = outputPrefix
        self.remaining = remaining
        self.template = template ?? TemplateContext(nodeID: nodeID)
        self.sensitive = sensitive
        self.coordinators = coordinators
    }
}

/// What running a step produced; the runner adds index, name, kind and timing.
public struct StepOutcome: Sendable {
    public var status: StepStatus
    public var exitCode: Int32?
    public var stdout: CapturedOutput
    public var stderr: CapturedOutput
    public var errorCode: ShoalError.Code?
    public var message: String?
    public var diff: String?

    public init(status: StepStatus, exitCode: Int32? = nil, stdout: CapturedOutput = .empty, stderr: CapturedOutput = .empty, errorCode: ShoalError.Code? = nil, message: String? = nil, diff: String? = nil) {
        self.status = status
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.errorCode = errorCode
        self.message = message
        self.diff = diff
    }

    public static func failed(_ error: ShoalError) -> StepOutcome {
        StepOutcome(status: .failed, errorCode: error.code, message: error.message)
    }
}

/// Maps a wire `kind` to the type that implements it.
public enum StepRegistry {
    public static let kinds: [String: any Step.Type] = [
        CommandStep.kind: CommandStep.self,
        FileStep.kind: FileStep.self,
        DirectoryStep.kind: DirectoryStep.self,
        TemplateStep.kind: TemplateStep.self,
        SystemdStep.kind: SystemdStep.self,
        AptStep.kind: AptStep.self,
        HealthCheckStep.kind: HealthCheckStep.self,
        UserStep.kind: UserStep.self,
        GroupStep.kind: GroupStep.self,
        SysctlStep.kind: SysctlStep.self,
        UfwStep.kind: UfwStep.self,
        SshHardeningStep.kind: SshHardeningStep.self,
        DockerEngineStep.kind: DockerEngineStep.self,
        DockerContainerStep.kind: DockerContainerStep.self,
        NvidiaStep.kind: NvidiaStep.self,
    ]

    public static func make(_ spec: StepSpec) throws -> any Step {
        guard let type = kinds[spec.kind] else {
            let known = kinds.keys.sorted().joined(separator: ", ")
            throw ShoalError(.stepUnknownKind, "step kind '\(spec.kind)' is not known to agent \(AgentVersion.current) (knows: \(known)); upgrade the agent")
        }
        // The bounds the coordinator checked before signing, checked again on the rendered values.
        try StepParameterRules.validate(spec)
        return try type.init(spec: spec)
    }
}

import Foundation
import ShoalCore

/// `health_check`: an HTTP, TCP or command probe, retried `retries` times `intervalSeconds`
/// apart. Healthy is `unchanged` (a check changes nothing); unhealthy after the last try is
/// `failed` with `health.check_failed`. In check mode it probes once: a failure then is
/// `unknown`, since earlier steps that would have run may be what makes it healthy.
public struct HealthCheckStep: Step {
    public static let kind = "health_check"

    struct Params: Codable {
        var http: HealthProbe.HTTP?
        var tcp: HealthProbe.TCP?
        var command: CommandStepParams?
        var timeoutSeconds: Double?
        var retries: Int?
        var intervalSeconds: Double?
    }

    let probe: HealthProbe
    let retries: Int
    let interval: Duration

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        let probeSpec = HealthProbeSpec(http: params.http, tcp: params.tcp, command: params.command, timeoutSeconds: params.timeoutSeconds)
        try probeSpec.validate("health_check step '\(spec.displayName)'")
        probe = HealthProbe(spec: probeSpec)
        guard (0...1000).contains(params.retries ?? 0), (0...3600).contains(params.intervalSeconds ?? 2) else {
            throw ShoalError(.stepInvalid, "health_check step '\(spec.displayName)': retries must be 0...1000 and intervalSeconds 0...3600")
        }
        retries = params.retries ?? 0
        interval = .milliseconds(Int((params.intervalSeconds ?? 2) * 1000))
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        var problem: String?
        let deadline = context.remaining.map { ContinuousClock.now + $0 }
        for attempt in 0...retries {
            if attempt > 0 {
                if let deadline, ContinuousClock.now + interval >= deadline {
                    return StepOutcome(status: .timedOut, errorCode: .stepTimedOut, message: "the bundle's time ran out after \(attempt) attempt\(attempt == 1 ? "" : "s"); last: \(problem ?? "")")
                }
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
            }
            problem = await probe.probe(outputPrefix: context.outputPrefix)
            if problem == nil {
                return StepOutcome(status: .unchanged, message: "healthy (\(probe.kindName)) after \(attempt + 1) attempt\(attempt == 0 ? "" : "s")")
            }
        }
        return .failed(ShoalError(.healthCheckFailed, "unhealthy after \(retries + 1) attempt\(retries == 0 ? "" : "s"): \(problem ?? "cancelled"); see the service's logs"))
    }

    public func check(in context: StepContext) async -> StepOutcome {
        if let problem = await probe.probe(outputPrefix: context.outputPrefix) {
            return StepOutcome(status: .unknown, message: "currently unhealthy (\(problem)); earlier steps may fix that when applied")
        }
        return StepOutcome(status: .unchanged, message: "healthy (\(probe.kindName))")
    }
}

extension ShoalError.Code {
    public static let healthCheckFailed: Self = "health.check_failed"
}

import Foundation
import ShoalCore

/// Whether a schedule's signed task may still run under the current trust document: its
/// signer must still be an operator, with the same key, and the signature still current.
/// Checked at every run and shown by `schedule list`, so a revoked operator's schedules stop
/// and say why.
struct ScheduleStanding: Sendable {
    var signer: String?
    var stoppedReason: String?
    var accepted: SignedTaskIntake.Accepted?

    static func check(_ record: ScheduleRecord, fleet: Fleet, now: Date = Date()) -> ScheduleStanding {
        guard let envelope = record.statement, let request = record.request else {
            return ScheduleStanding(stoppedReason: "made before operator signing: add it again with 'coordinator schedule add'")
        }
        let signed = SignedTaskRequest(statement: envelope, files: request.files)
        do {
            let accepted = try SignedTaskIntake(fleet: fleet).check(signed, sender: nil, now: now)
            return ScheduleStanding(signer: accepted.grant.name, accepted: accepted)
        } catch let error as ShoalError {
            let claimed = try? envelope.decodePayload(TaskStatement.self, expecting: TaskStatement.payloadType, malformed: .bundleMalformed)
            return ScheduleStanding(signer: claimed?.operatorName, stoppedReason: "stopped: \(error.message) [\(error.code.rawValue)]")
        } catch {
            return ScheduleStanding(stoppedReason: "stopped: \(error)")
        }
    }
}

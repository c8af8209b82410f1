import Foundation
import ShoalCore

/// Written before a bundle's first step and updated before each step, removed when its
/// result is spooled. One left behind at start-up means the agent died mid-bundle: the
/// bundle is reported `interrupted` and never run again.
struct RunningMarker: Codable, Sendable {
    var deliveryID: String
    var bundleID: String
    var taskID: String
    var nodeID: String
    var sequence: Int64
    var startedAt: Date
    var currentStep: Int
    var currentStepName: String
    var currentStepKind: String
    var completed: [StepResult]

    static func path(in state: AgentStateDirectory, deliveryID: String) -> String {
        state.runningDirectory + "/" + ResultSpool.safeName(deliveryID) + ".json"
    }

    func save(in state: AgentStateDirectory) throws {
        try SecureFile.write(WireCoding.encode(self), to: Self.path(in: state, deliveryID: deliveryID))
    }

    static func remove(in state: AgentStateDirectory, deliveryID: String) {
        unlink(path(in: state, deliveryID: deliveryID))
    }

    /// Turns every marker left by a previous run into an `interrupted` result in the spool.
    static func recover(state: AgentStateDirectory, spool: ResultSpool) throws -> [BundleResult] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state.runningDirectory)) ?? []
        var recovered: [BundleResult] = []
        for name in names where name.hasSuffix(".json") {
            let path = state.runningDirectory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let marker = try? WireCoding.decode(RunningMarker.self, from: data) else {
                unlink(path)
                continue
            }
            var steps = marker.completed
            steps.append(StepResult(
                index: marker.currentStep, name: marker.currentStepName, kind: marker.currentStepKind, status: .interrupted,
                errorCode: .stepInterrupted, message: "the agent stopped while this step ran; it was not run again — check the node and re-run the task if needed"
            ))
            let result = BundleResult(
                deliveryID: marker.deliveryID, bundleID: marker.bundleID, taskID: marker.taskID, nodeID: marker.nodeID,
                sequence: marker.sequence, status: .interrupted, errorCode: .stepInterrupted,
                message: "interrupted at step \(marker.currentStep + 1) (\(marker.currentStepName)) when the agent stopped",
                startedAt: marker.startedAt, finishedAt: Timestamp.now(), steps: steps
            )
            try spool.add(result)
            unlink(path)
            recovered.append(result)
        }
        return recovered
    }
}

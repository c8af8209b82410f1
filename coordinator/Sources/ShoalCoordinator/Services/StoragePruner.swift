import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Keeps the database and the output folder from growing without end (`retention:` in
/// coordinator.yaml): finished tasks with their results, full step outputs, node events and
/// schedule runs go by age and, for results and outputs, by total size, oldest first.
/// Unfinished tasks and their outputs are never touched; the audit log is kept whole.
///
/// Nothing here is urgent, so it is a pass every `retention.interval` (the first a minute
/// after start, off the start-up path) rather than a reaction to events.
public struct StoragePruner: Service {
    let store: any FleetStore
    let outputs: any StepOutputStore
    let retention: RetentionConfig
    let logger: Logger

    /// What one pass deleted.
    public struct Report: Sendable, Equatable {
        public var tasks = 0
        public var outputFolders = 0
        public var outputBytes: Int64 = 0
        public var nodeEvents = 0
        public var scheduleRuns = 0
        public var metricPoints = 0

        public var isEmpty: Bool { self == Report() }
    }

    public init(fleet: Fleet, logger: Logger) {
        self.init(store: fleet.store, outputs: fleet.outputs, retention: fleet.config.retentionSettings, logger: logger)
    }

    init(store: any FleetStore, outputs: any StepOutputStore, retention: RetentionConfig, logger: Logger) {
        self.store = store
        self.outputs = outputs
        self.retention = retention
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            try await Task.sleep(for: .seconds(60))
            while !Task.isCancelled {
                do {
                    let report = try await pass(now: Date())
                    if !report.isEmpty {
                        logger.info("storage pruned", metadata: [
                            "tasks": "\(report.tasks)", "outputFolders": "\(report.outputFolders)", "outputBytes": "\(report.outputBytes)",
                            "nodeEvents": "\(report.nodeEvents)", "scheduleRuns": "\(report.scheduleRuns)", "metricPoints": "\(report.metricPoints)",
                        ])
                    }
                } catch {
                    logger.error("storage pruning failed; trying again next pass", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(max(60, retention.seconds(\.interval))))
            }
        }
    }

    /// One pass at `now`.
    @discardableResult
    func pass(now: Date) async throws -> Report {
        var report = Report()
        // Read the folders first, then the unfinished tasks, then the finished ones: a task
        // that finishes in between is then seen finished, never as belonging to nobody.
        let folders = try await outputs.storedTasks()
        let unfinished = Set(try await store.unfinishedTasks().map { ResultPathName.safe($0.id) })
        var finished = try await store.finishedTasks()

        // 1. Finished tasks: by age, then the oldest while their results exceed the cap.
        //    A task whose operator signature is still valid stays: its row is what refuses a
        //    replay of the same signed task.
        let taskCutoff = now.addingTimeInterval(-Double(retention.seconds(\.finishedTasks)))
        var doomed = Set(finished.filter { $0.finishedAt < taskCutoff && $0.prunable(now: now) }.map(\.taskID))
        var kept = finished.filter { !doomed.contains($0.taskID) }
        var storedBytes = kept.reduce(Int64(0)) { $0 + $1.storedBytes }
        for task in kept where storedBytes > Int64(retention.resultsMaxBytes) && task.prunable(now: now) {
            doomed.insert(task.taskID)
            storedBytes -= task.storedBytes
        }
        kept = kept.filter { !doomed.contains($0.taskID) }
        let doomedIDs = finished.map(\.taskID).filter(doomed.contains)
        for start in stride(from: 0, to: doomedIDs.count, by: 500) {
            report.tasks += try await store.deleteFinishedTasks(ids: Array(doomedIDs[start..<min(start + 500, doomedIDs.count)]))
        }
        finished = kept

        // 2. Full outputs: of deleted tasks and folders no task owns; of finished tasks by age;
        //    then the oldest finished while the folder is over its cap.
        let finishedAt = Dictionary(finished.map { (ResultPathName.safe($0.taskID), $0.finishedAt) }, uniquingKeysWith: { first, _ in first })
        let outputCutoff = now.addingTimeInterval(-Double(retention.seconds(\.outputs)))
        var remaining = folders
        for (folder, bytes) in folders where !unfinished.contains(folder) {
            if let finished = finishedAt[folder], finished >= outputCutoff { continue }
            try await remove(folder, bytes, from: &remaining, report: &report)
        }
        var total = remaining.values.reduce(0, +)
        let oldestFirst = remaining.keys.filter { finishedAt[$0] != nil }.sorted { (finishedAt[$0] ?? now, $0) < (finishedAt[$1] ?? now, $1) }
        for folder in oldestFirst where total > Int64(retention.outputsMaxBytes) {
            let bytes = remaining[folder] ?? 0
            try await remove(folder, bytes, from: &remaining, report: &report)
            total -= bytes
        }

        // 3. Events and schedule runs.
        report.nodeEvents = try await store.pruneNodeEvents(
            before: now.addingTimeInterval(-Double(retention.seconds(\.nodeEvents))), keepPerNode: retention.nodeEventsPerNode
        )
        report.metricPoints = try await store.pruneMetricHistory(
            minutesBefore: now.addingTimeInterval(-Double(retention.seconds(\.metricsMinutes))),
            hoursBefore: now.addingTimeInterval(-Double(retention.seconds(\.metricsHours)))
        )
        report.scheduleRuns = try await store.pruneScheduleRuns(
            before: now.addingTimeInterval(-Double(retention.seconds(\.scheduleRuns))), keepPerSchedule: retention.scheduleRunsPerSchedule
        )
        return report
    }

    private func remove(_ folder: String, _ bytes: Int64, from remaining: inout [String: Int64], report: inout Report) async throws {
        try await outputs.remove(taskFolder: folder)
        remaining.removeValue(forKey: folder)
        report.outputFolders += 1
        report.outputBytes += bytes
    }
}

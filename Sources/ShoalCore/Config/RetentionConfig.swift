import Foundation

/// `retention:` in coordinator.yaml: how long the coordinator keeps what finished work leaves
/// behind, by age and by total size, enforced by the coordinator's storage pruner. Every key
/// is optional (a config written before these existed keeps working); the defaults are below.
/// Unfinished tasks are never touched, and the audit log is kept whole.
public struct RetentionConfig: Codable, Sendable, Equatable {
    /// How often the pruner makes a pass (the first one a minute after start).
    public var interval: String = "1h"
    /// Finished tasks older than this are deleted with every node's result and bundle.
    public var finishedTasks: String = "90d"
    /// At most this many bytes of results and bundles of finished tasks in the database; the
    /// oldest finished tasks go first.
    public var resultsMaxBytes: Int = 512 * 1024 * 1024
    /// Full step outputs (`output/` in the data directory) of tasks finished longer ago than
    /// this are deleted; the task and its results stay.
    public var outputs: String = "30d"
    /// At most this many bytes under `output/`; outputs of the oldest finished tasks go first.
    public var outputsMaxBytes: Int = 2 * 1024 * 1024 * 1024
    /// Node events (enrolled, down, ready, refused bundles, …) older than this are deleted…
    public var nodeEvents: String = "30d"
    /// …and no node keeps more than this many, newest kept.
    public var nodeEventsPerNode: Int = 1000
    /// Schedule runs older than this are deleted…
    public var scheduleRuns: String = "30d"
    /// …and no schedule keeps more than this many, newest kept.
    public var scheduleRunsPerSchedule: Int = 1000
    /// Each node's metric history: a point per minute kept this long…
    public var metricsMinutes: String = "7d"
    /// …and a point per hour (also what `usage` bills from) this long.
    public var metricsHours: String = "90d"

    enum CodingKeys: String, CodingKey {
        case interval
        case finishedTasks = "finished_tasks"
        case resultsMaxBytes = "results_max_bytes"
        case outputs
        case outputsMaxBytes = "outputs_max_bytes"
        case nodeEvents = "node_events"
        case nodeEventsPerNode = "node_events_per_node"
        case scheduleRuns = "schedule_runs"
        case scheduleRunsPerSchedule = "schedule_runs_per_schedule"
        case metricsMinutes = "metrics_minutes"
        case metricsHours = "metrics_hours"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = RetentionConfig()
        interval = try container.decodeIfPresent(String.self, forKey: .interval) ?? defaults.interval
        finishedTasks = try container.decodeIfPresent(String.self, forKey: .finishedTasks) ?? defaults.finishedTasks
        resultsMaxBytes = try container.decodeIfPresent(Int.self, forKey: .resultsMaxBytes) ?? defaults.resultsMaxBytes
        outputs = try container.decodeIfPresent(String.self, forKey: .outputs) ?? defaults.outputs
        outputsMaxBytes = try container.decodeIfPresent(Int.self, forKey: .outputsMaxBytes) ?? defaults.outputsMaxBytes
        nodeEvents = try container.decodeIfPresent(String.self, forKey: .nodeEvents) ?? defaults.nodeEvents
        nodeEventsPerNode = try container.decodeIfPresent(Int.self, forKey: .nodeEventsPerNode) ?? defaults.nodeEventsPerNode
        scheduleRuns = try container.decodeIfPresent(String.self, forKey: .scheduleRuns) ?? defaults.scheduleRuns
        scheduleRunsPerSchedule = try container.decodeIfPresent(Int.self, forKey: .scheduleRunsPerSchedule) ?? defaults.scheduleRunsPerSchedule
        metricsMinutes = try container.decodeIfPresent(String.self, forKey: .metricsMinutes) ?? defaults.metricsMinutes
        metricsHours = try container.decodeIfPresent(String.self, forKey: .metricsHours) ?? defaults.metricsHours
    }

    /// `config.invalid` naming the key when a value cannot be used.
    public func validate(source: String) throws {
        let durations = [("interval", interval), ("finished_tasks", finishedTasks), ("outputs", outputs), ("node_events", nodeEvents), ("schedule_runs", scheduleRuns), ("metrics_minutes", metricsMinutes), ("metrics_hours", metricsHours)]
        for (key, value) in durations {
            let seconds: Int
            do { seconds = try DurationText.seconds(value) } catch let error as ShoalError {
                throw ShoalError(.configInvalid, "\(source): retention.\(key): \(error.message)")
            }
            guard seconds >= (key == "interval" ? 60 : 1) else {
                throw ShoalError(.configInvalid, "\(source): retention.\(key) must be at least \(key == "interval" ? "1m" : "1s"), got '\(value)'")
            }
        }
        for (key, value) in [("results_max_bytes", resultsMaxBytes), ("outputs_max_bytes", outputsMaxBytes), ("node_events_per_node", nodeEventsPerNode), ("schedule_runs_per_schedule", scheduleRunsPerSchedule)] where value < 1 {
            throw ShoalError(.configInvalid, "\(source): retention.\(key) must be at least 1, got \(value)")
        }
    }

    public func seconds(_ keyPath: KeyPath<RetentionConfig, String>) -> Int {
        (try? DurationText.seconds(self[keyPath: keyPath])) ?? 0
    }
}

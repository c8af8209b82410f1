import Foundation
import ShoalCore

/// What the store's schedule methods decide beside their SQL, written once for every backend.
extension ScheduleRecord {
    /// `FleetStore.insertSchedule` with a name already taken.
    static func nameTaken(_ name: String) -> ShoalError {
        ShoalError(.invalidArgument, "a schedule named '\(name)' exists; remove it first or pick another name")
    }

    /// `FleetStore.recordScheduleRun`: when the schedule runs next, and what its last run was.
    mutating func recordRun(_ run: ScheduleRunRecord, nextRunAt: Date, startedTaskID: String?) {
        self.nextRunAt = nextRunAt
        lastRunAt = run.at
        if let startedTaskID { lastTaskID = startedTaskID }
    }
}

extension StoredSchedules {
    /// Reports a row that does not read back as a schedule, beside the readable ones.
    mutating func appendUnreadable(name: String?, cron: String?, error: any Error) {
        broken.append(BrokenScheduleView(name: name ?? "?", cron: cron ?? "", problem: "the stored row cannot be read: \(error)"))
    }
}

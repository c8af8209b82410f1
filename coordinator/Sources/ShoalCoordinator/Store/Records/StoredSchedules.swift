import ShoalCore

/// Every row of `schedules`: the ones that read back, and the ones that do not (a date out of
/// range, a damaged column). One unreadable row is reported, never allowed to stop the rest.
public struct StoredSchedules: Sendable {
    public var readable: [ScheduleRecord]
    public var broken: [BrokenScheduleView]

    public init(readable: [ScheduleRecord] = [], broken: [BrokenScheduleView] = []) {
        self.readable = readable
        self.broken = broken
    }
}

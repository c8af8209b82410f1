import GRDB

extension SQLiteMigrations {
    /// Waits on a rollout compare `tasks.changeVersion` (see `TaskChangeFeed`); the rollout
    /// engine reads a task's unfinished deliveries by state instead of all of them.
    static func taskChanges(_ db: Database) throws {
        try db.alter(table: "tasks") { t in t.add(column: "changeVersion", .integer).notNull().defaults(to: 0) }
        // In rollout order within each state, so "the next n pending" is a walk of the index.
        try db.create(index: "deliveries_by_task_status", on: "deliveries", columns: ["taskID", "status", "position"])
        // Its prefix does the work of the old index by task.
        try db.drop(index: "deliveries_by_task")
    }
}

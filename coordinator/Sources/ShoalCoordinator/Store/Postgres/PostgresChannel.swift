/// The `LISTEN`/`NOTIFY` channels replicas wake each other through (`PostgresChangeListener`).
/// A payload is an id; a notification only says "look again", the database holds the state.
enum PostgresChannel {
    /// A task or one of its deliveries changed (payload: the task id).
    static let tasks = "shoal_tasks"
    /// Work was queued for a node (payload: the node id): its long poll, wherever held, answers.
    static let work = "shoal_work"
    /// Nodes went down, or anything else every rollout should look at (payload empty).
    static let fleet = "shoal_fleet"
}

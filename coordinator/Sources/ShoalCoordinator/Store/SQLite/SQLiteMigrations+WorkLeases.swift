import GRDB

extension SQLiteMigrations {
    /// Work one replica does for the fleet, claimed in the database with an expiry: a rollout
    /// is driven by the replica holding its lease (so `--max-concurrency` holds however many
    /// coordinators serve the fleet), and another takes it over when the lease runs out.
    static func workLeases(_ db: Database) throws {
        try db.create(table: "work_leases") { t in
            t.column("kind", .text).notNull()
            t.column("key", .text).notNull()
            t.column("holder", .text).notNull()
            t.column("expiresAt", .datetime).notNull()
            t.primaryKey(["kind", "key"])
        }
    }
}

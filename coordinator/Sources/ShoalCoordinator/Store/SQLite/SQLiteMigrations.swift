import GRDB

/// Schema migrations. A shipped migration is never edited: change the schema with a new one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-fleet") { db in
            try db.create(table: "join_tokens") { t in
                t.primaryKey("id", .text)
                t.column("tokenHash", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull()
                t.column("usesAllowed", .integer).notNull()
                t.column("usesCount", .integer).notNull().defaults(to: 0)
                t.column("labelsJSON", .text).notNull()
                t.column("createdBy", .text).notNull()
            }
            try db.create(table: "nodes") { t in
                t.primaryKey("id", .text)
                t.column("hostname", .text).notNull()
                t.column("status", .text).notNull()
                t.column("labelsJSON", .text).notNull()
                t.column("factsJSON", .text)
                t.column("metricsJSON", .text)
                t.column("enrolledAt", .datetime).notNull()
                t.column("lastHeartbeatAt", .datetime)
                t.column("certificateSerial", .text).notNull()
                t.column("previousCertificateSerial", .text)
                t.column("certificateExpiresAt", .datetime).notNull()
                t.column("lastSequence", .integer).notNull().defaults(to: 0)
                t.column("tokenID", .text)
            }
            try db.create(table: "tasks") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("createdBy", .text).notNull()
                t.column("requestJSON", .text).notNull()
                t.column("status", .text).notNull()
                t.column("statusReason", .text)
                t.column("cancelRequested", .boolean).notNull().defaults(to: false)
                t.column("haltRequested", .boolean).notNull().defaults(to: false)
                t.column("finishedAt", .datetime)
                t.column("total", .integer).notNull()
                t.column("pendingCount", .integer).notNull()
                t.column("activeCount", .integer).notNull().defaults(to: 0)
                t.column("succeededCount", .integer).notNull().defaults(to: 0)
                t.column("failureCount", .integer).notNull().defaults(to: 0)
                t.column("cancelledCount", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "tasks_by_status", on: "tasks", columns: ["status"])
            try db.create(table: "deliveries") { t in
                t.primaryKey("id", .text)
                t.column("taskID", .text).notNull().references("tasks", onDelete: .cascade)
                t.column("nodeID", .text).notNull().references("nodes")
                t.column("sequence", .integer).notNull().defaults(to: 0)
                t.column("status", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("isCanary", .boolean).notNull().defaults(to: false)
                t.column("attempt", .integer).notNull().defaults(to: 0)
                t.column("notBefore", .datetime)
                t.column("cancelRequested", .boolean).notNull().defaults(to: false)
                t.column("envelopeJSON", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("queuedAt", .datetime)
                t.column("deliveredAt", .datetime)
                t.column("startedAt", .datetime)
                t.column("finishedAt", .datetime)
                t.column("exitCode", .integer)
                t.column("errorCode", .text)
                t.column("message", .text)
                t.column("firstLine", .text)
                t.column("resultJSON", .text)
            }
            try db.create(index: "deliveries_by_node_status", on: "deliveries", columns: ["nodeID", "status"])
            try db.create(index: "deliveries_by_task", on: "deliveries", columns: ["taskID"])
            try db.create(table: "audit_log") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("detail", .text).notNull()
            }
            try db.create(table: "node_events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("nodeID", .text).notNull()
                t.column("at", .datetime).notNull()
                t.column("kind", .text).notNull()
                t.column("detail", .text).notNull()
            }
            try db.create(index: "node_events_by_node", on: "node_events", columns: ["nodeID"])
        }
        migrator.registerMigration("v2-schedules") { db in
            try db.create(table: "schedules") { t in
                t.primaryKey("name", .text)
                t.column("cron", .text).notNull()
                t.column("requestJSON", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("createdBy", .text).notNull()
                t.column("nextRunAt", .datetime).notNull()
                t.column("lastRunAt", .datetime)
                t.column("lastTaskID", .text)
            }
            try db.create(table: "schedule_runs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("scheduleName", .text).notNull()
                t.column("at", .datetime).notNull()
                t.column("outcome", .text).notNull()
                t.column("taskID", .text)
                t.column("detail", .text).notNull()
            }
            try db.create(index: "schedule_runs_by_name", on: "schedule_runs", columns: ["scheduleName"])
        }
        migrator.registerMigration("v3-trust-boundaries") { db in
            try SQLiteMigrations.labelAuthority(db)
            try db.alter(table: "tasks") { t in t.add(column: "stepCount", .integer) }
        }
        migrator.registerMigration("v4-operator-signing") { db in
            try db.create(table: "trust_documents") { t in
                t.primaryKey("version", .integer)
                t.column("envelopeJSON", .text).notNull()
                t.column("installedAt", .datetime).notNull()
            }
            try db.alter(table: "nodes") { t in
                t.add(column: "labelsVersion", .integer).notNull().defaults(to: 0)
                t.add(column: "labelStatementJSON", .text)
            }
            try db.alter(table: "tasks") { t in
                t.add(column: "statementJSON", .text)
                t.add(column: "signer", .text)
                t.add(column: "scheduledAt", .datetime)
            }
            try db.alter(table: "schedules") { t in t.add(column: "statementJSON", .text) }
        }
        migrator.registerMigration("v5-operator-credentials") { db in
            try SQLiteMigrations.operatorCredentials(db)
        }
        migrator.registerMigration("v6-audit-chain") { db in
            try SQLiteMigrations.auditChain(db)
        }
        migrator.registerMigration("v7-delivery-sent") { db in
            // A bundle handed to a long poll is `sent`, not `delivered`: only the agent can
            // confirm it arrived (see NodeTaskStatus).
            try db.execute(sql: "UPDATE deliveries SET status = 'sent' WHERE status = 'delivered'")
            try db.alter(table: "deliveries") { t in t.rename(column: "deliveredAt", to: "sentAt") }
        }
        migrator.registerMigration("v8-node-enrolled-from") { db in
            // The address each enrollment request came from, so `unenroll` can tell whether the
            // hostname a node reported still leads to that machine.
            try db.alter(table: "nodes") { t in t.add(column: "enrolledFrom", .text) }
        }
        migrator.registerMigration("v9-node-certificate-ca") { db in
            // Which fleet CA issued each node's certificate, so a CA rotation can tell which
            // nodes still hold one from the old CA. NULL: issued before this was recorded.
            try db.alter(table: "nodes") { t in t.add(column: "certificateCA", .text) }
            // Which key each certificate certifies: during a CA rotation a certificate of the
            // previous CA is accepted only for the key on record (its CA key may be stolen).
            try db.alter(table: "nodes") { t in t.add(column: "certificateKey", .text) }
            try db.alter(table: "operator_credentials") { t in t.add(column: "publicKeyHash", .text) }
        }
        migrator.registerMigration("v10-metric-history") { db in
            try SQLiteMigrations.metricHistory(db)
        }
        migrator.registerMigration("v11-nodes-by-liveness") { db in
            // The liveness monitor's two questions — which ready nodes are overdue, and when is
            // the next one due — as index range reads instead of a scan of every node row.
            try db.create(index: "nodes_by_status_heartbeat", on: "nodes", columns: ["status", "lastHeartbeatAt"])
        }
        migrator.registerMigration("v12-task-changes") { db in
            try SQLiteMigrations.taskChanges(db)
        }
        migrator.registerMigration("v13-work-leases") { db in
            try SQLiteMigrations.workLeases(db)
        }
        migrator.registerMigration("v14-node-coordinator-url") { db in
            // The coordinator URL each node's last heartbeat said it uses (agent failover), for
            // `nodes show`. The node's word, shown and never connected to. NULL: not reported.
            try db.alter(table: "nodes") { t in t.add(column: "coordinatorURL", .text) }
        }
        return migrator
    }
}

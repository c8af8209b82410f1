import GRDB

extension SQLiteMigrations {
    /// `v5-operator-credentials`: every operator certificate the coordinator issues, so they
    /// can be listed and revoked. Certificates issued before this migration are not in it;
    /// each is recorded the first time it is used (`OperatorCredentialCheck`).
    static func operatorCredentials(_ db: Database) throws {
        try db.create(table: "operator_credentials") { t in
            t.primaryKey("serial", .text)
            t.column("name", .text).notNull()
            t.column("role", .text).notNull()
            t.column("issuedAt", .datetime).notNull()
            t.column("expiresAt", .datetime).notNull()
            t.column("issuedBy", .text).notNull()
            t.column("renewalOf", .text)
            t.column("revokedAt", .datetime)
            t.column("revokedBy", .text)
        }
        try db.create(index: "operator_credentials_by_name", on: "operator_credentials", columns: ["name"])
    }
}

import Foundation
import GRDB
import ShoalCore

extension SQLiteMigrations {
    /// Part of `v3-trust-boundaries`: labels a node claimed for itself move out of `labelsJSON`
    /// (which selects work) into `claimedLabelsJSON`. Before this, enrollment merged the
    /// agent config's labels with the token's; only the token's stay authoritative. A label
    /// an operator set with `nodes label` cannot be told apart from a claimed one, so it moves
    /// too and must be set again (operations.md, "Upgrading"). Each node with moved labels gets
    /// a `labels_claimed` event naming them.
    static func labelAuthority(_ db: Database) throws {
        try db.alter(table: "nodes") { t in
            t.add(column: "claimedLabelsJSON", .text).notNull().defaults(to: "{}")
        }
        let rows = try Row.fetchAll(db, sql: """
            SELECT nodes.id, nodes.labelsJSON, join_tokens.labelsJSON AS tokenLabelsJSON
            FROM nodes LEFT JOIN join_tokens ON join_tokens.id = nodes.tokenID
            """)
        let now = Date()
        for row in rows {
            let id: String = row["id"]
            let labels = decode(row["labelsJSON"])
            let fromToken = decode(row["tokenLabelsJSON"])
            var authoritative: [String: String] = [:]
            var claimed: [String: String] = [:]
            for (key, value) in labels {
                if fromToken[key] == value, LabelText.reservation(of: key) == nil {
                    authoritative[key] = value
                } else {
                    claimed[key] = value
                }
            }
            guard !claimed.isEmpty else { continue }
            try db.execute(
                sql: "UPDATE nodes SET labelsJSON = ?, claimedLabelsJSON = ? WHERE id = ?",
                arguments: [try authoritative.jsonText(), try claimed.jsonText(), id]
            )
            let moved = claimed.keys.sorted().joined(separator: ", ")
            try db.execute(
                sql: "INSERT INTO node_events (nodeID, at, kind, detail) VALUES (?, ?, 'labels_claimed', ?)",
                arguments: [id, now, "labels not from the join token are now claimed (select with claimed.KEY): \(moved); set operator labels again with 'coordinator nodes label'"]
            )
        }
    }

    private static func decode(_ text: String?) -> [String: String] {
        guard let text else { return [:] }
        return (try? WireCoding.decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}

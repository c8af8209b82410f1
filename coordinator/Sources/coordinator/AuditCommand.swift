import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit chain: who changed what (admin only).",
        discussion: "Every change an operator makes is written, in the change's own transaction, as a JSON entry carrying the SHA-256 of the entry before it: who sent it, the operator key that signed a task, schedule or label change, the selector, the signed statement's hash and the result. 'audit verify' walks the chain and names the first entry that was edited, deleted or inserted.",
        subcommands: [List.self, Verify.self, Keys.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit entries, oldest first (the newest --limit that match).",
            discussion: "Text in the table is escaped: control characters show as \\n, \\x1b, \\u{202e}. --json prints entries exactly as stored."
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only entries since then: a duration back from now (24h, 7d) or an RFC 3339 time.") var since: String?
        @Option(name: .customLong("operator"), help: "Only entries by this actor (an operator's name, schedule:NAME, a node id, coordinator).") var actor: String?
        @Option(help: "Only this action (task.create), or every action under a prefix (task.*).") var action: String?
        @Option(help: "At most this many entries (1-1000).") var limit = 100
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "List the free-text audit_log rows from before the chain started instead.") var legacy = false

        func run() async throws {
            try await runReportingErrors {
                if legacy { return try await listLegacy() }
                var parameters = [("limit", "\(limit)")]
                if let since { parameters.append(("since", Timestamp.format(try AuditCommand.time(since)))) }
                if let actor { parameters.append(("operator", actor)) }
                if let action { parameters.append(("action", action)) }
                let response = try await connection.withClient { try await $0.get(AuditCommand.path("/v1/audit", parameters), as: AuditListResponse.self) }
                if json { return try printJSON(response) }
                let rows = response.entries.map { stored -> [String] in
                    guard let entry = stored.entry else {
                        return ["\(stored.seq)", Timestamp.format(stored.at), stored.actor, stored.action, "", "", "(unreadable: run 'audit verify')"]
                    }
                    var who = "\(entry.role) \(entry.actor)"
                    if let keyID = entry.keyID { who += " key \(keyID.prefix(19))…" }
                    return ["\(stored.seq)", Timestamp.format(entry.at), who, entry.action, entry.target.summary, entry.selector ?? "", entry.result]
                }
                print(TablePrinter.render(
                    header: ["SEQ", "AT", "WHO", "ACTION", "TARGET", "SELECTOR", "RESULT"], rows: rows.map { $0.map(TerminalText.escaped) }
                ))
            }
        }

        private func listLegacy() async throws {
            let response = try await connection.withClient { try await $0.get("/v1/audit/legacy", as: LegacyAuditResponse.self) }
            if json { return try printJSON(response) }
            let rows = response.rows.map { ["\($0.id)", Timestamp.format($0.at), $0.actor, $0.action, $0.detail] }
            print(TablePrinter.render(header: ["ID", "AT", "ACTOR", "ACTION", "DETAIL"], rows: rows.map { $0.map(TerminalText.escaped) }))
        }
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How often the coordinator used each key: deliveries signed (per delivery key), trust documents served (per root key that signed them).")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let response = try await connection.withClient { try await $0.get("/v1/audit/keys", as: KeyUseResponse.self) }
                if json { return try printJSON(response) }
                let rows = response.keys.map { [$0.keyID, $0.use, "\($0.count)", Timestamp.format($0.firstAt), Timestamp.format($0.lastAt)] }
                print(TablePrinter.render(header: ["KEY", "USE", "COUNT", "FIRST", "LAST"], rows: rows.map { $0.map(TerminalText.escaped) }))
            }
        }
    }

    /// `--since` (or `--until`): a duration back from now, or an RFC 3339 time.
    static func time(_ text: String, option: String = "--since") throws -> Date {
        if let date = Timestamp.parse(text) { return date }
        guard let seconds = try? DurationText.seconds(text) else {
            throw ShoalError(.invalidArgument, "\(option) takes a duration back from now (30m, 24h, 7d) or an RFC 3339 time (2026-01-31T12:00:00Z), got '\(text)'")
        }
        return Date().addingTimeInterval(-TimeInterval(seconds))
    }

    static func path(_ base: String, _ parameters: [(String, String)]) -> String {
        guard !parameters.isEmpty else { return base }
        let query = parameters.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        return base + "?" + query.joined(separator: "&")
    }
}

import ArgumentParser
import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

extension AuditCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the audit chain and report the first broken link; exit 1 when broken, 0 when intact.",
            discussion: """
                Every entry's stored text is hashed here, on this machine, and checked against its hash and the next entry's \
                previous hash. Someone with write access to the database can still rewrite the chain consistently from an edit to \
                its end: copy the printed head (SEQ:HASH) off the coordinator now and then, and pass it as --expect-head to prove \
                nothing up to it changed since.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("expect-head"), help: "A head printed by an earlier verify (SEQ:HASH, or HASH): it must still be on the chain.") var expectHead: String?

        func run() async throws {
            try await runReportingErrors {
                let anchor = try expectHead.map(AuditChainVerifier.Anchor.init(parsing:))
                var verifier = AuditChainVerifier(anchor: anchor)
                let broken = try await connection.withClient { client in try await walk(client, &verifier) }
                if let broken {
                    let place = broken.seq.map { "entry \($0)" } ?? "the chain"
                    throw ShoalError(.auditChainBroken, "audit chain broken at \(place) (\(broken.kind.rawValue)): \(broken.message)")
                }
                guard let head = verifier.head else { return }
                print("audit chain intact: \(verifier.checked) entries")
                if let anchor { print("anchored head found: \(anchor.seq.map { "\($0):" } ?? "")\(anchor.hash)") }
                print("head: \(head.seq):\(head.hash)")
                print("copy the head off this host; later 'coordinator audit verify --expect-head \(head.seq):\(head.hash)' proves nothing up to it changed")
            }
        }

        /// Pages through the whole chain in order; returns the first break, nil when intact.
        private func walk(_ client: APIClient, _ verifier: inout AuditChainVerifier) async throws -> AuditChainBreak? {
            let page = AuditQuery.maxLimit
            var after: Int64 = 0
            while true {
                let path = AuditCommand.path("/v1/audit", [("after", "\(after)"), ("limit", "\(page)")])
                let entries = try await client.get(path, as: AuditListResponse.self).entries
                for entry in entries {
                    if let broken = verifier.check(entry) { return broken }
                }
                guard entries.count == page, let last = entries.last else { break }
                after = last.seq
            }
            let legacy = try await client.get("/v1/audit/legacy", as: LegacyAuditResponse.self).rows
            return verifier.finish(legacyRows: legacy)
        }
    }
}

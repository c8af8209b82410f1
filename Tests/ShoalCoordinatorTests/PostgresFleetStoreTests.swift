import Foundation
import Logging
import ShoalCore
import ShoalTestSupport
import Testing

@testable import ShoalCoordinator

/// What only the PostgreSQL backend has: its migrations, its retried serializable writes
/// under concurrency from several stores (replicas), and its errors. The behaviour both
/// backends share is the conformance suite (Conformance/, `SHOAL_TEST_STORE=postgres`).
@Suite struct PostgresFleetStoreTests {
    func url() async throws -> DatabaseURL {
        try DatabaseURL(try await PostgresServer.shared().createDatabase() + "?sslmode=disable", source: "test")
    }

    @Test func opensTwiceAndMigratesOnce() async throws {
        let url = try await url()
        async let first = PostgresFleetStore(url: url, maxConnections: 2)
        async let second = PostgresFleetStore(url: url, maxConnections: 2)
        let stores = try await [first, second]
        #expect(try await PostgresMigrations.applied(stores[0]) == PostgresMigrations.migrations.map(\.name))
        // The chain starts once, whichever replica migrated.
        let head = try await stores[1].auditHead()
        #expect(head?.seq == 1)
        #expect(try await stores[0].auditEntries(AuditQuery()).map(\.action) == ["audit.chain_started"])
    }

    @Test func replicasAppendingAtOnceMakeOneUnbrokenChain() async throws {
        let url = try await url()
        let stores = [try await PostgresFleetStore(url: url, maxConnections: 4), try await PostgresFleetStore(url: url, maxConnections: 4)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await stores[index % 2].appendAudit(AuditEntry(
                        actor: "op-\(index)", role: "admin", action: "test.append", result: "ok"
                    ))
                }
            }
            try await group.waitForAll()
        }
        let entries = try await stores[0].auditEntries(AuditQuery(limit: 100))
        #expect(entries.map(\.seq) == Array(1...41))
        #expect(Set(entries.dropFirst().map(\.actor)).count == 40)
        // Each link names the one before it: the chain verifies end to end.
        var previous: AuditHead? = nil
        for entry in entries {
            let link = try WireCoding.decode(AuditLink.self, from: Data(entry.canonical.utf8))
            #expect(link.previousHash == previous?.hash ?? AuditLink.genesisHash)
            previous = AuditHead(seq: entry.seq, hash: entry.hash)
        }
    }

    @Test func theAuditChainRefusesEdits() async throws {
        let url = try await url()
        _ = try await PostgresFleetStore(url: url, maxConnections: 1)
        let raw = "postgres://\(url.user):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
        await #expect(throws: (any Error).self) { _ = try await PostgresServer.psql("UPDATE audit_chain SET actor = 'x'", url: raw) }
        await #expect(throws: (any Error).self) { _ = try await PostgresServer.psql("DELETE FROM audit_chain", url: raw) }
    }

    @Test func anUnreachableServerIsAStorageErrorNamingIt() async throws {
        let url = try DatabaseURL("postgres://shoal:secret@127.0.0.1:\(freePort())/fleet?sslmode=disable", source: "test")
        do {
            _ = try await PostgresFleetStore(url: url, maxConnections: 1)
            Issue.record("opened a store on a closed port")
        } catch let error as ShoalError {
            #expect(error.code == .storage)
            #expect(error.message.contains("127.0.0.1"))
            #expect(!error.message.contains("secret"))
        }
    }

    /// A replica whose database goes away (its connection cut, then refused) answers every
    /// operation at once with `server.storage`, a 503 that moves agents to another replica,
    /// instead of waiting on its pool for a minute; once the database is back it serves again.
    @Test func aStoreThatLosesItsDatabaseFailsAtOnceAndRecovers() async throws {
        let direct = try await url()
        let forwarder = try TCPForwarder.start(to: direct.port)
        let through = try DatabaseURL(
            "postgres://\(direct.user):\(direct.password ?? "")@127.0.0.1:\(forwarder.port)/\(direct.database)?sslmode=disable", source: "test"
        )
        let store = try await PostgresFleetStore(url: through, maxConnections: 2)
        let listener = PostgresChangeListener(store: store, notifier: WorkNotifier(), logger: Logger(label: "test"))
        let listening = Task { try await listener.run() }
        defer { listening.cancel(); store.close() }
        #expect(try await listener.listening.wait(upTo: .seconds(10)), "the listener never listened")
        #expect(try await store.nodes().isEmpty)

        forwarder.cut()
        let killed = ContinuousClock.now
        // Within seconds every call fails, and says why; none waits out the pool's minute.
        var refusal: ShoalError?
        for _ in 0..<50 where refusal == nil {
            let started = ContinuousClock.now
            do {
                _ = try await store.nodes()
            } catch let error as ShoalError where error.message.contains("cannot reach its fleet database") {
                refusal = error
                #expect(ContinuousClock.now - started < .seconds(1), "a refusal that waited")
            } catch {}
            try await Task.sleep(for: .milliseconds(200))
        }
        let error = try #require(refusal, "operations never failed fast with the database gone")
        #expect(ContinuousClock.now - killed < .seconds(15), "calls waited on the pool before failing")
        #expect(error.code == .storage)
        #expect(!error.message.contains(direct.password ?? "-"))

        forwarder.restore()
        let restored = ContinuousClock.now
        var back = false
        for _ in 0..<100 where !back {
            back = (try? await store.nodes()) != nil
            if !back { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(back, "the store did not serve again once the database was back")
        #expect(ContinuousClock.now - restored < .seconds(15), "the store took long to serve again")
    }

    /// A server that takes TLS only: `verify-full` with its CA connects, and without it (the
    /// system's CAs do not know a self-signed certificate) is refused saying so; `require`
    /// connects without checking; `disable` is turned away by the server.
    @Test func tlsModesAgainstAServerThatRequiresTLS() async throws {
        try await PostgresServer.with(tls: true) { server in
            _ = try await PostgresServer.psql("CREATE DATABASE fleet", url: server.url(database: "postgres") + "?sslmode=require")
            let base = server.url(database: "fleet")
            let verified = try await PostgresFleetStore(url: DatabaseURL(base + "?sslmode=verify-full&sslrootcert=\(server.tlsCertificatePath)", source: "test"), maxConnections: 1)
            #expect(try await verified.auditHead()?.seq == 1)
            verified.close()
            let unchecked = try await PostgresFleetStore(url: DatabaseURL(base + "?sslmode=require", source: "test"), maxConnections: 1)
            #expect(try await unchecked.auditHead()?.seq == 1)
            unchecked.close()
            for refused in [base, base + "?sslmode=disable"] {
                do {
                    _ = try await PostgresFleetStore(url: DatabaseURL(refused, source: "test"), maxConnections: 1)
                    Issue.record("connected with \(refused)")
                } catch let error as ShoalError {
                    #expect(error.code == .storage && error.message.contains("cannot open the fleet database"), "\(error.message)")
                    #expect(!error.message.contains(server.password))
                }
            }
        }
    }
}

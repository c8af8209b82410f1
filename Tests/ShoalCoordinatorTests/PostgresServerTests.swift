import Foundation
import ShoalTestSupport
import Testing

/// The PostgreSQL server the store tests will run against: a real one, reached over TCP with
/// the URL it hands out, and gone (port closed, folder removed) once its scope ends.
@Suite struct PostgresServerTests {
    @Test func twoDatabasesTakeRealSQLAndNothingIsLeftAfterTheScope() async throws {
        let (port, directory) = try await PostgresServer.with { server in
            let fleet = try await server.createDatabase("fleet_a")
            let other = try await server.createDatabase("fleet_b")
            #expect(fleet == "postgres://shoal:\(server.password)@127.0.0.1:\(server.port)/fleet_a")
            #expect(acceptsConnections(port: server.port))

            _ = try await PostgresServer.psql(
                "CREATE TABLE nodes (id text PRIMARY KEY, cores integer NOT NULL); INSERT INTO nodes VALUES ('n2', 16), ('n1', 8);", url: fleet
            )
            #expect(try await PostgresServer.psql("SELECT id, cores FROM nodes ORDER BY id", url: fleet) == "n1|8\nn2|16")
            // Each database is its own: the other one has no such table.
            #expect(try await PostgresServer.psql("SELECT current_database(), to_regclass('nodes') IS NULL", url: other) == "fleet_b|t")
            #expect(try await PostgresServer.psql("SHOW listen_addresses; SHOW fsync", url: other) == "127.0.0.1\noff")
            // The password is checked: a URL with a wrong one gets nowhere.
            let wrong = fleet.replacingOccurrences(of: server.password, with: "not-the-password")
            await #expect(throws: TestbedError.self) { try await PostgresServer.psql("SELECT 1", url: wrong) }
            // A name that would need quoting is refused before it reaches SQL.
            await #expect(throws: TestbedError.self) { _ = try await server.createDatabase("fleet; DROP DATABASE fleet_a") }
            #expect(try await PostgresServer.psql("SELECT count(*) FROM nodes", url: fleet) == "2")
            return (server.port, server.directory)
        }
        #expect(!acceptsConnections(port: port))
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func aFailingBodyStillStopsTheServerAndRemovesItsFolder() async throws {
        struct Planned: Error { var port: Int; var directory: URL }
        do {
            try await PostgresServer.with { server in
                #expect(acceptsConnections(port: server.port))
                throw Planned(port: server.port, directory: server.directory)
            }
            Issue.record("the body's error did not come through")
        } catch let planned as Planned {
            #expect(!acceptsConnections(port: planned.port))
            #expect(!FileManager.default.fileExists(atPath: planned.directory.path))
        }
    }
}

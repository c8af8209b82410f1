import Foundation
import ShoalCore
import ShoalTestSupport

@testable import ShoalCoordinator

/// The `FleetStore` backend the store suites run against. Every suite that gets its store
/// here is part of the conformance suite a backend must pass (tokens and their races,
/// enrollment, delivery transitions and counters, sequence numbers, results, cancellation,
/// revocation, liveness, certificates, metric history, retention, the metrics snapshot, trust
/// and labels, operator credentials, work leases): the suites in this folder. (AuditChainStoreTests stays SQLite's own: it edits the file behind the store.)
///
/// SQLite by default; `SHOAL_TEST_STORE` names the backend for a whole test run, so the same
/// suites run once per backend (`scripts/test.sh` does that for each one built).
enum StoreBackend: String, CaseIterable, Sendable {
    case sqlite
    /// A real PostgreSQL 15 (`PostgresServer.shared()`), a fresh database per `makeDatabase`.
    case postgres

    /// The backend this run tests; an unknown name is an error, not a silent SQLite run.
    static func current() throws -> StoreBackend {
        guard let name = ProcessInfo.processInfo.environment["SHOAL_TEST_STORE"], !name.isEmpty else { return .sqlite }
        guard let backend = StoreBackend(rawValue: name) else {
            throw ShoalError(.configInvalid, "SHOAL_TEST_STORE=\(name) is no store backend; use one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return backend
    }

    /// A fresh, empty database of this backend.
    func makeDatabase() async throws -> StoreDatabase {
        switch self {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "shoal-store-" + RandomID.make(bytes: 6)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return StoreDatabase(backend: self, location: directory + "/fleet.db")
        case .postgres:
            return StoreDatabase(backend: self, location: try await PostgresServer.shared().createDatabase() + "?sslmode=disable")
        }
    }

    /// Moves a fleet `coordinator init` just made in `dataDir` onto this backend, as
    /// `coordinator db copy --write-config` does; SQLite leaves it where it is.
    func adopt(dataDir: String) async throws {
        guard self == .postgres else { return }
        let database = try await makeDatabase()
        let paths = FleetPaths(root: dataDir)
        _ = try await FleetStoreCopier.copy(sqlitePath: paths.database, outputDirectory: nil, to: DatabaseURL(database.location, source: "test"))
        var config = try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config)
        config.database = database.location
        try SecureFile.write(try config.yamlText(), to: paths.config, mode: 0o600)
    }

    /// A fresh store on a fresh database: what most tests want.
    static func makeStore() async throws -> any FleetStore {
        try await current().makeDatabase().open()
    }
}

/// One database of a backend. Each `open()` is another store on it — another coordinator
/// process, for the tests of what several replicas on one database must never both do.
struct StoreDatabase: Sendable {
    let backend: StoreBackend
    /// The SQLite file, or the URL of a server's database.
    let location: String

    func open() async throws -> any FleetStore {
        switch backend {
        case .sqlite: try SQLiteFleetStore(path: location)
        case .postgres: try await PostgresFleetStore(url: DatabaseURL(location, source: "test"), maxConnections: 4)
        }
    }
}

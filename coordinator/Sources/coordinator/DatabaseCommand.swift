import ArgumentParser
import Foundation
import ShoalCommandLine
import ShoalCoordinator
import ShoalCore

/// `coordinator db`: where the fleet's state lives, its schema, and moving it from the SQLite
/// file to PostgreSQL (docs/operations.md, "Several coordinators").
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "The fleet database: status, migrate, copy to PostgreSQL.",
        subcommands: [Status.self, Migrate.self, Copy.self]
    )

    static func paths(_ dataDir: String?) throws -> (FleetPaths, CoordinatorConfig) {
        let paths = FleetPaths(root: try DeliveryKeyCommand.dataDir(dataDir))
        guard FileManager.default.fileExists(atPath: paths.config) else {
            throw ShoalError(.fleetMissing, "no fleet in \(paths.root): run 'coordinator init --data-dir \(paths.root)' first")
        }
        return (paths, try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config))
    }

    /// Opens the fleet's database as coordinator.yaml names it, which brings its schema up to
    /// date, and hands over the PostgreSQL store (nil: the SQLite file, `where` says which).
    static func open(_ dataDir: String?) async throws -> (store: PostgresFleetStore?, where: String) {
        let (paths, config) = try paths(dataDir)
        guard let url = try config.databaseURL(source: paths.config) else {
            _ = try SQLiteFleetStore(path: paths.database)
            return (nil, "SQLite file \(paths.database)")
        }
        return (try await PostgresFleetStore(url: url, maxConnections: 1), "PostgreSQL \(url)")
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which database holds the fleet, and its applied migrations.")
        @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).") var dataDir: String?

        func run() async throws {
            try await runReportingErrors {
                let (store, place) = try await DatabaseCommand.open(dataDir)
                defer { store?.close() }
                print("database: \(place)")
                if let store { print("migrations: \(try await store.appliedMigrations().joined(separator: ", "))") }
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the database's schema up to date (serve does it too, at start).",
            discussion: "Safe while replicas run the version that made the migrations: replicas take an advisory lock, so only one migrates."
        )
        @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).") var dataDir: String?

        func run() async throws {
            try await runReportingErrors {
                let (store, place) = try await DatabaseCommand.open(dataDir)
                defer { store?.close() }
                let applied = store?.migratedAtOpen ?? []
                print(applied.isEmpty ? "\(place): schema current" : "\(place): applied \(applied.joined(separator: ", "))")
            }
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the fleet from its SQLite file into an empty PostgreSQL database.",
            discussion: """
                Stop the coordinator first: what it writes during the copy would be lost. The copy is one \
                PostgreSQL transaction, checked afterwards (rows per table, audit chain head). Then set \
                'database:' in coordinator.yaml on every replica (--write-config does it here) and start them.
                """
        )
        @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).") var dataDir: String?
        @Option(name: .customLong("to"), help: "postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=… of an empty database.") var target: String
        @Flag(help: "Then set 'database:' in this data directory's coordinator.yaml.") var writeConfig = false

        func run() async throws {
            try await runReportingErrors {
                let (paths, config) = try DatabaseCommand.paths(dataDir)
                if let current = config.database {
                    throw ShoalError(.invalidArgument, "this fleet already lives on PostgreSQL (\(try DatabaseURL(current, source: paths.config))); db copy moves a fleet off its SQLite file")
                }
                let url = try DatabaseURL(target, source: "--to")
                let report = try await FleetStoreCopier.copy(sqlitePath: paths.database, outputDirectory: paths.outputDirectory, to: url) { table, rows in
                    print("copied \(table): \(rows) row(s)")
                }
                print("copied \(report.outputFiles) step output file(s), \(report.outputBytes) bytes, into the database (\(paths.outputDirectory) is no longer read)")
                print("checked: every table holds as many rows as \(paths.database); audit chain ends at entry \(report.auditHead.map { "\($0.seq)" } ?? "none") in both")
                if writeConfig {
                    var updated = config
                    updated.database = target
                    // Holds the password now: the coordinator's user only.
                    try SecureFile.write(try updated.yamlText(), to: paths.config, mode: 0o600)
                    print("wrote database: to \(paths.config); start the coordinator (and every replica with the same line)")
                } else {
                    print("next: add to coordinator.yaml on every replica:  database: \(url)  (with the real password), then start them")
                }
            }
        }
    }
}

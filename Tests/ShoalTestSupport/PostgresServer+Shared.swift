import Foundation

extension PostgresServer {
    /// One server for the whole test process, started on first use and killed when the
    /// process exits (an `atexit` handler: SIGQUIT to the postmaster, an immediate shutdown,
    /// then its folder removed), so suites that each want a fresh database share one start.
    /// `SHOAL_TEST_POSTGRES_URL` (a superuser URL, `…/postgres`) names a server started
    /// outside instead, which is then left running.
    public static func shared() async throws -> SharedPostgres {
        try await SharedPostgres.holder.get()
    }
}

/// A PostgreSQL server tests create databases on.
public struct SharedPostgres: Sendable {
    /// `postgres://USER:PASSWORD@HOST:PORT/` without the database name.
    let base: String

    /// Creates an empty database with a fresh random name and returns its URL.
    public func createDatabase(prefix: String = "t") async throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        _ = try await PostgresServer.psql("CREATE DATABASE \(name)", url: base + "postgres")
        return base + name
    }

    actor Holder {
        private var started: Task<SharedPostgres, any Error>?

        func get() async throws -> SharedPostgres {
            if let started { return try await started.value }
            let task = Task { try await Self.start() }
            started = task
            return try await task.value
        }

        private static func start() async throws -> SharedPostgres {
            if let url = ProcessInfo.processInfo.environment["SHOAL_TEST_POSTGRES_URL"], !url.isEmpty {
                guard let slash = url.lastIndex(of: "/") else { throw TestbedError("SHOAL_TEST_POSTGRES_URL=\(url) has no /DATABASE") }
                return SharedPostgres(base: String(url[...slash]))
            }
            let server = try await PostgresServer.start()
            sharedDirectory = strdup(server.directory.path)
            atexit {
                guard let directory = sharedDirectory.map({ String(cString: $0) }) else { return }
                let pidFile = directory + "/data/postmaster.pid"
                if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                   let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) }), pid > 1 {
                    kill(pid, SIGQUIT)
                    // Wait briefly so the folder is not removed under a running server.
                    for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
                }
                try? FileManager.default.removeItem(atPath: directory)
            }
            return SharedPostgres(base: server.url(database: ""))
        }
    }

    static let holder = Holder()
}

/// The shared server's folder, for the exit handler (a C function pointer captures nothing).
nonisolated(unsafe) private var sharedDirectory: UnsafeMutablePointer<CChar>?

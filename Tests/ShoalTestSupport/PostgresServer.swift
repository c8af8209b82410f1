import Foundation

/// A private PostgreSQL server for tests: Debian's `initdb` and `pg_ctl` into a fresh
/// temporary folder, listening only on 127.0.0.1 on a free port, its unix socket inside that
/// folder (so it never meets a cluster of the machine's own), fsync off (nothing in it must
/// survive a crash). The superuser `shoal` signs in with a random password over TCP
/// (scram-sha-256 for every connection), so other local users cannot use the server meanwhile.
/// Run as root, the server runs as the `postgres` OS user: initdb refuses root.
///
///     try await PostgresServer.with { server in
///         let url = try await server.createDatabase("fleet")   // postgres://shoal:…@127.0.0.1:PORT/fleet
///         let rows = try await PostgresServer.psql("SELECT 1", url: url)
///     }
public struct PostgresServer: Sendable {
    /// The superuser every URL signs in as.
    public static let user = "shoal"
    /// The client the tests (and `psql(_:url:)`) run SQL through.
    public static let psqlPath = "/usr/bin/psql"

    public let port: Int
    /// The temporary folder: `data` (the cluster), `socket`, `server.log`; gone after the scope.
    public let directory: URL
    public let password: String
    let binDirectory: String

    var dataDirectory: URL { directory.appendingPathComponent("data") }
    var logFile: URL { directory.appendingPathComponent("server.log") }

    /// `postgres://shoal:PASSWORD@127.0.0.1:PORT/DATABASE`.
    public func url(database: String) -> String {
        "postgres://\(Self.user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// Starts a server, runs `body`, and always stops it (`pg_ctl stop -m immediate`) and
    /// removes its folder, also when starting or `body` fails.
    public static func with<Result>(
        isolation: isolated (any Actor)? = #isolation, tls: Bool = false,
        _ body: (PostgresServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(tls: tls)
        do {
            let result = try await body(server)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// Creates an empty database owned by `shoal` and returns its URL. Names are plain
    /// identifiers (lower-case letters, digits, `_`), so they need no quoting.
    public func createDatabase(_ name: String) async throws -> String {
        let plain = name.first.map { $0.isLetter || $0 == "_" } == true && name.count <= 63
            && name.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard plain else {
            throw TestbedError("'\(name)' is not a plain database name: use lower-case letters, digits and '_', at most 63, not starting with a digit")
        }
        _ = try await Self.psql("CREATE DATABASE \(name)", url: url(database: "postgres"))
        return url(database: name)
    }

    /// Runs `sql` (one or more statements, stopping at the first error) through the real
    /// `psql` over TCP and returns its rows unaligned, one a line, `|` between columns.
    public static func psql(_ sql: String, url: String) async throws -> String {
        guard FileManager.default.isExecutableFile(atPath: psqlPath) else {
            throw TestbedError("\(psqlPath) is missing: apt-get install postgresql (or run scripts/install-test-deps.sh as root)")
        }
        let result = try await TestbedProcess.run(
            psqlPath, [url, "--no-psqlrc", "--quiet", "--no-align", "--tuples-only", "--set", "ON_ERROR_STOP=1", "--file", "-"],
            stdin: Data(sql.utf8), timeout: .seconds(60)
        )
        guard result.succeeded else { throw TestbedError("psql failed (exit \(result.status)) on \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Makes the cluster and starts it; on failure removes everything it made. With `tls`, the
    /// server takes TCP connections over TLS only (`hostssl`), with a self-signed certificate
    /// for 127.0.0.1 at `directory/tls/server.crt` (`tlsCertificatePath`).
    public static func start(tls: Bool = false) async throws -> PostgresServer {
        let binDirectory = try installedBinDirectory()
        let files = FileManager.default
        let directory = files.temporaryDirectory.appendingPathComponent("shoal-postgres-\(UUID().uuidString)")
        let password = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try files.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var server = PostgresServer(port: 0, directory: directory, password: password, binDirectory: binDirectory)
        do {
            try await server.initialize()
            if tls { try await server.requireTLS() }
            // The free port can be taken between choosing and binding it: choose again.
            for attempt in 1...3 {
                server = PostgresServer(port: freePort(), directory: directory, password: password, binDirectory: binDirectory)
                let started = try await server.runTool("pg_ctl", [
                    "start", "--pgdata", server.dataDirectory.path, "--log", server.logFile.path, "--wait", "--timeout", "60",
                    "-o", "-p \(server.port)",
                ], leavesDaemon: true)
                if started.succeeded { return server }
                let log = (try? String(contentsOf: server.logFile, encoding: .utf8)) ?? ""
                guard attempt < 3, log.contains("could not bind") else {
                    throw TestbedError("pg_ctl start failed (exit \(started.status)): \(started.stderr)\(log.suffix(2000)); the server log is above")
                }
            }
            throw TestbedError("PostgreSQL found no free port on 127.0.0.1 in three tries")
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// initdb with the superuser's password, then the settings a throwaway test server wants.
    private func initialize() async throws {
        let files = FileManager.default
        let socket = directory.appendingPathComponent("socket")
        let passwordFile = directory.appendingPathComponent("password")
        try files.createDirectory(at: socket, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        guard files.createFile(atPath: passwordFile.path, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TestbedError("could not write \(passwordFile.path); is \(directory.deletingLastPathComponent().path) writable?")
        }
        if let owner = try Self.serverOwner() {
            for path in [directory, socket, passwordFile] {
                guard chown(path.path, owner.uid, owner.gid) == 0 else {
                    throw TestbedError("could not hand \(path.path) to the postgres user: \(String(cString: strerror(errno)))")
                }
            }
        }
        let initdb = try await runTool("initdb", [
            "--pgdata", dataDirectory.path, "--username", Self.user, "--pwfile", passwordFile.path, "--auth", "scram-sha-256",
            "--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions",
        ])
        try? files.removeItem(at: passwordFile)
        guard initdb.succeeded else { throw TestbedError("initdb failed (exit \(initdb.status)): \(initdb.stderr)") }
        let settings = """

            # shoal PostgresServer: loopback only, socket in the test's folder, no durability
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(socket.path)'
            fsync = off
            synchronous_commit = off
            full_page_writes = off

            """
        let conf = try FileHandle(forWritingTo: dataDirectory.appendingPathComponent("postgresql.conf"))
        defer { try? conf.close() }
        try conf.seekToEnd()
        try conf.write(contentsOf: Data(settings.utf8))
    }

    /// The self-signed certificate a `start(tls: true)` server presents (also its CA).
    public var tlsCertificatePath: String { directory.appendingPathComponent("tls/server.crt").path }

    /// A certificate for 127.0.0.1 (openssl), `ssl = on`, and a pg_hba.conf that admits TCP
    /// connections only over TLS.
    private func requireTLS() async throws {
        let folder = directory.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let key = folder.appendingPathComponent("server.key").path
        let made = try await TestbedProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", tlsCertificatePath,
        ], timeout: .seconds(30))
        guard made.succeeded else { throw TestbedError("openssl could not make the server certificate: \(made.stderr)") }
        if let owner = try Self.serverOwner() {
            for path in [folder.path, key, tlsCertificatePath] where chown(path, owner.uid, owner.gid) != 0 {
                throw TestbedError("could not hand \(path) to the postgres user: \(String(cString: strerror(errno)))")
            }
        }
        chmod(key, 0o600)
        let settings = "\nssl = on\nssl_cert_file = '\(tlsCertificatePath)'\nssl_key_file = '\(key)'\n"
        let conf = try FileHandle(forWritingTo: dataDirectory.appendingPathComponent("postgresql.conf"))
        defer { try? conf.close() }
        try conf.seekToEnd()
        try conf.write(contentsOf: Data(settings.utf8))
        let hba = "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        try Data(hba.utf8).write(to: dataDirectory.appendingPathComponent("pg_hba.conf"))
        if let owner = try Self.serverOwner() { chown(dataDirectory.appendingPathComponent("pg_hba.conf").path, owner.uid, owner.gid) }
    }

    /// Stops the server at once (nothing in it is kept) and removes its folder. Kills the
    /// postmaster if pg_ctl cannot stop it, so a failed stop leaves no process behind.
    public func stop() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard FileManager.default.fileExists(atPath: pidFile.path) else { return }
        let stopped = try await runTool("pg_ctl", ["stop", "--pgdata", dataDirectory.path, "--mode", "immediate", "--wait", "--timeout", "30"])
        guard !stopped.succeeded else { return }
        let pid = (try? String(contentsOf: pidFile, encoding: .utf8))?.split(separator: "\n").first.flatMap { pid_t($0) }
        if let pid, pid > 1 { kill(pid, SIGKILL) }
        throw TestbedError("pg_ctl stop failed (exit \(stopped.status)): \(stopped.stderr); killed postmaster \(pid.map(String.init) ?? "?")")
    }

    /// Runs a server program from `binDirectory`, as the postgres user when this process is root.
    private func runTool(_ name: String, _ arguments: [String], leavesDaemon: Bool = false) async throws -> TestbedResult {
        var command = ["\(binDirectory)/\(name)"] + arguments
        if leavesDaemon {
            // Foundation's Process sees a child end when a socket it hands the child closes
            // (swift-corelibs-foundation#4795); the postmaster pg_ctl leaves running would keep
            // it open, so pg_ctl would never be seen to end. Close every file above stderr first.
            let closeAndExec = #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec "$@""#
            command = ["/bin/bash", "-c", closeAndExec, name] + command
        }
        // The folder is the working directory: the postgres user may not be able to enter this one.
        if try Self.serverOwner() != nil {
            command = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + command
        }
        return try await TestbedProcess.run(command[0], Array(command.dropFirst()), timeout: .seconds(120), directory: directory)
    }

    /// The newest `/usr/lib/postgresql/N/bin` with an initdb (Debian 12 ships 15).
    static func installedBinDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        guard let version = versions.last(where: { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }) else {
            throw TestbedError("PostgreSQL is not installed (no \(root)/*/bin/initdb): apt-get install postgresql (or run scripts/install-test-deps.sh as root)")
        }
        return "\(root)/\(version)/bin"
    }

    /// The postgres OS user's ids when this process is root (the server must not run as
    /// root); nil otherwise, when the server runs as this process's user.
    static func serverOwner() throws -> (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw TestbedError("there is no 'postgres' OS user to run the server as (root may not): apt-get install postgresql creates it")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }
}

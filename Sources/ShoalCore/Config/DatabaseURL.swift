import Foundation

/// `database:` in coordinator.yaml: where the fleet's state lives. Absent: the SQLite file in
/// the data directory (the default, and the demo's). `postgres://USER:PASSWORD@HOST:PORT/DB`
/// puts it on a PostgreSQL server that any number of coordinator replicas share
/// (docs/operations.md, "Several coordinators"). TLS options follow libpq's names:
///
/// - `sslmode=disable` — plain TCP (a loopback or otherwise private link only);
/// - `sslmode=require` — TLS, the server's certificate not checked (libpq's meaning);
/// - `sslmode=verify-full` (the default) — TLS, the certificate checked against the system's
///   CAs, or against `sslrootcert=/path/ca.pem`, and its name against the host.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        case disable, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// PEM file of the CA that signed the server's certificate (`verify-full`).
    public var rootCertificatePath: String?

    /// The URL with its password hidden, for messages and logs.
    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// Parses `text`; every problem is `config.invalid` naming `source` and what to write.
    public init(_ text: String, source: String) throws {
        func invalid(_ why: String) -> ShoalError {
            ShoalError(.configInvalid, "\(source): database: \(why); write postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full, or leave database out for the SQLite file in the data directory")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else { throw invalid("not a URL") }
        guard scheme == "postgres" || scheme == "postgresql" else { throw invalid("scheme '\(scheme)' is not postgres") }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name after the host") }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tls = .verifyFull
        self.rootCertificatePath = nil
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw invalid("sslmode '\(item.value ?? "")' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, path.hasPrefix("/") else { throw invalid("sslrootcert must be an absolute path") }
                rootCertificatePath = path
            default:
                throw invalid("unknown option '\(item.name)' (known: sslmode, sslrootcert)")
            }
        }
    }
}

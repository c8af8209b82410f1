import AsyncHTTPClient
import Foundation
import NIOCore
import ShoalCore

/// Sets up Docker's own apt repository the way Docker's install guide does: the signing
/// key in /etc/apt/keyrings/docker.asc and a `signed-by` sources entry.
///
/// The key is fetched over HTTPS from download.docker.com and, when `gpg` is installed,
/// its fingerprint is checked against the one Docker publishes before it is trusted.
struct DockerUpstreamRepository: Sendable {
    /// Docker's release signing key, as published in its install guide.
    static let keyFingerprint = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"

    var commands: DockerEngineCommands

    /// Writes key and sources entry; returns a note on how the key was verified.
    func configure(entry: String) async throws -> String {
        guard let base = entry.split(separator: " ").first(where: { $0.hasPrefix("https://") }) else {
            throw ShoalError(.dockerEngineFailed, "internal: no repository URL in '\(entry)'")
        }
        let keyURL = "\(base)/gpg"
        let key = try await download(keyURL)
        let verification = try await verify(key, from: keyURL)
        _ = try SafeDirectory.open("/etc/apt/keyrings", creatingMissing: 0o755)
        try AtomicFileWriter.write(key, to: DockerEngineInspection.upstreamKeyPath, mode: 0o644, uid: 0, gid: 0)
        try AtomicFileWriter.write(Data(entry.utf8), to: DockerEngineInspection.upstreamSourcesPath, mode: 0o644, uid: 0, gid: 0)
        try await commands.require("apt-get", ["-q", "update"], label: "apt-update", environment: ["DEBIAN_FRONTEND": "noninteractive"], timeout: .seconds(600))
        return verification
    }

    func download(_ url: String) async throws -> Data {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 200 else {
                throw ShoalError(.dockerEngineFailed, "\(url) answered HTTP \(response.status.code)")
            }
            return Data(body.readableBytesView)
        } catch let error as ShoalError {
            throw ShoalError(.dockerEngineFailed, "cannot fetch Docker's apt key: \(error.message); check the node's HTTPS access to download.docker.com, or use source: distro")
        } catch {
            throw ShoalError(.dockerEngineFailed, "cannot fetch Docker's apt key from \(url): \(error); check the node's HTTPS access to download.docker.com, or use source: distro")
        }
    }

    /// Checks the fingerprint with gpg when it is installed; without gpg, TLS is the only check.
    func verify(_ key: Data, from url: String) async throws -> String {
        let temporary = NSTemporaryDirectory() + "shoal-docker-key-\(UInt32.random(in: 0...UInt32.max)).asc"
        try key.write(to: URL(fileURLWithPath: temporary))
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let shown = await commands.run("gpg", ["--batch", "--show-keys", "--with-colons", temporary], label: "gpg-show-keys")
        guard shown.launched else { return "key fetched over HTTPS from \(url) (gpg not installed: fingerprint not checked)" }
        let fingerprints = shown.stdout.split(separator: "\n").filter { $0.hasPrefix("fpr:") }.compactMap { $0.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first.map(String.init) }
        guard fingerprints.contains(Self.keyFingerprint) else {
            throw ShoalError(.dockerEngineFailed, "the key at \(url) has fingerprint(s) \(fingerprints.joined(separator: ", ")), not Docker's \(Self.keyFingerprint); refusing to trust it — nothing was changed")
        }
        return "key fingerprint \(Self.keyFingerprint) verified"
    }
}

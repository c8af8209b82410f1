import Foundation

/// A folder of fleet root keys, made by `coordinator root init` (or `init` for a small fleet)
/// and meant to live offline:
///
/// ```
/// root-1.key … root-N.key   Ed25519 seeds, "ed25519:BASE64" (0600) — hand each to its holder
/// roots.json                the public root set: threshold, keys, fingerprint (0644)
/// ```
public struct RootKeyDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var rootsFile: String { path + "/roots.json" }
    public func keyFile(_ index: Int) -> String { path + "/root-\(index).key" }

    /// The public half, as trust documents list it.
    public struct RootSet: Codable, Sendable {
        public var threshold: Int
        public var keys: [TrustedBundleKey]
        public var fingerprint: String

        public var roots: TrustDocument.Roots { TrustDocument.Roots(threshold: threshold, keys: keys) }
    }

    /// Makes `count` root keys needing `threshold` signatures. Refuses to overwrite.
    @discardableResult
    public func create(count: Int, threshold: Int) throws -> RootSet {
        guard (1...16).contains(count), (1...count).contains(threshold) else {
            throw ShoalError(.invalidArgument, "a root needs 1-16 keys and a threshold from 1 to the number of keys (got \(threshold) of \(count))")
        }
        guard !FileManager.default.fileExists(atPath: rootsFile) else {
            throw ShoalError(.invalidArgument, "\(path) already holds a root (roots.json); choose another folder — a root is never overwritten")
        }
        try SecureFile.makeDirectory(path)
        var keys: [TrustedBundleKey] = []
        for index in 1...count {
            let key = BundleSigningKey()
            try SecureFile.write(key.fileText, to: keyFile(index))
            keys.append(key.publicKey)
        }
        let roots = TrustDocument.Roots(threshold: threshold, keys: keys)
        let set = RootSet(threshold: threshold, keys: keys, fingerprint: roots.fingerprint)
        try SecureFile.write(WireCoding.encode(set, pretty: true), to: rootsFile, mode: 0o644)
        return set
    }

    public func rootSet() throws -> RootSet {
        do {
            return try WireCoding.decode(RootSet.self, from: Data(SecureFile.read(rootsFile).utf8))
        } catch let error as ShoalError {
            throw ShoalError(.configInvalid, "\(rootsFile): \(error.message)")
        }
    }

    /// Every root key file present here (a holder may have only theirs).
    public func keys() throws -> [BundleSigningKey] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return try names.filter { $0.hasPrefix("root-") && $0.hasSuffix(".key") }.sorted().map {
            try BundleSigningKey(fileText: SecureFile.read(path + "/" + $0))
        }
    }
}

/// An operator's own signing key file ("ed25519:BASE64", 0600) and its public half.
public enum OperatorKeyFile {
    public static func create(at path: String) throws -> BundleSigningKey {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ShoalError(.invalidArgument, "\(path) exists; an operator key is never overwritten")
        }
        let key = BundleSigningKey()
        try SecureFile.makeDirectory((path as NSString).deletingLastPathComponent)
        try SecureFile.write(key.fileText, to: path)
        try SecureFile.write(key.publicKey.publicKey + "\n", to: publicPath(for: path), mode: 0o644)
        return key
    }

    public static func load(_ path: String) throws -> BundleSigningKey {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ShoalError(.invalidArgument, "no operator signing key at \(path); pass --signing-key FILE or set SHOAL_SIGNING_KEY (make one with 'coordinator operator key --out FILE')")
        }
        return try BundleSigningKey(fileText: SecureFile.read(path))
    }

    public static func publicPath(for path: String) -> String {
        (path.hasSuffix(".key") ? String(path.dropLast(4)) : path) + ".pub"
    }
}

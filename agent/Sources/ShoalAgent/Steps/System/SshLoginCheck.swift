import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Answers "after hardening, can anybody still log in?": who stays allowed (login shell,
/// AllowUsers, root only with prohibit-password) and which of them has a key in an
/// authorized_keys file sshd will read.
struct SshLoginCheck: Sendable {
    var accounts: AccountDatabase
    /// Root prefix for reading home folders ("/" on a node).
    var root: String
    var authorizedKeysFiles: [String]
    var allowUsers: [String]?
    var rootAllowed: Bool

    /// Users that may log in after the change and hold at least one key.
    func usersWithKeys() -> [String] {
        candidates().filter { hasKey($0) }.map(\.name)
    }

    /// Users sshd would still let in: a real shell, matched by AllowUsers when given.
    func candidates() -> [AccountDatabase.User] {
        accounts.users.filter { user in
            if user.uid == 0, !rootAllowed { return false }
            if Self.noLoginShells.contains(where: { user.shell.hasSuffix($0) }) { return false }
            guard let allowUsers else { return true }
            return allowUsers.contains { pattern in
                // AllowUsers takes user@host; only the user part decides who can be reached.
                let userPart = String(pattern.split(separator: "@", maxSplits: 1).first ?? "")
                return fnmatch(userPart, user.name, 0) == 0
            }
        }
    }

    static let noLoginShells = ["/nologin", "/false", "/sync", "/shutdown", "/halt"]

    func hasKey(_ user: AccountDatabase.User) -> Bool {
        keyFiles(for: user).contains { path in
            guard let text = try? String(contentsOfFile: AccountDatabase.path(path, root: root), encoding: .utf8) else { return false }
            return text.split(separator: "\n").contains { line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return !trimmed.isEmpty && !trimmed.hasPrefix("#")
            }
        }
    }

    /// AuthorizedKeysFile patterns with %h, %u, %U and %% expanded; relative ones under home.
    func keyFiles(for user: AccountDatabase.User) -> [String] {
        authorizedKeysFiles.filter { $0.lowercased() != "none" }.map { pattern in
            var out = ""
            var iterator = pattern.makeIterator()
            while let character = iterator.next() {
                guard character == "%" else { out.append(character); continue }
                switch iterator.next() {
                case "h": out += user.home
                case "u": out += user.name
                case "U": out += String(user.uid)
                case "%": out += "%"
                case let other?: out += "%" + String(other)
                case nil: out += "%"
                }
            }
            return out.hasPrefix("/") ? out : user.home + "/" + out
        }
    }
}

import Foundation

/// The local account files (`/etc/passwd`, `/etc/group`, `/etc/shadow`) as useradd and
/// friends maintain them, read under a root prefix so tests can point the step at a copy
/// (`useradd --prefix`). These files are the truth for local accounts; NSS may add LDAP
/// users that useradd could never change anyway.
struct AccountDatabase: Sendable {
    struct User: Sendable, Equatable {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
        var shell: String
    }

    struct Group: Sendable, Equatable {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    var users: [User]
    var groups: [Group]
    /// name → password field; nil when the shadow file could not be read.
    var passwords: [String: String]?

    /// Reads the files under `root` ("/" on a node).
    static func read(root: String) -> AccountDatabase {
        func lines(_ path: String) -> [[Substring]] {
            let text = (try? String(contentsOfFile: Self.path(path, root: root), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ":", omittingEmptySubsequences: false) }
        }
        let users = lines("/etc/passwd").compactMap { fields -> User? in
            guard fields.count >= 7, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return User(name: String(fields[0]), uid: uid, gid: gid, home: String(fields[5]), shell: String(fields[6]))
        }
        let groups = lines("/etc/group").compactMap { fields -> Group? in
            guard fields.count >= 4, let gid = UInt32(fields[2]) else { return nil }
            return Group(name: String(fields[0]), gid: gid, members: fields[3].split(separator: ",").map(String.init))
        }
        var passwords: [String: String]?
        if FileManager.default.isReadableFile(atPath: Self.path("/etc/shadow", root: root)) {
            passwords = [:]
            for fields in lines("/etc/shadow") where fields.count >= 2 {
                passwords?[String(fields[0])] = String(fields[1])
            }
        }
        return AccountDatabase(users: users, groups: groups, passwords: passwords)
    }

    static func path(_ path: String, root: String) -> String {
        root == "/" ? path : (root as NSString).appendingPathComponent(path)
    }

    func user(_ name: String) -> User? { users.first { $0.name == name } }
    func user(uid: UInt32) -> User? { users.first { $0.uid == uid } }
    func group(_ name: String) -> Group? { groups.first { $0.name == name } }
    func group(gid: UInt32) -> Group? { groups.first { $0.gid == gid } }

    /// A group by name or by number, as `useradd -g` accepts either.
    func group(named nameOrNumber: String) -> Group? {
        if let gid = UInt32(nameOrNumber) { return group(gid: gid) }
        return group(nameOrNumber)
    }

    /// Supplementary groups: those that list the user as a member.
    func supplementaryGroups(of user: String) -> Set<String> {
        Set(groups.filter { $0.members.contains(user) }.map(\.name))
    }

    /// A password field locks the account for password login when it is "!…" or "*";
    /// an empty field means *no* password, which is the opposite of locked.
    static func isLocked(_ field: String) -> Bool {
        field.hasPrefix("!") || field.hasPrefix("*")
    }
}

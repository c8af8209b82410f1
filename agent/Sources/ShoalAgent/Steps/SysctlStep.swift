import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// `sysctl`: kernel parameters set live (written to /proc/sys) and persisted in a
/// /etc/sysctl.d file the step owns, so they survive a reboot. Changed when either the live
/// value or the file differs. Live values are written first: if the kernel refuses one, the
/// ones already written are put back and the file is not touched.
public struct SysctlStep: Step {
    public static let kind = "sysctl"

    struct Params: Codable {
        var settings: [String: SysctlValue]
        var file: String?
    }

    let params: Params
    let name: String
    let file: String
    /// Where live values are read and written; /proc/sys on a node.
    var procRoot = "/proc/sys"

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        let label = "sysctl step '\(spec.displayName)'"
        guard !params.settings.isEmpty else {
            throw ShoalError(.stepInvalid, "\(label): 'settings' is empty; give at least one key: value")
        }
        for key in params.settings.keys where key.range(of: #"^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$"#, options: .regularExpression) == nil || key.contains("..") {
            throw ShoalError(.stepInvalid, "\(label): '\(key)' is not a sysctl key like net.ipv4.ip_forward")
        }
        if let file = params.file, !file.hasPrefix("/") || !file.hasSuffix(".conf") {
            throw ShoalError(.stepInvalid, "\(label): file '\(file)' must be an absolute path ending in .conf (sysctl --system reads only *.conf)")
        }
        self.params = params
        self.name = spec.displayName
        self.file = params.file ?? Self.defaultFile(stepName: spec.name)
    }

    init(spec: StepSpec, procRoot: String) throws {
        try self.init(spec: spec)
        self.procRoot = procRoot
    }

    /// /etc/sysctl.d/90-shoal-<slug of the step name>.conf, or 90-shoal.conf for an unnamed step.
    static func defaultFile(stepName: String?) -> String {
        let mapped = String((stepName ?? "").lowercased().map { (character: Character) -> Character in
            character.isASCII && (character.isLetter || character.isNumber) ? character : "-"
        })
        let slug = mapped.split(separator: "-").map(String.init).joined(separator: "-")
        return slug.isEmpty ? "/etc/sysctl.d/90-shoal.conf" : "/etc/sysctl.d/90-shoal-\(slug.prefix(60)).conf"
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        run(applying: true, sensitive: context.sensitive)
    }

    public func check(in context: StepContext) async -> StepOutcome {
        run(applying: false, sensitive: context.sensitive)
    }

    /// The content of the persisted file: sorted, one `key = value` a line.
    var fileContent: String {
        "# Managed by Shoal (step '\(name)'); changes made here are overwritten.\n"
            + params.settings.keys.sorted().map { "\($0) = \(params.settings[$0]?.text ?? "")\n" }.joined()
    }

    /// /proc/sys/net/ipv4/ip_forward for net.ipv4.ip_forward; a key given with slashes is
    /// taken as it is (how sysctl(8) spells keys holding dots, like VLAN interface names).
    func procPath(_ key: String) -> String {
        procRoot + "/" + (key.contains("/") ? key : key.replacingOccurrences(of: ".", with: "/"))
    }

    func run(applying: Bool, sensitive: Bool = false) -> StepOutcome {
        do {
            var live: [(key: String, old: String, new: String)] = []
            for key in params.settings.keys.sorted() {
                guard let wanted = params.settings[key]?.text else { continue }
                let current = try readLive(key)
                if current != wanted { live.append((key, current, wanted)) }
            }
            let managed = ManagedFile(path: file, content: Data(fileContent.utf8), owner: "root", group: "root", mode: 0o644, sensitive: sensitive)
            let plan = try managed.plan()
            var diff = live.map { sensitive ? "# live \($0.key): value hidden (sensitive step)\n" : "# live \($0.key): \($0.old) -> \($0.new)\n" }.joined() + plan.diff
            guard !live.isEmpty || plan.isChange else {
                return StepOutcome(status: .unchanged, message: "\(params.settings.count) sysctl settings are as wanted (live and in \(file))")
            }
            let summary = (live.isEmpty ? [] : ["set \(live.map(\.key).joined(separator: ", ")) live"]) + (plan.isChange ? ["\(plan.createsFile ? "create" : "update") \(file)"] : [])
            guard applying else {
                return StepOutcome(status: .changed, message: summary.map { "would " + $0 }.joined(separator: "; "), diff: diff)
            }
            var written: [(key: String, old: String)] = []
            for change in live {
                do {
                    try writeLive(change.key, change.new)
                    written.append((change.key, change.old))
                } catch {
                    // Put back what this step already changed so the node is as it was (the
                    // failing key too: the kernel may have taken a clamped value).
                    try? writeLive(change.key, change.old)
                    for done in written.reversed() { try? writeLive(done.key, done.old) }
                    throw error
                }
            }
            do {
                try managed.apply()
            } catch {
                for done in written.reversed() { try? writeLive(done.key, done.old) }
                throw error
            }
            if diff.isEmpty { diff = plan.diff }
            return StepOutcome(status: .changed, message: summary.joined(separator: "; "), diff: diff)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.sysctlWriteFailed, "\(error)"))
        }
    }

    func readLive(_ key: String) throws -> String {
        let path = procPath(key)
        switch try PathState.read(path).kind {
        case .absent:
            throw ShoalError(.sysctlUnknownKey, "sysctl key '\(key)' does not exist on this node (no \(path)); check the spelling, or load the kernel module that provides it first")
        case .directory:
            throw ShoalError(.sysctlUnknownKey, "'\(key)' is a group of sysctl keys (\(path) is a folder), not one key; name a key inside it")
        default:
            break
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShoalError(.sysctlReadFailed, "cannot read \(path) for sysctl key '\(key)'; it may be write-only — set it with a command step instead")
        }
        return SysctlValue.normalized(String(decoding: data, as: UTF8.self))
    }

    /// Writes the value and reads it back: the kernel may accept a write yet clamp or ignore it.
    /// Live values go by path: /proc/sys is the kernel's, nobody can put a link there. The
    /// sysctl.d file, in a folder users could reach, goes through `ManagedFile`.
    func writeLive(_ key: String, _ value: String) throws {
        let path = procPath(key)
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else {
            throw ShoalError(.sysctlWriteFailed, "cannot open \(path) to set \(key): \(String(cString: strerror(errno))); the agent needs root, and a container may mount /proc/sys read-only")
        }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard count == bytes.count else {
            throw ShoalError(.sysctlWriteFailed, "the kernel refused \(key) = \(value): \(String(cString: strerror(errno))); check the value is valid for this key")
        }
        let now = try readLive(key)
        guard now == value else {
            throw ShoalError(.sysctlRejected, "the kernel accepted \(key) = \(value) but reads back '\(now)'; the value is out of range or not settable here")
        }
    }
}

extension ShoalError.Code {
    public static let sysctlUnknownKey: Self = "sysctl.unknown_key"
    public static let sysctlReadFailed: Self = "sysctl.read_failed"
    public static let sysctlWriteFailed: Self = "sysctl.write_failed"
    public static let sysctlRejected: Self = "sysctl.rejected"
}

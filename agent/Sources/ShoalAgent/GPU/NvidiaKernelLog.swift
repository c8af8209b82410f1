import Foundation

/// Reads the kernel log for XIDs: `dmesg` (the ring buffer since boot), else `journalctl -k -b`
/// where dmesg is missing or refused. Both need the privileges the agent runs with; without
/// them the XID figures are left out rather than reported as zero.
public struct NvidiaKernelLog: Sendable {
    /// Commands tried in turn, each an executable (a path, or a name on `searchPath`) and its arguments.
    public var commands: [[String]]
    public var searchPath: [String]
    public var timeout: Duration

    public static let defaultCommands = [["dmesg"], ["journalctl", "-k", "-b", "-o", "cat", "--no-pager", "-q"]]

    public init(commands: [[String]] = Self.defaultCommands, searchPath: [String]? = nil, timeout: Duration = .seconds(5)) {
        self.commands = commands
        self.searchPath = searchPath ?? NvidiaDetector.defaultSearchPath()
        self.timeout = timeout
    }

    /// The XIDs logged since boot, oldest first; nil when no command could read the log.
    public func xidEvents() async -> [NvidiaXIDEvent]? {
        for command in commands {
            guard let name = command.first, let executable = NvidiaDetector.findExecutable(name, searchPath: searchPath) else { continue }
            guard let output = await NvidiaSMI.capture(executable, Array(command.dropFirst()), timeout: timeout), output.succeeded else { continue }
            return NvidiaXIDEvent.events(in: output.stdout)
        }
        return nil
    }
}
